// Command pbxd serves LiteNet's per-user PBX API over any pbxkit backend: the
// 18 operations of the OpenAPI document in openapi.json (own extension,
// device status, registered endpoints, live calls and hang-up, call-me, SIP
// secret reset, do-not-disturb, voicemail list, download, move and delete,
// conference rooms and connect-me, public call statistics and a hardware
// survey), with the same paths, field names and types. It adds what the
// document lacks: a live event stream of the signed-in user's extension
// (GET /extensions/me/events, Server-Sent Events) and a dashboard at /.
//
// Usage:
//
//	pbxd [--listen :3001] [--pbx URL] [--tokens tokens.json] [flags]
//
// The PBX is chosen by URL: --pbx, else $PBX_URL, else mock://demo, an
// in-memory demo PBX. With the mock backend and no --tokens file, the demo
// token 6f1c0b6e-1010-4d3b-9a6e-5c0ffee01010 signs in as extension 1010:
//
//	go run ./examples/rest
//	curl -H 'Authorization: Bearer 6f1c0b6e-1010-4d3b-9a6e-5c0ffee01010' localhost:3001/extensions/me/calls
//
// Bearer tokens map to extensions through the token store (--tokens), which
// the Discord login (/auth/discord) adds to. See README.md for the token
// store, the Discord setup, the safety defaults and load figures.
//
// Backends register themselves by URL scheme when their package is
// imported; backends.go lists the imports.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"syscall"

	"github.com/pbxkit/pbxkit/examples/internal/tokenfile"
	"github.com/pbxkit/pbxkit/pbx"
)

// Exit statuses.
const (
	exitOK      = 0
	exitFailure = 1 // the PBX could not be opened or the server failed
	exitUsage   = 2 // the command line is wrong
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run serves until ctx is done (SIGINT or SIGTERM in main), then shuts down
// gracefully, and returns the exit status. It prints the address it listens
// on to stdout and logs to stderr.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	cfg, err := parseConfig(args, getenvOS, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	if err != nil {
		fmt.Fprintln(stderr, "pbxd:", err)
		return exitUsage
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: cfg.logLevel}))

	client, err := pbx.DefaultURLMux().Open(ctx, cfg.pbxURL, &pbx.ClientOptions{Logger: log})
	if err != nil {
		fmt.Fprintln(stderr, "pbxd:", err) // pbx errors never hold the URL's password
		return exitFailure
	}
	defer client.Close()

	tokens, err := openTokenStore(cfg.tokens, client.Backend() == "mock", log)
	if err != nil {
		fmt.Fprintln(stderr, "pbxd:", err)
		return exitFailure
	}
	s, err := newServer(cfg, client, tokens, log)
	if err != nil {
		fmt.Fprintln(stderr, "pbxd:", err)
		return exitFailure
	}
	ln, err := net.Listen("tcp", cfg.listen)
	if err != nil {
		s.close()
		fmt.Fprintln(stderr, "pbxd:", err)
		return exitFailure
	}
	fmt.Fprintf(stdout, "pbxd: serving the %s PBX on http://%s (dashboard at /, API document at /openapi.json)\n",
		client.Backend(), ln.Addr())
	if tokens.demo {
		fmt.Fprintf(stdout, "pbxd: demo token for extension %s enabled (see --help or README.md)\n", tokenfile.DemoExtension)
	}
	if err := s.serve(ctx, ln); err != nil {
		log.Error("server failed", "err", err)
		return exitFailure
	}
	return exitOK
}
