package main

import (
	"context"
	"strconv"
	"time"

	"github.com/pbxkit/pbxkit/pbx"
	"github.com/spf13/cobra"
)

func (a *app) systemCmd() *cobra.Command {
	cmd := a.group(&cobra.Command{
		Use:   "system",
		Short: "Show the PBX's version, uptime and phones",
	})
	cmd.AddCommand(
		&cobra.Command{
			Use:   "info",
			Short: "Show the PBX's version, uptime and call counters",
			Args:  args(),
			RunE: a.withClient(func(ctx context.Context, c *pbx.Client, _ []string) error {
				info, err := c.System().Info(ctx)
				if err != nil {
					return err
				}
				return a.output(info, func() error {
					uptime := fmtDur(info.Uptime.Truncate(time.Second))
					if uptime == "" {
						uptime = "0s"
					}
					return a.kv(
						"Backend", c.Backend(),
						"Version", info.Version,
						"Started", fmtTime(info.Started),
						"Reloaded", fmtTime(info.Reloaded),
						"Uptime", uptime,
						"Active calls", strconv.Itoa(info.ActiveCalls),
						"Active channels", strconv.Itoa(info.ActiveChannels),
						"Calls processed", strconv.Itoa(info.CallsProcessed),
					)
				})
			}),
		},
		&cobra.Command{
			Use:   "useragents",
			Short: "Count registered phones by user agent",
			Args:  args(),
			RunE: a.withClient(func(ctx context.Context, c *pbx.Client, _ []string) error {
				uas, err := c.System().UserAgents(ctx)
				if err != nil {
					return err
				}
				return a.output(nonNil(uas), func() error {
					t := a.table("USER AGENT", "COUNT")
					for _, ua := range uas {
						t.row(ua.UserAgent, strconv.Itoa(ua.Count))
					}
					return t.flush()
				})
			}),
		},
	)
	return cmd
}

func (a *app) capabilitiesCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "capabilities",
		Short: "List what the PBX's backend can do",
		Args:  args(),
		RunE: a.withClient(func(_ context.Context, c *pbx.Client, _ []string) error {
			caps := c.Capabilities()
			names := []string{}
			for cp := range caps.All() {
				names = append(names, cp.String())
			}
			return a.output(map[string]any{"backend": c.Backend(), "capabilities": names}, func() error {
				t := a.table("CAPABILITY", "SUPPORTED")
				for _, cp := range pbx.AllCapabilities() {
					t.row(cp.String(), yesNo(caps.Has(cp)))
				}
				return t.flush()
			})
		}),
	}
}
