package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/pbxkit/pbxkit/pbx"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// Exit statuses.
const (
	exitOK      = 0
	exitFailure = 1 // the PBX, the library or I/O reported an error
	exitUsage   = 2 // the command line is wrong
)

// defaultURL is the PBX used when neither --pbx nor PBX_URL names one.
const defaultURL = "mock://demo"

// app holds the global flags and the output streams of one run.
type app struct {
	stdout, stderr io.Writer

	url     string
	json    bool
	timeout time.Duration

	// ran is set once a command's RunE starts: an error before that comes
	// from cobra's parsing and validation, so it is a usage error.
	ran bool
}

// usageError is an error in the command line; it exits with status 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

// run runs pbxctl with the given arguments (without the program name) and
// returns the exit status. main calls it; so do the tests.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	a := &app{stdout: stdout, stderr: stderr}
	root := a.newRoot()
	if args == nil {
		args = []string{} // nil would make cobra read os.Args
	}
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	cmd, err := root.ExecuteContextC(ctx)
	if err == nil {
		return exitOK
	}
	code := exitFailure
	var ue *usageError
	if errors.As(err, &ue) || !a.ran {
		code = exitUsage
		if cmd == nil {
			cmd = root
		}
		path := cmd.CommandPath()
		if sub, ok := strings.CutPrefix(path, root.Name()+" "); ok {
			err = fmt.Errorf("%s: %w", sub, err)
		}
		err = fmt.Errorf("%w (see '%s --help')", err, path)
	}
	fmt.Fprintln(stderr, "pbxctl: "+oneLine(err.Error()))
	return code
}

// oneLine keeps an error message on one line whatever it quotes.
func oneLine(s string) string {
	s = strings.TrimSpace(s)
	return strings.NewReplacer("\r\n", "; ", "\n\n", "; ", "\r", `\r`, "\n", "; ").Replace(s)
}

func (a *app) newRoot() *cobra.Command {
	root := &cobra.Command{
		Use:   "pbxctl",
		Short: "Drive a PBX through pbxkit",
		Long: `pbxctl manages extensions, devices, calls, voicemail, conferences, queues
and call detail records of a PBX, and streams its events.

The PBX is chosen by URL: --pbx, else $PBX_URL, else ` + defaultURL + ` (an
in-memory demo PBX). Registered schemes: ` + strings.Join(pbx.DefaultURLMux().Schemes(), ", ") + `.

Exit status: 0 on success, 1 on errors from the PBX or library (invalid
input included), 2 on usage errors.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	a.group(root)
	root.CompletionOptions.HiddenDefaultCmd = true
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return &usageError{msg: err.Error()} })

	pf := root.PersistentFlags()
	// The default is resolved in pbxURL, not shown here: PBX_URL may hold
	// a password, which --help must not print.
	pf.StringVar(&a.url, "pbx", "", "PBX URL (default $PBX_URL, else "+defaultURL+")")
	pf.BoolVar(&a.json, "json", false, "print JSON instead of tables (durations in nanoseconds)")
	pf.DurationVar(&a.timeout, "timeout", 30*time.Second, "bound on each command's PBX requests (0: none)")

	root.AddCommand(
		a.extensionsCmd(),
		a.devicesCmd(),
		a.dndCmd(),
		a.callWaitingCmd(),
		a.forwardCmd(),
		a.followMeCmd(),
		a.callsCmd(),
		a.voicemailCmd(),
		a.conferencesCmd(),
		a.queuesCmd(),
		a.cdrCmd(),
		a.systemCmd(),
		a.capabilitiesCmd(),
		a.eventsCmd(),
	)
	return root
}

// group makes cmd a command that only holds subcommands: run without one,
// or with an unknown one, it is a usage error (cobra would print help and
// succeed).
func (a *app) group(cmd *cobra.Command) *cobra.Command {
	cmd.SuggestionsMinimumDistance = 2
	cmd.Args = func(cmd *cobra.Command, args []string) error {
		if len(args) == 0 {
			return nil
		}
		msg := fmt.Sprintf("unknown command %q", args[0])
		if s := cmd.SuggestionsFor(args[0]); len(s) > 0 {
			msg += fmt.Sprintf(" (did you mean %q?)", s[0])
		}
		return &usageError{msg: msg}
	}
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		var names []string
		for _, c := range cmd.Commands() {
			if c.IsAvailableCommand() {
				names = append(names, c.Name())
			}
		}
		return usagef("missing command: want one of %s", strings.Join(names, ", "))
	}
	return cmd
}

// action returns a RunE that marks the run as started, so that errors it
// returns count as failures rather than usage errors.
func (a *app) action(fn func(cmd *cobra.Command, args []string) error) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		a.ran = true
		return fn(cmd, args)
	}
}

// withClient returns a RunE that opens the PBX, runs fn with a context
// bounded by --timeout, and closes the PBX.
func (a *app) withClient(fn func(ctx context.Context, c *pbx.Client, args []string) error) func(*cobra.Command, []string) error {
	return a.action(func(cmd *cobra.Command, args []string) error {
		ctx, cancel := a.bound(cmd.Context())
		defer cancel()
		c, err := pbx.Open(ctx, a.pbxURL())
		if err != nil {
			return err
		}
		err = fn(ctx, c, args)
		if cerr := c.Close(); err == nil {
			err = cerr
		}
		return err
	})
}

// pbxURL returns the PBX's URL: --pbx, else $PBX_URL, else the demo.
func (a *app) pbxURL() string {
	if a.url != "" {
		return a.url
	}
	if u := os.Getenv("PBX_URL"); u != "" {
		return u
	}
	return defaultURL
}

// bound applies --timeout to ctx.
func (a *app) bound(ctx context.Context) (context.Context, context.CancelFunc) {
	if a.timeout > 0 {
		return context.WithTimeout(ctx, a.timeout)
	}
	return context.WithCancel(ctx)
}

// args returns a positional-argument validator for exactly the named
// arguments, with messages that name what is missing.
func args(names ...string) cobra.PositionalArgs {
	return func(_ *cobra.Command, got []string) error {
		if len(got) < len(names) {
			return usagef("missing argument %s", strings.Join(names[len(got):], " "))
		}
		if len(got) > len(names) {
			return usagef("unexpected argument %q", got[len(names)])
		}
		return nil
	}
}

// flagChanged reports whether the named flag was set on the command line.
func flagChanged(cmd *cobra.Command, name string) bool {
	f := cmd.Flags().Lookup(name)
	return f != nil && f.Changed
}

// enumValue is a flag whose values parse through one of package pbx's
// Parse functions, so that a bad value is a usage error naming the flag.
type enumValue[T any] struct {
	v     *T
	text  string
	parse func(string) (T, error)
	typ   string
}

func newEnum[T any](v *T, def string, typ string, parse func(string) (T, error)) *enumValue[T] {
	if def != "" {
		d, err := parse(def)
		if err != nil {
			panic(err)
		}
		*v = d
	}
	return &enumValue[T]{v: v, text: def, parse: parse, typ: typ}
}

func (e *enumValue[T]) String() string { return e.text }
func (e *enumValue[T]) Type() string   { return e.typ }
func (e *enumValue[T]) Set(s string) error {
	v, err := e.parse(s)
	if err != nil {
		return plainError(err)
	}
	*e.v, e.text = v, s
	return nil
}

// listValue is a comma-separated list flag whose items parse like enumValue.
type listValue[T any] struct {
	v     *[]T
	text  []string
	parse func(string) (T, error)
	typ   string
}

func newList[T any](v *[]T, typ string, parse func(string) (T, error)) *listValue[T] {
	return &listValue[T]{v: v, parse: parse, typ: typ}
}

func (l *listValue[T]) String() string { return strings.Join(l.text, ",") }
func (l *listValue[T]) Type() string   { return l.typ }
func (l *listValue[T]) Set(s string) error {
	for _, item := range strings.Split(s, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		v, err := l.parse(item)
		if err != nil {
			return plainError(err)
		}
		*l.v = append(*l.v, v)
		l.text = append(l.text, item)
	}
	return nil
}

var (
	_ pflag.Value = (*enumValue[int])(nil)
	_ pflag.Value = (*listValue[int])(nil)
)

// plainError strips the "pbx: invalid argument:" prefix of an error from a
// pbx.Parse function, for use inside a flag error.
func plainError(err error) error {
	var e *pbx.Error
	if errors.As(err, &e) && e.Err != nil && e.Op == "" {
		return e.Err
	}
	return err
}
