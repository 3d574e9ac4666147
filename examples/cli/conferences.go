package main

import (
	"context"
	"strconv"
	"time"

	"github.com/pbxkit/pbxkit/pbx"
	"github.com/spf13/cobra"
)

func (a *app) conferencesCmd() *cobra.Command {
	cmd := a.group(&cobra.Command{
		Use:     "conferences",
		Aliases: []string{"conf"},
		Short:   "List and control conference rooms",
	})
	participant := func(use, short, done string, fn func(context.Context, *pbx.ConferenceService, pbx.ConferenceID, pbx.ParticipantID) error) *cobra.Command {
		return &cobra.Command{
			Use:   use + " <room> <participant>",
			Short: short,
			Args:  args("<room>", "<participant>"),
			RunE: a.withClient(func(ctx context.Context, c *pbx.Client, args []string) error {
				room, p := pbx.ConferenceID(args[0]), pbx.ParticipantID(args[1])
				if err := fn(ctx, c.Conferences(), room, p); err != nil {
					return err
				}
				return a.output(map[string]any{"conference": room, "participant": p, "action": use}, func() error {
					return a.printf(done, p, room)
				})
			}),
		}
	}
	lock := func(use string, locked bool) *cobra.Command {
		return &cobra.Command{
			Use:   use + " <room>",
			Short: map[bool]string{true: "Lock a room: nobody new may join", false: "Unlock a room"}[locked],
			Args:  args("<room>"),
			RunE: a.withClient(func(ctx context.Context, c *pbx.Client, args []string) error {
				room := pbx.ConferenceID(args[0])
				if err := c.Conferences().Lock(ctx, room, locked); err != nil {
					return err
				}
				return a.output(map[string]any{"conference": room, "locked": locked}, func() error {
					return a.printf("room %s %sed", room, use)
				})
			}),
		}
	}
	cmd.AddCommand(
		&cobra.Command{
			Use:   "list",
			Short: "List active rooms",
			Args:  args(),
			RunE: a.withClient(func(ctx context.Context, c *pbx.Client, _ []string) error {
				rooms, err := c.Conferences().List(ctx)
				if err != nil {
					return err
				}
				return a.output(nonNil(rooms), func() error {
					t := a.table("ROOM", "PARTIES", "MARKED", "LOCKED", "STARTED", "DURATION")
					for _, r := range rooms {
						t.row(string(r.ID), strconv.Itoa(r.Parties), strconv.Itoa(r.Marked), yesNo(r.Locked),
							fmtTime(r.Started), since(r.Started))
					}
					return t.flush()
				})
			}),
		},
		&cobra.Command{
			Use:   "get <room>",
			Short: "Show a room and its participants",
			Args:  args("<room>"),
			RunE: a.withClient(func(ctx context.Context, c *pbx.Client, args []string) error {
				id := pbx.ConferenceID(args[0])
				room, err := c.Conferences().Get(ctx, id)
				if err != nil {
					return err
				}
				parts, err := c.Conferences().Participants(ctx, id)
				if err != nil {
					return err
				}
				v := map[string]any{"conference": room, "participants": nonNil(parts)}
				return a.output(v, func() error {
					if err := a.kv("Room", string(room.ID), "Parties", strconv.Itoa(room.Parties),
						"Marked", strconv.Itoa(room.Marked), "Locked", yesNo(room.Locked),
						"Started", fmtTime(room.Started)); err != nil {
						return err
					}
					if err := a.printf(""); err != nil {
						return err
					}
					t := a.table("PARTICIPANT", "CALLER", "CALL", "MUTED", "ADMIN", "MARKED", "TALKING", "JOINED")
					for _, p := range parts {
						t.row(string(p.ID), fmtParty(p.Caller), string(p.CallID), yesNo(p.Muted), yesNo(p.Admin),
							yesNo(p.Marked), yesNo(p.Talking), fmtTime(p.Joined))
					}
					return t.flush()
				})
			}),
		},
		a.joinCmd(),
		participant("kick", "Remove a participant from a room", "kicked %s from room %s",
			func(ctx context.Context, s *pbx.ConferenceService, r pbx.ConferenceID, p pbx.ParticipantID) error {
				return s.Kick(ctx, r, p)
			}),
		participant("mute", "Mute a participant", "muted %s in room %s",
			func(ctx context.Context, s *pbx.ConferenceService, r pbx.ConferenceID, p pbx.ParticipantID) error {
				return s.Mute(ctx, r, p, true)
			}),
		participant("unmute", "Unmute a participant", "unmuted %s in room %s",
			func(ctx context.Context, s *pbx.ConferenceService, r pbx.ConferenceID, p pbx.ParticipantID) error {
				return s.Mute(ctx, r, p, false)
			}),
		lock("lock", true),
		lock("unlock", false),
	)
	return cmd
}

// since prints how long ago t was as hh:mm:ss, or "" for the zero time.
func since(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return fmtClock(time.Since(t))
}

func (a *app) joinCmd() *cobra.Command {
	var opts pbx.JoinOptions
	cmd := &cobra.Command{
		Use:   "join <room> <ext>",
		Short: "Ring an extension and put it in a room once answered; prints the call ID",
		Args:  args("<room>", "<ext>"),
	}
	cmd.Flags().StringVar(&opts.CallerID.Name, "caller-id-name", "", `caller ID name shown on the phone (default "Conference <room>")`)
	cmd.Flags().StringVar(&opts.CallerID.Number, "caller-id-number", "", "caller ID number shown on the phone")
	cmd.Flags().BoolVar(&opts.AutoAnswer, "auto-answer", false, "ask the phone to answer by itself")
	cmd.RunE = a.withClient(func(ctx context.Context, c *pbx.Client, args []string) error {
		id, err := c.Conferences().Join(ctx, pbx.ConferenceID(args[0]), pbx.ExtensionID(args[1]), &opts)
		if err != nil {
			return err
		}
		return a.printCallID(id)
	})
	return cmd
}
