package main

import (
	"context"

	"github.com/pbxkit/pbxkit/pbx"
	"github.com/spf13/cobra"
)

func (a *app) extensionsCmd() *cobra.Command {
	cmd := a.group(&cobra.Command{
		Use:     "extensions",
		Aliases: []string{"ext"},
		Short:   "List and manage extensions",
	})
	cmd.AddCommand(
		&cobra.Command{
			Use:   "list",
			Short: "List extensions",
			Args:  args(),
			RunE: a.withClient(func(ctx context.Context, c *pbx.Client, _ []string) error {
				exts, err := c.Extensions().List(ctx)
				if err != nil {
					return err
				}
				return a.output(nonNil(exts), func() error {
					t := a.table("EXT", "NAME", "TECH", "CONTEXT", "MAILBOX", "DIAL", "RING")
					for _, e := range exts {
						t.row(string(e.ID), e.Name, e.Tech.String(), e.Context, string(e.Mailbox), e.Dial, fmtDur(e.RingTime))
					}
					return t.flush()
				})
			}),
		},
		&cobra.Command{
			Use:   "get <ext>",
			Short: "Show an extension",
			Args:  args("<ext>"),
			RunE: a.withClient(func(ctx context.Context, c *pbx.Client, args []string) error {
				e, err := c.Extensions().Get(ctx, pbx.ExtensionID(args[0]))
				if err != nil {
					return err
				}
				return a.printExtension(e)
			}),
		},
		a.extensionWriteCmd(true),
		a.extensionWriteCmd(false),
		&cobra.Command{
			Use:   "delete <ext>",
			Short: "Delete an extension",
			Args:  args("<ext>"),
			RunE: a.withClient(func(ctx context.Context, c *pbx.Client, args []string) error {
				id := pbx.ExtensionID(args[0])
				if err := c.Extensions().Delete(ctx, id); err != nil {
					return err
				}
				return a.output(map[string]any{"id": id, "deleted": true}, func() error {
					return a.printf("deleted extension %s", id)
				})
			}),
		},
		&cobra.Command{
			Use:   "reset-secret <ext>",
			Short: "Give an extension's device a new random SIP secret and print it",
			Args:  args("<ext>"),
			RunE: a.withClient(func(ctx context.Context, c *pbx.Client, args []string) error {
				id := pbx.ExtensionID(args[0])
				secret, err := c.Extensions().ResetSecret(ctx, id)
				if err != nil {
					return err
				}
				return a.printSecret(id, secret)
			}),
		},
		&cobra.Command{
			Use:   "reveal-secret <ext>",
			Short: "Print an extension's current SIP secret",
			Args:  args("<ext>"),
			RunE: a.withClient(func(ctx context.Context, c *pbx.Client, args []string) error {
				id := pbx.ExtensionID(args[0])
				secret, err := c.Extensions().RevealSecret(ctx, id)
				if err != nil {
					return err
				}
				return a.printSecret(id, secret)
			}),
		},
	)
	return cmd
}

// extensionWriteCmd builds "create" or "update". Update reads the extension
// and changes only the fields whose flags are given, since the library's
// Update replaces every field.
func (a *app) extensionWriteCmd(create bool) *cobra.Command {
	var (
		e      pbx.Extension
		secret string
	)
	cmd := &cobra.Command{
		Use:   "create <ext>",
		Short: "Create an extension (prints its SIP secret, random unless --secret)",
		Args:  args("<ext>"),
	}
	if !create {
		cmd.Use, cmd.Short = "update <ext>", "Change an extension's settings (only those whose flags are given)"
	}
	f := cmd.Flags()
	f.StringVar(&e.Name, "name", "", "display name")
	f.Var(newEnum(&e.Tech, "", "tech", pbx.ParseTechnology), "tech", "device technology: pjsip, sip, iax2, freeswitch or virtual (default: the backend's)")
	f.StringVar(&e.Context, "context", "", "dialplan context (default: the backend's, such as from-internal)")
	f.StringVar((*string)(&e.Mailbox), "mailbox", "", "voicemail box, such as 1001 or 1001@default (empty: none)")
	f.StringVar(&secret, "secret", "", "SIP secret (create: default random; update: default unchanged)")
	f.DurationVar(&e.RingTime, "ring-time", 0, "how long the extension rings, such as 20s (0: the PBX default)")
	f.StringVar(&e.OutboundCallerID, "outbound-caller-id", "", `caller ID on outside calls, such as '"Alice" <+15550001001>'`)
	f.StringVar(&e.NoAnswerDestination, "noanswer-destination", "", "where unanswered calls go (backend syntax; empty: voicemail)")

	cmd.RunE = a.withClient(func(ctx context.Context, c *pbx.Client, args []string) error {
		e.ID = pbx.ExtensionID(args[0])
		e.Secret = pbx.Secret(secret)
		if create {
			created, secret, err := c.Extensions().Create(ctx, e)
			if err != nil {
				return err
			}
			return a.output(map[string]any{"extension": created, "secret": secret}, func() error {
				return a.extensionKV(created, "Secret", secret)
			})
		}
		cur, err := c.Extensions().Get(ctx, e.ID)
		if err != nil {
			return err
		}
		for name, set := range map[string]func(){
			"name":                 func() { cur.Name = e.Name },
			"tech":                 func() { cur.Tech = e.Tech },
			"context":              func() { cur.Context = e.Context },
			"mailbox":              func() { cur.Mailbox = e.Mailbox },
			"secret":               func() { cur.Secret = e.Secret },
			"ring-time":            func() { cur.RingTime = e.RingTime },
			"outbound-caller-id":   func() { cur.OutboundCallerID = e.OutboundCallerID },
			"noanswer-destination": func() { cur.NoAnswerDestination = e.NoAnswerDestination },
		} {
			if flagChanged(cmd, name) {
				set()
			}
		}
		updated, err := c.Extensions().Update(ctx, *cur)
		if err != nil {
			return err
		}
		return a.printExtension(updated)
	})
	return cmd
}

func (a *app) printExtension(e *pbx.Extension) error {
	return a.output(e, func() error { return a.extensionKV(e) })
}

// extensionKV prints an extension's fields, then the extra pairs.
func (a *app) extensionKV(e *pbx.Extension, extra ...string) error {
	return a.kv(append([]string{
		"Extension", string(e.ID),
		"Name", e.Name,
		"Tech", e.Tech.String(),
		"Context", e.Context,
		"Mailbox", string(e.Mailbox),
		"Dial", e.Dial,
		"Ring time", fmtDur(e.RingTime),
		"Outbound caller ID", e.OutboundCallerID,
		"No-answer destination", e.NoAnswerDestination,
	}, extra...)...)
}

func (a *app) printSecret(id pbx.ExtensionID, secret string) error {
	return a.output(map[string]any{"extension": id, "secret": secret}, func() error {
		return a.printf("%s", secret)
	})
}
