package fpbx

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/pbxkit/pbxkit/ami"
	"github.com/pbxkit/pbxkit/internal/astcore"
	"github.com/pbxkit/pbxkit/pbx"
)

// extensions is the astcore.ExtensionStore of FreePBX and Issabel: the
// users, devices and sip rows and the astdb keys the GUI writes.
type extensions struct {
	b *Backend
}

// tx runs fn in a transaction that also marks the configuration as needing
// a reload. It holds a row lock on admin.need_reload for the transaction:
// the users and devices tables have no primary key on FreePBX, so writers
// of extensions take turns.
func (b *Backend) tx(ctx context.Context, fn func(*sql.Tx) error) error {
	tx, err := b.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, "SELECT value FROM admin WHERE variable = 'need_reload' FOR UPDATE"); err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, "UPDATE admin SET value = 'true' WHERE variable = 'need_reload'"); err != nil {
		return err
	}
	return tx.Commit()
}

const extensionQuery = `SELECT u.extension, COALESCE(u.name, ''), COALESCE(u.voicemail, ''), COALESCE(u.ringtimer, 0),
	u.noanswer_dest, COALESCE(u.outboundcid, ''), COALESCE(d.tech, ''), COALESCE(d.dial, ''),
	COALESCE((SELECT s.data FROM sip s WHERE s.id = u.extension AND s.keyword = 'context' LIMIT 1), '')
	FROM users u LEFT JOIN devices d ON d.id = u.extension`

func (s *extensions) query(ctx context.Context, where string, args ...any) ([]pbx.Extension, error) {
	rows, err := s.b.db.QueryContext(ctx, extensionQuery+where+" ORDER BY u.extension", args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []pbx.Extension
	seen := map[pbx.ExtensionID]bool{}
	for rows.Next() {
		var e pbx.Extension
		var voicemail, tech string
		var ring int
		if err := rows.Scan(&e.ID, &e.Name, &voicemail, &ring, &e.NoAnswerDestination, &e.OutboundCallerID, &tech, &e.Dial, &e.Context); err != nil {
			return nil, err
		}
		if seen[e.ID] || e.ID.Validate() != nil {
			continue // no primary key on FreePBX: a duplicate row, or a non-numeric one
		}
		seen[e.ID] = true
		e.RingTime = time.Duration(ring) * time.Second
		switch strings.ToLower(tech) {
		case "pjsip":
			e.Tech = pbx.TechPJSIP
		case "sip":
			e.Tech = pbx.TechSIP
		case "iax2":
			e.Tech = pbx.TechIAX2
		case "":
			e.Tech = pbx.TechVirtual
		}
		switch voicemail {
		case "", "novm":
		case "default":
			e.Mailbox = pbx.MailboxID(e.ID)
		default:
			e.Mailbox = pbx.MailboxID(string(e.ID) + "@" + voicemail)
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

func (s *extensions) List(ctx context.Context) ([]pbx.Extension, error) { return s.query(ctx, "") }

func (s *extensions) Get(ctx context.Context, id pbx.ExtensionID) (*pbx.Extension, error) {
	exts, err := s.query(ctx, " WHERE u.extension = ?", string(id))
	if err != nil {
		return nil, err
	}
	if len(exts) == 0 {
		return nil, pbx.Errorf(pbx.NotFound, "no extension %s", id)
	}
	return &exts[0], nil
}

func voicemailOf(e *pbx.Extension) string {
	if e.Mailbox == "" {
		return "novm"
	}
	if ctx := e.Mailbox.Context(); ctx != "" {
		return ctx
	}
	return "default"
}

func techOf(e *pbx.Extension) (pbx.Technology, error) {
	switch e.Tech {
	case pbx.TechUnknown, pbx.TechPJSIP:
		return pbx.TechPJSIP, nil
	case pbx.TechSIP:
		return pbx.TechSIP, nil
	}
	return 0, pbx.Errorf(pbx.Unsupported, "extensions of technology %s are not provisioned by this backend", e.Tech)
}

// exists reports whether any row of the extension exists.
func exists(ctx context.Context, tx *sql.Tx, id pbx.ExtensionID) (bool, error) {
	var n int
	err := tx.QueryRowContext(ctx, "SELECT (SELECT COUNT(*) FROM users WHERE extension = ?) + (SELECT COUNT(*) FROM devices WHERE id = ?)",
		string(id), string(id)).Scan(&n)
	return n > 0, err
}

// Create writes the extension's rows in one transaction, then its astdb
// keys; if the astdb step fails, the rows and keys written are removed.
func (s *extensions) Create(ctx context.Context, e *pbx.Extension) error {
	tech, err := techOf(e)
	if err != nil {
		return err
	}
	secret := string(e.Secret)
	d := s.b.d
	err = s.b.tx(ctx, func(tx *sql.Tx) error {
		if found, err := exists(ctx, tx, e.ID); err != nil {
			return err
		} else if found {
			return pbx.Errorf(pbx.AlreadyExists, "extension %s exists", e.ID)
		}
		cols := "id, tech, dial, devicetype, user, description, emergency_cid"
		marks := "?, ?, ?, 'fixed', ?, ?, ''"
		if d.HintOverride {
			cols, marks = cols+", hint_override", marks+", NULL"
		}
		if _, err := tx.ExecContext(ctx, "INSERT INTO devices ("+cols+") VALUES ("+marks+")",
			string(e.ID), strings.ToLower(tech.String()), dialString(tech, e.ID), string(e.ID), e.Name); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO users (extension, password, name, voicemail, ringtimer, noanswer,
			recording, outboundcid, sipname, noanswer_cid, busy_cid, chanunavail_cid, noanswer_dest, busy_dest, chanunavail_dest)
			VALUES (?, '', ?, ?, ?, '', '', ?, '', '', '', '', ?, '', '')`,
			string(e.ID), d.userName(e.Name), voicemailOf(e), int(e.RingTime.Seconds()), e.OutboundCallerID, e.NoAnswerDestination); err != nil {
			return err
		}
		for _, row := range d.SIPRows(tech, e, secret) {
			if _, err := tx.ExecContext(ctx, "INSERT INTO sip (id, keyword, data, flags) VALUES (?, ?, ?, ?)",
				string(e.ID), row.Keyword, row.Data, row.Flags); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		if pbx.Code(err) != pbx.Unknown {
			return err
		}
		return fmt.Errorf("extension %s was not created (its database transaction failed and wrote nothing): %w", e.ID, err)
	}
	if err := s.writeAstDB(ctx, e, tech); err != nil {
		if cerr := s.remove(ctx, e.ID); cerr != nil {
			return fmt.Errorf("writing the astdb keys of extension %s failed (%w), and removing its rows failed too: %v", e.ID, err, cerr)
		}
		return fmt.Errorf("writing the astdb keys of extension %s failed, so it was removed: %w", e.ID, err)
	}
	return s.b.changed(ctx)
}

// writeAstDB writes the DEVICE, AMPUSER and CW keys of a new extension.
func (s *extensions) writeAstDB(ctx context.Context, e *pbx.Extension, tech pbx.Technology) error {
	c, ext := s.b.Core, string(e.ID)
	keys := [][3]string{
		{"DEVICE", ext + "/user", ext},
		{"DEVICE", ext + "/dial", dialString(tech, e.ID)},
		{"DEVICE", ext + "/type", "fixed"},
		{"DEVICE", ext + "/default_user", ext},
	}
	if s.b.d.DeviceTech {
		keys = append(keys, [3]string{"DEVICE", ext + "/tech", strings.ToLower(tech.String())})
	}
	for _, kv := range s.b.d.UserKeys(e, voicemailOf(e)) {
		keys = append(keys, [3]string{"AMPUSER", ext + "/" + kv[0], kv[1]})
	}
	keys = append(keys, [3]string{"CW", ext, "ENABLED"})
	for _, k := range keys {
		if err := c.AstDBSet(ctx, k[0], k[1], k[2]); err != nil {
			return err
		}
	}
	return nil
}

// remove deletes an extension's rows and astdb keys, as the GUI's delUser
// and delDevice do.
func (s *extensions) remove(ctx context.Context, id pbx.ExtensionID) error {
	// A fresh context: this may be the clean-up of a request that timed out.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	err := s.b.tx(ctx, func(tx *sql.Tx) error {
		for _, q := range []string{"DELETE FROM users WHERE extension = ?", "DELETE FROM devices WHERE id = ?",
			"DELETE FROM sip WHERE id = ?", "DELETE FROM findmefollow WHERE grpnum = ?"} {
			if _, err := tx.ExecContext(ctx, q, string(id)); err != nil {
				return err
			}
		}
		return nil
	})
	c := s.b.Core
	return errors.Join(err, whileReconnecting(ctx, func() error {
		return errors.Join(
			c.AstDBDelTree(ctx, "AMPUSER", string(id)),
			c.AstDBDelTree(ctx, "DEVICE", string(id)),
			c.AstDBPut(ctx, "CW", string(id), ""))
	}))
}

// whileReconnecting runs fn, and again while the AMI connection is down
// (it reconnects by itself), until ctx ends: clean-up after a lost
// connection waits for it to come back.
func whileReconnecting(ctx context.Context, fn func() error) error {
	for {
		err := fn()
		if !errors.Is(err, ami.ErrUnavailable) {
			return err
		}
		t := time.NewTimer(250 * time.Millisecond)
		select {
		case <-ctx.Done():
			t.Stop()
			return err
		case <-t.C:
		}
	}
}

func (s *extensions) Update(ctx context.Context, e *pbx.Extension) error {
	old, err := s.Get(ctx, e.ID)
	if err != nil {
		return err
	}
	if e.Tech != pbx.TechUnknown && e.Tech != old.Tech {
		return pbx.Errorf(pbx.Unsupported, "changing an extension's technology (%s to %s) means deleting and creating it", old.Tech, e.Tech)
	}
	upd := *e
	if upd.Context == "" {
		upd.Context = old.Context
	}
	err = s.b.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE users SET name = ?, voicemail = ?, ringtimer = ?, outboundcid = ?, noanswer_dest = ?
			WHERE extension = ?`, s.b.d.userName(upd.Name), voicemailOf(&upd), int(upd.RingTime.Seconds()), upd.OutboundCallerID,
			upd.NoAnswerDestination, string(upd.ID)); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, "UPDATE devices SET description = ? WHERE id = ?", upd.Name, string(upd.ID)); err != nil {
			return err
		}
		set := [][2]string{{"context", contextOf(&upd)}, {"callerid", callerID(upd.Name, upd.ID)}}
		if upd.Secret != "" {
			set = append(set, [2]string{"secret", string(upd.Secret)})
		}
		for _, kv := range set {
			if _, err := tx.ExecContext(ctx, "UPDATE sip SET data = ? WHERE id = ? AND keyword = ?", kv[1], string(upd.ID), kv[0]); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	c, ext := s.b.Core, string(upd.ID)
	for _, kv := range [][2]string{{"cidname", upd.Name}, {"outboundcid", upd.OutboundCallerID}, {"noanswer", upd.NoAnswerDestination},
		{"ringtimer", seconds(&upd)}, {"voicemail", voicemailOf(&upd)}} {
		if err := c.AstDBSet(ctx, "AMPUSER", ext+"/"+kv[0], kv[1]); err != nil {
			return fmt.Errorf("extension %s was updated, but its astdb keys were not: %w", upd.ID, err)
		}
	}
	return s.b.changed(ctx)
}

func (s *extensions) Delete(ctx context.Context, id pbx.ExtensionID) error {
	if _, err := s.Get(ctx, id); err != nil {
		return err
	}
	if err := s.remove(ctx, id); err != nil {
		return err
	}
	return s.b.changed(ctx)
}

func (s *extensions) SetSecret(ctx context.Context, id pbx.ExtensionID, secret string) error {
	err := s.b.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, "UPDATE sip SET data = ? WHERE id = ? AND keyword = 'secret'", secret, string(id))
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n > 0 {
			return err
		}
		// MySQL counts changed rows only: tell "same secret" from "no row".
		var found int
		if err := tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM sip WHERE id = ? AND keyword = 'secret'", string(id)).Scan(&found); err != nil {
			return err
		}
		if found == 0 {
			return pbx.Errorf(pbx.NotFound, "no SIP secret for extension %s", id)
		}
		return nil
	})
	if err != nil {
		return err
	}
	return s.b.changed(ctx)
}

func (s *extensions) Secret(ctx context.Context, id pbx.ExtensionID) (string, error) {
	var secret string
	err := s.b.db.QueryRowContext(ctx, "SELECT data FROM sip WHERE id = ? AND keyword = 'secret' LIMIT 1", string(id)).Scan(&secret)
	if errors.Is(err, sql.ErrNoRows) {
		return "", pbx.Errorf(pbx.NotFound, "no SIP secret for extension %s", id)
	}
	return secret, err
}

var _ astcore.ExtensionStore = (*extensions)(nil)
