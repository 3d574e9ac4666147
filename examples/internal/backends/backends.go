// Package backends registers every pbxkit backend's URL scheme on
// pbx.DefaultURLMux. The example programs (pbxctl, pbxd, the Discord bot)
// import it for its side effect; it is the one place to add a backend.
package backends

import (
	_ "github.com/pbxkit/pbxkit/asterisk" // asterisk://user:secret@host:5038?spool=...&cdr_csv=...
	_ "github.com/pbxkit/pbxkit/freepbx"  // freepbx://user:secret@host:5038?db=...&cdrdb=...
	_ "github.com/pbxkit/pbxkit/issabel"  // issabel://admin:secret@host:5038?db=...
	_ "github.com/pbxkit/pbxkit/mock"     // mock://demo, mock://empty
)
