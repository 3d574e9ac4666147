package main

import (
	"context"
	"strconv"
	"strings"

	"github.com/pbxkit/pbxkit/pbx"
	"github.com/spf13/cobra"
)

func (a *app) devicesCmd() *cobra.Command {
	cmd := a.group(&cobra.Command{
		Use:     "devices",
		Aliases: []string{"dev"},
		Short:   "Show device states and registrations",
	})
	cmd.AddCommand(
		&cobra.Command{
			Use:   "list",
			Short: "List devices with their state and registered contacts",
			Args:  args(),
			RunE: a.withClient(func(ctx context.Context, c *pbx.Client, _ []string) error {
				devs, err := c.Devices().List(ctx)
				if err != nil {
					return err
				}
				return a.output(nonNil(devs), func() error {
					t := a.table("EXT", "DEVICE", "STATE", "USER AGENT", "IP", "PORT", "RTT", "STATUS")
					for _, d := range devs {
						if len(d.Contacts) == 0 {
							t.row(string(d.Extension), d.Name, d.State.String(), "", "", "", "", "")
						}
						for _, ct := range d.Contacts {
							t.row(string(d.Extension), d.Name, d.State.String(), ct.UserAgent, ct.IP, port(ct.Port),
								fmtDur(ct.RTT), ct.Status.String())
						}
					}
					return t.flush()
				})
			}),
		},
		&cobra.Command{
			Use:   "get <ext>",
			Short: "Show an extension's device: state and contacts (user agent, IP, port, RTT)",
			Args:  args("<ext>"),
			RunE: a.withClient(func(ctx context.Context, c *pbx.Client, args []string) error {
				d, err := c.Devices().Get(ctx, pbx.ExtensionID(args[0]))
				if err != nil {
					return err
				}
				d.Contacts = nonNil(d.Contacts)
				return a.output(d, func() error {
					if err := a.kv("Extension", string(d.Extension), "Device", d.Name, "State", d.State.String(),
						"Contacts", strconv.Itoa(len(d.Contacts))); err != nil {
						return err
					}
					if len(d.Contacts) == 0 {
						return nil
					}
					if err := a.printf(""); err != nil {
						return err
					}
					t := a.table("URI", "USER AGENT", "IP", "PORT", "RTT", "STATUS", "EXPIRES")
					for _, ct := range d.Contacts {
						t.row(ct.URI, ct.UserAgent, ct.IP, port(ct.Port), fmtDur(ct.RTT), ct.Status.String(), fmtTime(ct.Expires))
					}
					return t.flush()
				})
			}),
		},
	)
	return cmd
}

func port(p int) string {
	if p == 0 {
		return ""
	}
	return strconv.Itoa(p)
}

func (a *app) dndCmd() *cobra.Command {
	return a.toggleCmd("dnd", "do-not-disturb", "DND",
		func(ctx context.Context, c *pbx.Client, ext pbx.ExtensionID) (bool, error) {
			return c.Devices().DND(ctx, ext)
		},
		func(ctx context.Context, c *pbx.Client, ext pbx.ExtensionID, on bool) error {
			return c.Devices().SetDND(ctx, ext, on)
		})
}

func (a *app) callWaitingCmd() *cobra.Command {
	return a.toggleCmd("callwaiting", "call waiting", "call waiting",
		func(ctx context.Context, c *pbx.Client, ext pbx.ExtensionID) (bool, error) {
			return c.Devices().CallWaiting(ctx, ext)
		},
		func(ctx context.Context, c *pbx.Client, ext pbx.ExtensionID, on bool) error {
			return c.Devices().SetCallWaiting(ctx, ext, on)
		})
}

// toggleCmd is a group of get, on and off for a per-extension switch: what
// it is called in help texts, label in output lines, and name as the JSON
// key (the command's own name).
func (a *app) toggleCmd(name, what, label string,
	get func(context.Context, *pbx.Client, pbx.ExtensionID) (bool, error),
	set func(context.Context, *pbx.Client, pbx.ExtensionID, bool) error) *cobra.Command {
	cmd := a.group(&cobra.Command{
		Use:   name,
		Short: "Show or switch " + what,
	})
	show := func(ext pbx.ExtensionID, on bool) error {
		return a.output(map[string]any{"extension": ext, name: on}, func() error {
			return a.printf("%s: %s %s", ext, label, onOff(on))
		})
	}
	switchTo := func(on bool) func(context.Context, *pbx.Client, []string) error {
		return func(ctx context.Context, c *pbx.Client, args []string) error {
			ext := pbx.ExtensionID(args[0])
			if err := set(ctx, c, ext, on); err != nil {
				return err
			}
			return show(ext, on)
		}
	}
	cmd.AddCommand(
		&cobra.Command{
			Use:   "get <ext>",
			Short: "Show whether " + what + " is on",
			Args:  args("<ext>"),
			RunE: a.withClient(func(ctx context.Context, c *pbx.Client, args []string) error {
				ext := pbx.ExtensionID(args[0])
				on, err := get(ctx, c, ext)
				if err != nil {
					return err
				}
				return show(ext, on)
			}),
		},
		&cobra.Command{Use: "on <ext>", Short: "Switch " + what + " on", Args: args("<ext>"), RunE: a.withClient(switchTo(true))},
		&cobra.Command{Use: "off <ext>", Short: "Switch " + what + " off", Args: args("<ext>"), RunE: a.withClient(switchTo(false))},
	)
	return cmd
}

func (a *app) forwardCmd() *cobra.Command {
	cmd := a.group(&cobra.Command{
		Use:   "forward",
		Short: "Show or set call forwarding",
	})
	show := func(f pbx.CallForward) error {
		return a.output(f, func() error {
			off := func(s string) string {
				if s == "" {
					return "off"
				}
				return s
			}
			return a.kv("Always", off(f.Always), "Busy", off(f.Busy), "No answer", off(f.NoAnswer))
		})
	}
	var nf pbx.CallForward
	set := &cobra.Command{
		Use:   "set <ext> [--always N] [--busy N] [--noanswer N]",
		Short: "Change call forwarding; flags not given are kept, an empty number switches that kind off",
		Args:  args("<ext>"),
	}
	set.Flags().StringVar(&nf.Always, "always", "", "forward every call to this number")
	set.Flags().StringVar(&nf.Busy, "busy", "", "forward calls while busy to this number")
	set.Flags().StringVar(&nf.NoAnswer, "noanswer", "", "forward unanswered calls to this number")
	set.PreRunE = func(*cobra.Command, []string) error {
		if !flagChanged(set, "always") && !flagChanged(set, "busy") && !flagChanged(set, "noanswer") {
			return usagef("nothing to set: give --always, --busy or --noanswer")
		}
		return nil
	}
	set.RunE = a.withClient(func(ctx context.Context, c *pbx.Client, args []string) error {
		ext := pbx.ExtensionID(args[0])
		f, err := c.Devices().Forward(ctx, ext)
		if err != nil {
			return err
		}
		if flagChanged(set, "always") {
			f.Always = nf.Always
		}
		if flagChanged(set, "busy") {
			f.Busy = nf.Busy
		}
		if flagChanged(set, "noanswer") {
			f.NoAnswer = nf.NoAnswer
		}
		if err := c.Devices().SetForward(ctx, ext, f); err != nil {
			return err
		}
		return show(f)
	})
	cmd.AddCommand(
		&cobra.Command{
			Use:   "get <ext>",
			Short: "Show call forwarding",
			Args:  args("<ext>"),
			RunE: a.withClient(func(ctx context.Context, c *pbx.Client, args []string) error {
				f, err := c.Devices().Forward(ctx, pbx.ExtensionID(args[0]))
				if err != nil {
					return err
				}
				return show(f)
			}),
		},
		set,
	)
	return cmd
}

func (a *app) followMeCmd() *cobra.Command {
	cmd := a.group(&cobra.Command{
		Use:   "followme",
		Short: "Show or set follow-me",
	})
	show := func(f *pbx.FollowMe) error {
		f.Numbers = nonNil(f.Numbers)
		return a.output(f, func() error {
			return a.kv("Enabled", yesNo(f.Enabled), "Numbers", strings.Join(f.Numbers, ", "), "Ring time", fmtDur(f.RingTime))
		})
	}
	var nf pbx.FollowMe
	set := &cobra.Command{
		Use:   "set <ext> [--enabled] [--numbers a,b] [--ring-time 20s]",
		Short: "Change follow-me; flags not given are kept",
		Args:  args("<ext>"),
	}
	set.Flags().BoolVar(&nf.Enabled, "enabled", false, "switch follow-me on (--enabled=false: off)")
	set.Flags().StringSliceVar(&nf.Numbers, "numbers", nil, "numbers to ring in order, comma-separated")
	set.Flags().DurationVar(&nf.RingTime, "ring-time", 0, "how long each step rings (0: the PBX default)")
	set.PreRunE = func(*cobra.Command, []string) error {
		if !flagChanged(set, "enabled") && !flagChanged(set, "numbers") && !flagChanged(set, "ring-time") {
			return usagef("nothing to set: give --enabled, --numbers or --ring-time")
		}
		return nil
	}
	set.RunE = a.withClient(func(ctx context.Context, c *pbx.Client, args []string) error {
		ext := pbx.ExtensionID(args[0])
		f, err := c.Devices().FollowMe(ctx, ext)
		if err != nil {
			return err
		}
		if flagChanged(set, "enabled") {
			f.Enabled = nf.Enabled
		}
		if flagChanged(set, "numbers") {
			f.Numbers = nf.Numbers
		}
		if flagChanged(set, "ring-time") {
			f.RingTime = nf.RingTime
		}
		if err := c.Devices().SetFollowMe(ctx, ext, *f); err != nil {
			return err
		}
		return show(f)
	})
	cmd.AddCommand(
		&cobra.Command{
			Use:   "get <ext>",
			Short: "Show follow-me",
			Args:  args("<ext>"),
			RunE: a.withClient(func(ctx context.Context, c *pbx.Client, args []string) error {
				f, err := c.Devices().FollowMe(ctx, pbx.ExtensionID(args[0]))
				if err != nil {
					return err
				}
				return show(f)
			}),
		},
		set,
	)
	return cmd
}
