package fpbx

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/pbxkit/pbxkit/asterisk"
	"github.com/pbxkit/pbxkit/pbx"
)

// ParseURL reads a freepbx:// or issabel:// URL over the defaults o, and
// returns the options and the AMI address. It takes the parameters both
// distributions have (db, cdrdb, cdr_table, apply=command|none,
// apply_command, autoapply), first offering each to own (which reports
// whether it took it), and leaves the rest to the asterisk backend's URL
// parser, which refuses unknown ones. With local=1 it starts from what
// host reads on the PBX host instead of o.
func ParseURL(u *url.URL, d *Dialect, o Options, host func() (Options, string, error), own func(key, value string) (bool, error)) (Options, string, error) {
	bad := func(format string, args ...any) (Options, string, error) {
		return Options{}, "", &pbx.Error{Code: pbx.InvalidArgument, Op: "Open", Backend: d.Name, ID: pbx.RedactURL(u), Err: fmt.Errorf(format, args...)}
	}
	q := u.Query()
	addr := u.Host
	if q.Get("local") != "" {
		var err error
		if o, addr, err = host(); err != nil {
			return Options{}, "", err
		}
		q.Del("local")
	}
	rest := url.Values{}
	for key, vals := range q {
		v := vals[len(vals)-1]
		if took, err := own(key, v); err != nil {
			return bad("%s=%q: %v", key, v, err)
		} else if took {
			continue
		}
		switch key {
		case "db":
			o.DBDSN = v
		case "cdrdb":
			o.CDRDSN = v
		case "cdr_table":
			o.CDRTable = v
		case "apply":
			switch v {
			case "command":
			case "none":
				o.NoApply = true
			default:
				return bad("apply=%q: not a way to apply configuration here", v)
			}
		case "apply_command":
			o.ApplyCommand = strings.Fields(v)
		case "autoapply":
			on, err := strconv.ParseBool(v)
			if err != nil {
				return bad("autoapply=%q: want a boolean", v)
			}
			o.AutoApply = on
		default:
			rest[key] = vals
		}
	}
	au := url.URL{Scheme: asterisk.Scheme, User: u.User, Host: addr, RawQuery: rest.Encode()}
	aopts, hostAddr, err := asterisk.ParseURL(&au, &o.Options)
	if err != nil {
		return Options{}, "", err
	}
	o.Options = *aopts
	return o, hostAddr, nil
}
