package mock

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"time"

	"github.com/pbxkit/pbxkit/pbx"
)

// Scheme is the URL scheme the package registers on pbx.DefaultURLMux.
const Scheme = "mock"

func init() {
	pbx.DefaultURLMux().Register(Scheme, &URLOpener{})
}

// URLOpener opens "mock" URLs. Each Open makes a new PBX, owned by the
// returned Client: closing the Client closes the PBX. The URL grammar is
//
//	mock://demo[?activity=2s&seed=N&latency=10ms]   a PBX seeded by NewDemo
//	mock://empty[?...]  (or mock://)               an empty PBX
//
// activity, seed and latency set Options.Activity, Options.Seed and
// Options.Latency. Other parameters are refused.
type URLOpener struct {
	// Options are the defaults that the URL's parameters override.
	Options Options
}

// OpenClientURL implements pbx.URLOpener.
func (o *URLOpener) OpenClientURL(_ context.Context, u *url.URL, copts *pbx.ClientOptions) (*pbx.Client, error) {
	opts := o.Options
	for key, vals := range u.Query() {
		v := vals[len(vals)-1]
		var err error
		switch key {
		case "activity":
			opts.Activity, err = time.ParseDuration(v)
		case "latency":
			opts.Latency, err = time.ParseDuration(v)
		case "seed":
			opts.Seed, err = strconv.ParseUint(v, 10, 64)
		default:
			err = fmt.Errorf("unknown parameter")
		}
		if err != nil || opts.Activity < 0 || opts.Latency < 0 {
			return nil, &pbx.Error{Code: pbx.InvalidArgument, Op: "Open", Backend: "mock", ID: pbx.RedactURL(u),
				Err: fmt.Errorf("parameter %q=%q: want activity=<duration>, latency=<duration> or seed=<uint>", key, v)}
		}
	}
	var p *PBX
	switch u.Host + u.Opaque {
	case "demo":
		p = NewDemo(&opts)
	case "", "empty":
		p = New(&opts)
	default:
		return nil, &pbx.Error{Code: pbx.InvalidArgument, Op: "Open", Backend: "mock", ID: pbx.RedactURL(u),
			Err: fmt.Errorf("unknown mock PBX %q: want mock://demo or mock://empty", u.Host+u.Opaque)}
	}
	c, err := pbx.NewClient(p.newConn(true), copts)
	if err != nil {
		p.Close()
		return nil, err
	}
	return c, nil
}
