package main

import (
	"context"
	"fmt"
	"time"

	"github.com/pbxkit/pbxkit/pbx"
	"github.com/spf13/cobra"
)

func (a *app) eventsCmd() *cobra.Command {
	var (
		follow bool
		window time.Duration
		f      pbx.EventFilter
		anyOf  bool
		scope  scopeFlags
	)
	cmd := &cobra.Command{
		Use:   "events [--follow] [--kind call.started,...] [--ext E]",
		Short: "Print PBX events as JSON lines",
		Long: `Print the PBX's events, one JSON object per line, each with its "kind"
(such as "call.started"). Without --follow, print what arrives within --for
and exit; with --follow, run until interrupted (Ctrl-C exits with status 0).

Filters narrow the stream: each given filter must match, and within a filter
any value matches. With --any, an event passes when any one of --ext, --call,
--mailbox, --conference and --queue matches (--kind still applies). Stream
events (backend.disconnected, backend.reconnected, events.dropped) always pass.`,
		Example: `  pbxctl --pbx 'mock://demo?activity=1s' events --follow
  pbxctl events --follow --kind call.started,call.ended --ext 1010
  pbxctl events --follow --any --ext 1010 --conference 400`,
		Args: args(),
	}
	fl := cmd.Flags()
	fl.BoolVarP(&follow, "follow", "f", false, "print events until interrupted")
	fl.DurationVar(&window, "for", 2*time.Second, "without --follow, how long to wait for events")
	fl.Var(newList(&f.Kinds, "kinds", pbx.ParseEventKind), "kind", "only these event kinds, comma-separated")
	fl.StringSliceVar(&scope.exts, "ext", nil, "only events about these extensions")
	fl.StringSliceVar(&scope.calls, "call", nil, "only events about these calls (leg or linked ID)")
	fl.StringSliceVar(&scope.boxes, "mailbox", nil, "only events about these mailboxes")
	fl.StringSliceVar(&scope.rooms, "conference", nil, "only events about these conference rooms")
	fl.StringSliceVar(&scope.queues, "queue", nil, "only events about these queues")
	fl.BoolVar(&anyOf, "any", false, "pass events that match any one of --ext, --call, --mailbox, --conference, --queue")

	cmd.RunE = a.action(func(cmd *cobra.Command, _ []string) error {
		scope.apply(&f, anyOf)

		// --timeout bounds connecting; the stream runs until the window
		// closes or the command is interrupted.
		octx, cancel := a.bound(cmd.Context())
		c, err := pbx.Open(octx, a.pbxURL())
		cancel()
		if err != nil {
			return err
		}
		defer c.Close()
		sub, err := c.Subscribe(cmd.Context(), &f, nil)
		if err != nil {
			return err
		}
		defer sub.Close()

		ctx := cmd.Context()
		if follow {
			// Nothing that happens from now on is missed: say so, for
			// whoever starts a call once the stream is up.
			fmt.Fprintln(a.stderr, "pbxctl: following events; interrupt to stop")
		} else {
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(ctx, window)
			defer cancel()
		}
		for {
			e, err := sub.Next(ctx)
			if err != nil {
				if ctx.Err() != nil {
					return nil // the window closed, or we were interrupted
				}
				return err
			}
			line, err := pbx.MarshalEvent(e)
			if err != nil {
				return err
			}
			// One Write per line: stdout is unbuffered, so each event
			// reaches a pipe as soon as it happens.
			if _, err := a.stdout.Write(append(line, '\n')); err != nil {
				return err
			}
			if fl, ok := a.stdout.(interface{ Flush() error }); ok {
				if err := fl.Flush(); err != nil {
					return err
				}
			}
		}
	})
	return cmd
}

// ids converts strings to one of package pbx's ID types.
func ids[T ~string](s []string) []T {
	out := make([]T, 0, len(s))
	for _, v := range s {
		out = append(out, T(v))
	}
	return out
}

// scopeFlags are the events command's filters by subject.
type scopeFlags struct {
	exts, calls, boxes, rooms, queues []string
}

// apply sets f's subject filters: all of them must match, or with anyOf,
// one of them (each becomes an alternative of f.AnyOf).
func (s scopeFlags) apply(f *pbx.EventFilter, anyOf bool) {
	parts := []pbx.EventFilter{
		{Extensions: ids[pbx.ExtensionID](s.exts)},
		{Calls: ids[pbx.CallID](s.calls)},
		{Mailboxes: ids[pbx.MailboxID](s.boxes)},
		{Conferences: ids[pbx.ConferenceID](s.rooms)},
		{Queues: ids[pbx.QueueID](s.queues)},
	}
	if !anyOf {
		f.Extensions, f.Calls, f.Mailboxes = parts[0].Extensions, parts[1].Calls, parts[2].Mailboxes
		f.Conferences, f.Queues = parts[3].Conferences, parts[4].Queues
		return
	}
	for _, p := range parts {
		if len(p.Extensions)+len(p.Calls)+len(p.Mailboxes)+len(p.Conferences)+len(p.Queues) > 0 {
			f.AnyOf = append(f.AnyOf, p)
		}
	}
}
