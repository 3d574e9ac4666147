// Package issabel is the pbxkit backend for Issabel 4 (IssabelPBX 2.11, a
// fork of FreePBX 2.11): the Asterisk backend's core for everything live,
// and IssabelPBX's databases and astdb keys for configuration. It shares
// its code with the freepbx package and differs only where the two
// distributions do. It registers the "issabel" URL scheme on
// pbx.DefaultURLMux:
//
//	import _ "github.com/pbxkit/pbxkit/issabel"
//	c, err := pbx.Open(ctx, "issabel://admin:amisecret@pbx.example.com?db="+
//		url.QueryEscape("asteriskuser:dbsecret@tcp(pbx.example.com:3306)/asterisk"))
//
// On the Issabel host, "issabel:///?local=1" (or HostOptions) reads the AMI
// password from /etc/issabel.conf and the database user from
// /etc/amportal.conf.
//
// Where Issabel differs from FreePBX:
//
//   - Extensions are written as IssabelPBX's REST API writes them: its sip
//     keyword rows and flags (transport=transport-udp for PJSIP, callerid
//     "device <ext>"), no DEVICE/<ext>/tech key, its AMPUSER keys
//     (queues/qnostate, followme/*). Its tables have primary keys.
//   - There is no originate-skipvm context: calls to an extension are
//     originated on its device's dial string.
//   - Configuration is applied with "amportal a r"; there is no GraphQL
//     API.
//   - CDR tables of systems upgraded from Elastix lack some columns; the
//     columns are discovered at run time.
//
// See the freepbx package for the rest, which is the same.
package issabel
