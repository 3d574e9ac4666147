package main

// The backends pbxctl can reach. Importing a backend package registers its
// URL scheme on pbx.DefaultURLMux; this is the one place to add a backend.
//
// To be added as their packages land:
//
//	_ "github.com/pbxkit/pbxkit/freepbx"    // freepbx://...
//	_ "github.com/pbxkit/pbxkit/issabel"    // issabel://...
//	_ "github.com/pbxkit/pbxkit/freeswitch" // freeswitch://...
import (
	_ "github.com/pbxkit/pbxkit/asterisk" // asterisk://user:secret@host:5038?spool=...&cdr_csv=...
	_ "github.com/pbxkit/pbxkit/mock"     // mock://demo, mock://empty
)
