package main

import (
	"context"
	"strconv"

	"github.com/pbxkit/pbxkit/pbx"
	"github.com/spf13/cobra"
)

func (a *app) queuesCmd() *cobra.Command {
	cmd := a.group(&cobra.Command{
		Use:   "queues",
		Short: "List queues and manage their members",
	})
	cmd.AddCommand(
		&cobra.Command{
			Use:   "list",
			Short: "List queues with their statistics",
			Args:  args(),
			RunE: a.withClient(func(ctx context.Context, c *pbx.Client, _ []string) error {
				qs, err := c.Queues().List(ctx)
				if err != nil {
					return err
				}
				for i := range qs {
					qs[i].Members, qs[i].Callers = nonNil(qs[i].Members), nonNil(qs[i].Callers)
				}
				return a.output(nonNil(qs), func() error {
					t := a.table("QUEUE", "STRATEGY", "WAITING", "MEMBERS", "PAUSED", "COMPLETED", "ABANDONED", "HOLD", "TALK")
					for _, q := range qs {
						paused := 0
						for _, m := range q.Members {
							if m.Paused {
								paused++
							}
						}
						t.row(string(q.ID), q.Strategy.String(), strconv.Itoa(q.Waiting), strconv.Itoa(len(q.Members)),
							strconv.Itoa(paused), strconv.Itoa(q.Completed), strconv.Itoa(q.Abandoned),
							fmtClock(q.HoldTime), fmtClock(q.TalkTime))
					}
					return t.flush()
				})
			}),
		},
		&cobra.Command{
			Use:   "get <queue>",
			Short: "Show a queue with its members and waiting callers",
			Args:  args("<queue>"),
			RunE: a.withClient(func(ctx context.Context, c *pbx.Client, args []string) error {
				q, err := c.Queues().Get(ctx, pbx.QueueID(args[0]))
				if err != nil {
					return err
				}
				q.Members, q.Callers = nonNil(q.Members), nonNil(q.Callers)
				return a.output(q, func() error { return a.printQueue(q) })
			}),
		},
		a.queueAddCmd(),
		a.queueMemberCmd("remove", "Remove a member from a queue", "removed %s from queue %s", func(ctx context.Context, s *pbx.QueueService, q pbx.QueueID, iface, _ string) error {
			return s.RemoveMember(ctx, q, iface)
		}),
		a.queueMemberCmd("pause", "Pause a member", "paused %s in queue %s", func(ctx context.Context, s *pbx.QueueService, q pbx.QueueID, iface, reason string) error {
			return s.PauseMember(ctx, q, iface, true, reason)
		}),
		a.queueMemberCmd("unpause", "Unpause a member", "unpaused %s in queue %s", func(ctx context.Context, s *pbx.QueueService, q pbx.QueueID, iface, reason string) error {
			return s.PauseMember(ctx, q, iface, false, reason)
		}),
	)
	return cmd
}

func (a *app) printQueue(q *pbx.Queue) error {
	if err := a.kv("Queue", string(q.ID), "Strategy", q.Strategy.String(), "Waiting", strconv.Itoa(q.Waiting),
		"Completed", strconv.Itoa(q.Completed), "Abandoned", strconv.Itoa(q.Abandoned),
		"Hold time", fmtClock(q.HoldTime), "Talk time", fmtClock(q.TalkTime)); err != nil {
		return err
	}
	if err := a.printf(""); err != nil {
		return err
	}
	t := a.table("INTERFACE", "NAME", "PENALTY", "STATUS", "PAUSED", "REASON", "CALLS", "LAST CALL", "DYNAMIC")
	for _, m := range q.Members {
		t.row(m.Interface, m.Name, strconv.Itoa(m.Penalty), m.Status.String(), yesNo(m.Paused), m.PauseReason,
			strconv.Itoa(m.CallsTaken), fmtTime(m.LastCall), yesNo(m.Dynamic))
	}
	if err := t.flush(); err != nil {
		return err
	}
	if len(q.Callers) == 0 {
		return nil
	}
	if err := a.printf(""); err != nil {
		return err
	}
	t = a.table("POS", "CALLER", "CALL", "CHANNEL", "WAITING")
	for _, c := range q.Callers {
		t.row(strconv.Itoa(c.Position), fmtParty(c.Caller), string(c.CallID), c.Channel, since(c.Joined))
	}
	return t.flush()
}

func (a *app) queueAddCmd() *cobra.Command {
	var m pbx.QueueMember
	cmd := &cobra.Command{
		Use:   "add <queue> <interface>",
		Short: "Add a member (an interface such as PJSIP/1010) to a queue",
		Args:  args("<queue>", "<interface>"),
	}
	cmd.Flags().StringVar(&m.Name, "name", "", "member name")
	cmd.Flags().IntVar(&m.Penalty, "penalty", 0, "penalty (members with lower penalties ring first)")
	cmd.Flags().BoolVar(&m.Paused, "paused", false, "add the member paused")
	cmd.RunE = a.withClient(func(ctx context.Context, c *pbx.Client, args []string) error {
		q := pbx.QueueID(args[0])
		m.Interface = args[1]
		if err := c.Queues().AddMember(ctx, q, m); err != nil {
			return err
		}
		return a.output(map[string]any{"queue": q, "interface": m.Interface, "action": "add"}, func() error {
			return a.printf("added %s to queue %s", m.Interface, q)
		})
	})
	return cmd
}

func (a *app) queueMemberCmd(use, short, done string, fn func(context.Context, *pbx.QueueService, pbx.QueueID, string, string) error) *cobra.Command {
	var reason string
	cmd := &cobra.Command{
		Use:   use + " <queue> <interface>",
		Short: short,
		Args:  args("<queue>", "<interface>"),
	}
	if use != "remove" {
		cmd.Flags().StringVar(&reason, "reason", "", "reason, shown in queue statistics")
	}
	cmd.RunE = a.withClient(func(ctx context.Context, c *pbx.Client, args []string) error {
		q, iface := pbx.QueueID(args[0]), args[1]
		if err := fn(ctx, c.Queues(), q, iface, reason); err != nil {
			return err
		}
		return a.output(map[string]any{"queue": q, "interface": iface, "action": use}, func() error {
			return a.printf(done, iface, q)
		})
	})
	return cmd
}
