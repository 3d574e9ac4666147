package main

import (
	"context"
	"errors"
	"io"
	"os"
	"strconv"

	"github.com/pbxkit/pbxkit/pbx"
	"github.com/spf13/cobra"
)

func (a *app) voicemailCmd() *cobra.Command {
	cmd := a.group(&cobra.Command{
		Use:     "voicemail",
		Aliases: []string{"vm"},
		Short:   "List, download, move and delete voicemail",
	})
	cmd.AddCommand(
		&cobra.Command{
			Use:   "mailboxes",
			Short: "List mailboxes with their message counts",
			Args:  args(),
			RunE: a.withClient(func(ctx context.Context, c *pbx.Client, _ []string) error {
				boxes, err := c.Voicemail().Mailboxes(ctx)
				if err != nil {
					return err
				}
				return a.output(nonNil(boxes), func() error {
					t := a.table("MAILBOX", "NAME", "NEW", "OLD", "URGENT")
					for _, b := range boxes {
						t.row(string(b.ID), b.Name, strconv.Itoa(b.Counts.New), strconv.Itoa(b.Counts.Old), strconv.Itoa(b.Counts.Urgent))
					}
					return t.flush()
				})
			}),
		},
		a.voicemailListCmd(),
		a.voicemailDownloadCmd(),
		&cobra.Command{
			Use:   "move <mailbox> <msgid> <folder>",
			Short: "Move a message to another folder (INBOX, Old, Work, Family, Friends, Urgent)",
			Args:  args("<mailbox>", "<msgid>", "<folder>"),
			RunE: a.withClient(func(ctx context.Context, c *pbx.Client, args []string) error {
				m, err := c.Voicemail().Move(ctx, pbx.MailboxID(args[0]), pbx.MessageID(args[1]), folder(args[2]))
				if err != nil {
					return err
				}
				return a.output(m, func() error {
					return a.printf("moved %s to %s (number %d)", m.ID, m.Folder, m.Number)
				})
			}),
		},
		&cobra.Command{
			Use:   "delete <mailbox> <msgid>",
			Short: "Delete a message",
			Args:  args("<mailbox>", "<msgid>"),
			RunE: a.withClient(func(ctx context.Context, c *pbx.Client, args []string) error {
				box, id := pbx.MailboxID(args[0]), pbx.MessageID(args[1])
				if err := c.Voicemail().Delete(ctx, box, id); err != nil {
					return err
				}
				return a.output(map[string]any{"mailbox": box, "id": id, "deleted": true}, func() error {
					return a.printf("deleted %s from mailbox %s", id, box)
				})
			}),
		},
	)
	return cmd
}

// folder reads a folder name in any case ("old" is Old); a name that is no
// folder goes to the library as it is, for the library to refuse.
func folder(s string) pbx.Folder {
	if f, err := pbx.ParseFolder(s); err == nil {
		return f
	}
	return pbx.Folder(s)
}

func (a *app) voicemailListCmd() *cobra.Command {
	var name string
	cmd := &cobra.Command{
		Use:   "list <mailbox> [--folder F]",
		Short: "List a mailbox's messages",
		Args:  args("<mailbox>"),
	}
	cmd.Flags().StringVar(&name, "folder", "", "only this folder (INBOX, Old, Work, Family, Friends, Urgent)")
	cmd.RunE = a.withClient(func(ctx context.Context, c *pbx.Client, args []string) error {
		var f *pbx.MessageFilter
		if flagChanged(cmd, "folder") {
			f = &pbx.MessageFilter{Folder: folder(name)}
		}
		msgs, err := c.Voicemail().Messages(ctx, pbx.MailboxID(args[0]), f)
		if err != nil {
			return err
		}
		return a.output(nonNil(msgs), func() error {
			t := a.table("ID", "FOLDER", "#", "FROM", "TIME", "DURATION", "SIZE")
			for _, m := range msgs {
				t.row(string(m.ID), string(m.Folder), strconv.Itoa(m.Number), fmtParty(m.Caller), fmtTime(m.Time),
					fmtClock(m.Duration), strconv.FormatInt(m.Size, 10))
			}
			return t.flush()
		})
	})
	return cmd
}

func (a *app) voicemailDownloadCmd() *cobra.Command {
	var out string
	cmd := &cobra.Command{
		Use:   "download <mailbox> <msgid> [-o file]",
		Short: "Save a message's audio (default file: <msgid>.wav; -o - writes to stdout)",
		Args:  args("<mailbox>", "<msgid>"),
	}
	cmd.Flags().StringVarP(&out, "output", "o", "", "file to write (default <msgid>.wav; - for stdout)")
	cmd.RunE = a.withClient(func(ctx context.Context, c *pbx.Client, args []string) error {
		id := pbx.MessageID(args[1])
		// Open the audio first: the library validates the message ID, which
		// then names a file safely.
		audio, err := c.Voicemail().Audio(ctx, pbx.MailboxID(args[0]), id)
		if err != nil {
			return err
		}
		defer audio.Close()
		if out == "-" {
			_, err := io.Copy(a.stdout, audio)
			return err
		}
		if out == "" {
			out = string(id) + ".wav"
		}
		n, err := writeFile(out, audio)
		if err != nil {
			return err
		}
		return a.output(map[string]any{"file": out, "bytes": n, "contentType": audio.ContentType}, func() error {
			return a.printf("saved %s (%d bytes, %s)", out, n, audio.ContentType)
		})
	})
	return cmd
}

// writeFile copies r to a new file at path, removing it if the copy fails.
func writeFile(path string, r io.Reader) (int64, error) {
	f, err := os.Create(path)
	if err != nil {
		return 0, err
	}
	n, err := io.Copy(f, r)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return n, errors.Join(err, os.Remove(path))
	}
	return n, nil
}
