// Command pbxctl drives a PBX from the command line through pbxkit: it lists
// and manages extensions, devices, calls, voicemail, conferences, queues and
// call detail records, and streams live events. It is an example of the
// library's API; every command is a thin layer over one or two calls of
// package pbx.
//
// Usage:
//
//	pbxctl [--pbx URL] [--json] [--timeout 30s] <command> [arguments]
//
// The PBX is chosen by URL: --pbx, else the PBX_URL environment variable,
// else mock://demo, an in-memory demo PBX. Examples:
//
//	pbxctl calls list
//	pbxctl --pbx 'mock://demo?activity=1s' events --follow
//	pbxctl calls originate --from 1010 --to 1002
//	pbxctl calls callme 1010 --mode echo
//	pbxctl voicemail list 1010 --folder INBOX
//	pbxctl voicemail download 1010 <msgid> -o message.wav
//	pbxctl cdr list --since 24h --disposition answered,busy --format csv
//	pbxctl --json queues get sales
//
// The commands are:
//
//	extensions   list | get | create | update | delete | reset-secret | reveal-secret
//	devices      list | get              (state and registrations)
//	dnd          get | on | off          (do not disturb)
//	forward      get | set               (call forwarding)
//	followme     get | set
//	calls        list | get | originate | callme | hangup | transfer
//	voicemail    mailboxes | list | download | move | delete
//	conferences  list | get | join | kick | mute | unmute | lock | unlock
//	queues       list | get | add | remove | pause | unpause
//	cdr          list | stats
//	system       info | useragents
//	capabilities
//	events       [--follow] [--kind call.started,...] [--ext 1010]
//
// Run "pbxctl <command> --help" for the arguments and flags of each.
//
// Output is an aligned table by default; --json prints the JSON of the
// result instead (an array for lists). "events" prints one JSON object per
// line in either mode.
//
// The exit status is 0 on success, 1 when the PBX or the library reports an
// error (including invalid input, such as a malformed extension number), and
// 2 for usage errors (unknown command or flag, missing or extra arguments, a
// flag value that does not parse). Errors are printed as one line on stderr.
//
// Backends register themselves by URL scheme when their package is imported;
// backends.go lists the imports.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
