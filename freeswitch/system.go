package freeswitch

import (
	"context"
	"time"

	"github.com/pbxkit/pbxkit/pbx"
)

// SystemInfo implements pbx.SystemBackend with "status" (uptime, sessions
// since startup, current sessions), "version" and "show calls count".
func (b *backend) SystemInfo(ctx context.Context) (*pbx.SystemInfo, error) {
	status, err := b.conn.API(ctx, "status")
	if err != nil {
		return nil, err
	}
	version, err := b.conn.API(ctx, "version")
	if err != nil {
		return nil, err
	}
	calls, err := b.conn.API(ctx, "show", "calls", "count")
	if err != nil {
		return nil, err
	}
	st := parseStatus(status)
	info := &pbx.SystemInfo{
		Version: parseVersion(version), Uptime: st.uptime,
		ActiveChannels: st.sessions, ActiveCalls: parseCount(calls), CallsProcessed: st.total,
	}
	if st.uptime > 0 {
		info.Started = time.Now().Add(-st.uptime).Truncate(time.Second)
	}
	return info, nil
}

// QueryCDR implements pbx.CDRBackend through the configured store.
func (b *backend) QueryCDR(ctx context.Context, q *pbx.CDRQuery) (*pbx.CDRPage, error) {
	return b.opts.CDR.QueryCDR(ctx, q)
}
