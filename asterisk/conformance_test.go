package asterisk_test

import (
	"context"
	"testing"

	"github.com/pbxkit/pbxkit/asterisk"
	"github.com/pbxkit/pbxkit/asterisktest"
	"github.com/pbxkit/pbxkit/internal/asttest"
	"github.com/pbxkit/pbxkit/pbx"
	"github.com/pbxkit/pbxkit/pbx/pbxtest"
)

func harness(ctx context.Context, t *testing.T, ari bool) (pbxtest.Harness, error) {
	srv := asterisktest.Start(t, nil)
	h, err := asttest.New(ctx, t, srv)
	if err != nil {
		return nil, err
	}
	opts := asttest.Options(srv)
	if ari {
		opts.ARI = &asterisk.ARIOptions{URL: srv.ARIURL, Username: srv.ARIUser, Password: srv.ARIPassword}
	}
	h.Open = func(ctx context.Context) (*pbx.Client, error) { return asterisk.Open(ctx, srv.AMIAddr, &opts) }
	return h, nil
}

func TestConformance(t *testing.T) {
	pbxtest.Run(t, func(ctx context.Context, t *testing.T) (pbxtest.Harness, error) { return harness(ctx, t, false) })
}

// TestConformanceARI runs the suite with ARI configured: calls are then
// originated and hung up through ARI.
func TestConformanceARI(t *testing.T) {
	pbxtest.Run(t, func(ctx context.Context, t *testing.T) (pbxtest.Harness, error) { return harness(ctx, t, true) })
}
