package main

import (
	"context"
	"strings"
	"time"

	"github.com/pbxkit/pbxkit/pbx"
	"github.com/spf13/cobra"
)

func (a *app) callsCmd() *cobra.Command {
	cmd := a.group(&cobra.Command{
		Use:   "calls",
		Short: "List, place, transfer and hang up calls",
	})
	cmd.AddCommand(a.callsListCmd(), a.callsGetCmd(), a.originateCmd(), a.callMeCmd(), a.hangupCmd(), a.transferCmd())
	return cmd
}

func (a *app) callsListCmd() *cobra.Command {
	var ext string
	cmd := &cobra.Command{
		Use:   "list [--ext E]",
		Short: "List live call legs, oldest first",
		Args:  args(),
	}
	cmd.Flags().StringVar(&ext, "ext", "", "only the legs on this extension's device")
	cmd.RunE = a.withClient(func(ctx context.Context, c *pbx.Client, _ []string) error {
		var f *pbx.CallFilter
		if flagChanged(cmd, "ext") {
			f = &pbx.CallFilter{Extension: pbx.ExtensionID(ext)}
		}
		calls, err := c.Calls().List(ctx, f)
		if err != nil {
			return err
		}
		return a.output(nonNil(calls), func() error { return a.callTable(calls) })
	})
	return cmd
}

func (a *app) callTable(calls []pbx.Call) error {
	t := a.table("ID", "EXT", "CHANNEL", "STATE", "CALLER", "CONNECTED", "APPLICATION", "DURATION")
	for _, c := range calls {
		t.row(string(c.ID), string(c.Extension), c.Channel, c.State.String(), fmtParty(c.Caller), fmtParty(c.Connected),
			application(c.Application, c.ApplicationData), fmtClock(c.Duration))
	}
	return t.flush()
}

// application prints a dialplan application with its data: "Dial(PJSIP/1003,30)".
func application(app, data string) string {
	if app == "" || data == "" {
		return app
	}
	return app + "(" + data + ")"
}

func (a *app) callsGetCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "get <id>",
		Short: "Show a call leg",
		Args:  args("<id>"),
		RunE: a.withClient(func(ctx context.Context, c *pbx.Client, args []string) error {
			call, err := c.Calls().Get(ctx, pbx.CallID(args[0]))
			if err != nil {
				return err
			}
			return a.output(call, func() error {
				return a.kv(
					"ID", string(call.ID),
					"Linked ID", string(call.LinkedID),
					"Channel", call.Channel,
					"Extension", string(call.Extension),
					"State", call.State.String(),
					"Caller", fmtParty(call.Caller),
					"Connected", fmtParty(call.Connected),
					"Started", fmtTime(call.Started),
					"Answered", fmtTime(call.Answered),
					"Duration", fmtClock(call.Duration),
					"Application", application(call.Application, call.ApplicationData),
					"Dialplan", strings.Trim(call.Context+","+call.Exten, ","),
					"Bridge", call.BridgeID,
					"Account code", call.AccountCode,
				)
			})
		}),
	}
}

func (a *app) printCallID(id pbx.CallID) error {
	return a.output(map[string]any{"id": id}, func() error { return a.printf("%s", id) })
}

func (a *app) originateCmd() *cobra.Command {
	var (
		req  pbx.OriginateRequest
		vars []string
	)
	cmd := &cobra.Command{
		Use:   "originate (--from E | --from-endpoint PJSIP/1010) [--to N] [--mode dial|hold|echo|conference|park]",
		Short: "Place a call: ring --from, then connect it as --mode says; prints the call ID",
		Long: `Place a call: ring the --from extension (or --from-endpoint), and once it
answers dial --to (mode dial), put it in room --to (mode conference), play
music on hold (hold), echo its audio (echo) or park it (park). Prints the new
call's ID. Here --timeout is how long the phone rings.`,
		Example: `  pbxctl calls originate --from 1010 --to 1002
  pbxctl calls originate --from-endpoint PJSIP/1010 --mode echo
  pbxctl calls originate --from 1001 --to 400 --mode conference --var LANGUAGE=fr`,
		Args: args(),
	}
	f := cmd.Flags()
	f.StringVar((*string)(&req.From), "from", "", "extension to ring first")
	f.StringVar(&req.FromEndpoint, "from-endpoint", "", "endpoint to ring first instead, such as PJSIP/1010")
	f.StringVar(&req.To, "to", "", "number to dial (dial mode) or conference room (conference mode)")
	f.Var(newEnum(&req.Mode, "dial", "mode", pbx.ParseCallMode), "mode", "dial, hold, echo, conference or park")
	f.StringVar(&req.Context, "context", "", "dialplan context to dial --to in (default: the backend's)")
	f.StringVar(&req.CallerID.Name, "caller-id-name", "", "caller ID name shown on the ringing phone")
	f.StringVar(&req.CallerID.Number, "caller-id-number", "", "caller ID number shown on the ringing phone")
	f.DurationVar(&req.Timeout, "timeout", 30*time.Second, "how long the phone rings")
	f.StringArrayVar(&vars, "var", nil, "channel variable name=value (repeatable)")
	f.StringVar(&req.AccountCode, "account-code", "", "account code for the CDR")
	f.StringVar((*string)(&req.ID), "id", "", "call ID to give the call (default: a new random one)")
	f.BoolVar(&req.AutoAnswer, "auto-answer", false, "ask the phone to answer by itself")
	cmd.MarkFlagsOneRequired("from", "from-endpoint")
	cmd.MarkFlagsMutuallyExclusive("from", "from-endpoint")
	cmd.PreRunE = func(*cobra.Command, []string) error {
		for _, v := range vars {
			name, value, ok := strings.Cut(v, "=")
			if !ok {
				return usagef("--var %q: want name=value", v)
			}
			if req.Variables == nil {
				req.Variables = map[string]string{}
			}
			req.Variables[name] = value
		}
		return nil
	}
	cmd.RunE = a.withClient(func(ctx context.Context, c *pbx.Client, _ []string) error {
		id, err := c.Calls().Originate(ctx, req)
		if err != nil {
			return err
		}
		return a.printCallID(id)
	})
	return cmd
}

func (a *app) callMeCmd() *cobra.Command {
	var req pbx.CallMeRequest
	cmd := &cobra.Command{
		Use:   "callme <ext> [--mode hold|echo]",
		Short: "Ring an extension and play music on hold or echo its audio once answered; prints the call ID",
		Args:  args("<ext>"),
	}
	f := cmd.Flags()
	f.Var(newEnum(&req.Mode, "hold", "mode", pbx.ParseCallMode), "mode", "hold (music on hold) or echo")
	f.StringVar(&req.CallerID.Name, "caller-id-name", "", `caller ID name shown on the phone (default: "Call Me Test (...)")`)
	f.StringVar(&req.CallerID.Number, "caller-id-number", "", "caller ID number shown on the phone")
	f.DurationVar(&req.Timeout, "timeout", 30*time.Second, "how long the phone rings")
	f.BoolVar(&req.AutoAnswer, "auto-answer", false, "ask the phone to answer by itself")
	cmd.RunE = a.withClient(func(ctx context.Context, c *pbx.Client, args []string) error {
		id, err := c.Calls().CallMe(ctx, pbx.ExtensionID(args[0]), req)
		if err != nil {
			return err
		}
		return a.printCallID(id)
	})
	return cmd
}

func (a *app) hangupCmd() *cobra.Command {
	var ext string
	cmd := &cobra.Command{
		Use:   "hangup (<id> | --ext E)",
		Short: "Hang up a call leg, or every leg on an extension",
		Args: func(_ *cobra.Command, got []string) error {
			if len(got) > 1 {
				return usagef("unexpected argument %q", got[1])
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&ext, "ext", "", "hang up every leg on this extension's device")
	cmd.PreRunE = func(_ *cobra.Command, args []string) error {
		switch byExt := flagChanged(cmd, "ext"); {
		case len(args) == 0 && !byExt:
			return usagef("missing argument: want a call ID or --ext")
		case len(args) == 1 && byExt:
			return usagef("give a call ID or --ext, not both")
		}
		return nil
	}
	cmd.RunE = a.withClient(func(ctx context.Context, c *pbx.Client, args []string) error {
		if len(args) == 1 {
			id := pbx.CallID(args[0])
			if err := c.Calls().Hangup(ctx, id); err != nil {
				return err
			}
			return a.output(map[string]any{"id": id, "hungUp": true}, func() error {
				return a.printf("hung up %s", id)
			})
		}
		calls, err := c.Calls().HangupExtension(ctx, pbx.ExtensionID(ext))
		if err != nil {
			return err
		}
		return a.output(nonNil(calls), func() error {
			if len(calls) == 0 {
				return a.printf("no calls on %s", ext)
			}
			return a.callTable(calls)
		})
	})
	return cmd
}

func (a *app) transferCmd() *cobra.Command {
	var dialContext string
	cmd := &cobra.Command{
		Use:   "transfer <id> <to>",
		Short: "Blind-transfer a call leg to a number",
		Args:  args("<id>", "<to>"),
	}
	cmd.Flags().StringVar(&dialContext, "context", "", "dialplan context to dial <to> in (default: the backend's)")
	cmd.RunE = a.withClient(func(ctx context.Context, c *pbx.Client, args []string) error {
		id, to := pbx.CallID(args[0]), args[1]
		if err := c.Calls().Transfer(ctx, id, to, dialContext); err != nil {
			return err
		}
		return a.output(map[string]any{"id": id, "to": to}, func() error {
			return a.printf("transferred %s to %s", id, to)
		})
	})
	return cmd
}
