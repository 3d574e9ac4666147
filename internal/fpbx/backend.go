package fpbx

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/pbxkit/pbxkit/internal/astcore"
	"github.com/pbxkit/pbxkit/pbx"
)

// Config configures a Backend.
type Config struct {
	Dialect *Dialect
	// Core is the Asterisk core configuration (connection, dialplan, spool,
	// CDR store, recordings); Extensions is set by New.
	Core astcore.Config
	// DB is the distribution's `asterisk` database.
	DB *sql.DB
	// Applier applies configuration after changes; nil leaves it to the
	// user (the GUI's Apply Config button, or Admin.Apply).
	Applier Applier
	// AutoApply applies configuration after every change; otherwise changes
	// only mark the configuration as needing a reload.
	AutoApply bool
	// Closers are released by Close (a database the backend opened).
	Closers []func() error
}

// Backend is a FreePBX or Issabel pbx.Backend: the Asterisk core for live
// state, the database and astdb for configuration.
type Backend struct {
	*astcore.Core
	d       *Dialect
	db      *sql.DB
	applier Applier
	auto    bool
	closers []func() error
}

// New builds a Backend and starts its core.
func New(cfg Config) *Backend {
	b := &Backend{d: cfg.Dialect, db: cfg.DB, applier: cfg.Applier, auto: cfg.AutoApply, closers: cfg.Closers}
	core := cfg.Core
	core.Name = cfg.Dialect.Name
	core.Extensions = func(*astcore.Core) astcore.ExtensionStore { return &extensions{b: b} }
	b.Core = astcore.New(core)
	return b
}

// Capabilities adds provisioning of queues and conference rooms to the
// core's.
func (b *Backend) Capabilities() pbx.Capabilities {
	return b.Core.Capabilities().With(pbx.CapQueuesWrite).With(pbx.CapConferenceRooms)
}

// ErrorCode classifies the database's errors besides the core's: a lost
// connection is Unavailable, a duplicate key AlreadyExists.
func (b *Backend) ErrorCode(err error) pbx.ErrorCode {
	var me *mysql.MySQLError
	switch {
	case errors.Is(err, driver.ErrBadConn), errors.Is(err, mysql.ErrInvalidConn):
		return pbx.Unavailable
	case errors.As(err, &me) && me.Number == 1062:
		return pbx.AlreadyExists
	}
	return b.Core.ErrorCode(err)
}

// Close stops the core and releases what the backend owns.
func (b *Backend) Close() error {
	errs := []error{b.Core.Close()}
	for _, c := range b.closers {
		errs = append(errs, c())
	}
	return errors.Join(errs...)
}

// As accepts **Admin besides the core's targets.
func (b *Backend) As(target any) bool {
	if t, ok := target.(**Admin); ok {
		*t = &Admin{b: b}
		return true
	}
	return b.Core.As(target)
}

// changed runs after a configuration change: with AutoApply, the
// configuration is applied now and the outcome returned.
func (b *Backend) changed(ctx context.Context) error {
	if !b.auto || b.applier == nil {
		return nil
	}
	if _, err := b.applier.Apply(ctx); err != nil {
		return fmt.Errorf("the change was saved, but applying the configuration failed: %w", err)
	}
	return nil
}

// Admin gives access to what only the distributions have: the state of the
// configuration and Apply Config. Get one with Client.As.
type Admin struct{ b *Backend }

// NeedsReload reports whether changes wait to be applied (admin.need_reload).
func (a *Admin) NeedsReload(ctx context.Context) (bool, error) {
	var v string
	err := a.b.db.QueryRowContext(ctx, "SELECT value FROM admin WHERE variable = 'need_reload'").Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return v == "true", err
}

// Apply applies the configuration as the backend is configured to (a local
// command, FreePBX's GraphQL API) and returns the outcome.
func (a *Admin) Apply(ctx context.Context) (*ApplyResult, error) {
	if a.b.applier == nil {
		return nil, pbx.Errorf(pbx.Unsupported, "no way to apply configuration is configured")
	}
	return a.b.applier.Apply(ctx)
}

// Follow-me: the findmefollow row, then the astdb keys the core writes.

// SetFollowMe implements pbx.DeviceBackend: the findmefollow row the GUI
// writes, then the astdb keys (AMPUSER/<ext>/followme/...).
func (b *Backend) SetFollowMe(ctx context.Context, ext pbx.ExtensionID, f *pbx.FollowMe) error {
	if _, err := (&extensions{b: b}).Get(ctx, ext); err != nil {
		return err
	}
	var list []string
	for _, n := range f.Numbers {
		if pbx.ExtensionID(n).Validate() == nil && len(n) <= 6 {
			list = append(list, n)
		} else {
			list = append(list, n+"#")
		}
	}
	grptime := int(f.RingTime.Seconds())
	if grptime == 0 {
		grptime = 20
	}
	cols := []string{"grpnum", "strategy", "grptime", "grppre", "grplist", "postdest", "dring", "needsconf", "pre_ring", "ringing"}
	vals := []any{string(ext), "ringallv2-prim", grptime, "", strings.Join(list, "-"), "ext-local," + string(ext) + ",dest", "", "", 0, "Ring"}
	for _, kv := range b.d.FindMeFollowExtra {
		cols, vals = append(cols, kv[0]), append(vals, kv[1])
	}
	err := b.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, "DELETE FROM findmefollow WHERE grpnum = ?", string(ext)); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, "INSERT INTO findmefollow ("+strings.Join(cols, ", ")+") VALUES ("+marks(len(cols))+")", vals...)
		return err
	})
	if err != nil {
		return err
	}
	if err := b.Core.SetFollowMe(ctx, ext, f); err != nil {
		return err
	}
	return b.changed(ctx)
}

func marks(n int) string { return strings.TrimSuffix(strings.Repeat("?, ", n), ", ") }

// Queues: queues_config and queues_details, as the queues module writes them.

// queueDefaults are the queues_details rows the queues module writes for a
// new queue, besides strategy, timeout, maxlen and the members.
var queueDefaults = [][2]string{
	{"joinempty", "yes"}, {"leavewhenempty", "no"}, {"retry", "5"}, {"wrapuptime", "0"},
	{"announce-frequency", "0"}, {"min-announce-frequency", "15"}, {"announce-holdtime", "no"},
	{"announce-position", "no"}, {"queue-youarenext", "silence/1"}, {"queue-thereare", "silence/1"},
	{"queue-callswaiting", "silence/1"}, {"queue-thankyou", ""}, {"periodic-announce-frequency", "0"},
	{"recording", "dontcare"}, {"monitor-join", "yes"}, {"weight", "0"}, {"autofill", "no"},
	{"ringinuse", "yes"}, {"reportholdtime", "no"}, {"autopause", "no"}, {"autopausedelay", "0"},
	{"servicelevel", "60"}, {"memberdelay", "0"}, {"timeoutrestart", "no"}, {"skip_joinannounce", ""},
	{"answered_elsewhere", "0"}, {"timeoutpriority", "app"}, {"penaltymemberslimit", "0"},
	{"rvolume", ""}, {"rvol_mode", ""}, {"autopausebusy", "no"}, {"autopauseunavail", "no"}, {"music", "default"},
}

// QueueConfigs implements pbx.QueueConfigBackend.
func (b *Backend) QueueConfigs(ctx context.Context) ([]pbx.QueueConfig, error) {
	rows, err := b.db.QueryContext(ctx, "SELECT extension, descr, maxwait FROM queues_config ORDER BY extension")
	if err != nil {
		return nil, err
	}
	var out []pbx.QueueConfig
	byID := map[pbx.QueueID]int{}
	for rows.Next() {
		var q pbx.QueueConfig
		var maxwait string
		if err := rows.Scan(&q.ID, &q.Name, &maxwait); err != nil {
			rows.Close()
			return nil, err
		}
		if n, err := strconv.Atoi(maxwait); err == nil {
			q.MaxWait = time.Duration(n) * time.Second
		}
		q.Members = []pbx.QueueMember{}
		byID[q.ID] = len(out)
		out = append(out, q)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	det, err := b.db.QueryContext(ctx, "SELECT id, keyword, data FROM queues_details WHERE keyword IN ('strategy', 'timeout', 'maxlen', 'member') ORDER BY id, flags")
	if err != nil {
		return nil, err
	}
	defer det.Close()
	for det.Next() {
		var id, key, data string
		if err := det.Scan(&id, &key, &data); err != nil {
			return nil, err
		}
		i, ok := byID[pbx.QueueID(id)]
		if !ok {
			continue
		}
		q := &out[i]
		switch key {
		case "strategy":
			q.Strategy, _ = pbx.ParseQueueStrategy(data)
		case "timeout":
			n, _ := strconv.Atoi(data)
			q.RingTimeout = time.Duration(n) * time.Second
		case "maxlen":
			q.MaxCallers, _ = strconv.Atoi(data)
		case "member":
			iface, pen, _ := strings.Cut(data, ",")
			p, _ := strconv.Atoi(pen)
			q.Members = append(q.Members, pbx.QueueMember{Interface: iface, Penalty: p})
		}
	}
	return out, det.Err()
}

// writeQueue replaces a queue's rows.
func (b *Backend) writeQueue(ctx context.Context, tx *sql.Tx, q *pbx.QueueConfig) error {
	for _, stmt := range []string{"DELETE FROM queues_config WHERE extension = ?", "DELETE FROM queues_details WHERE id = ?"} {
		if _, err := tx.ExecContext(ctx, stmt, string(q.ID)); err != nil {
			return err
		}
	}
	maxwait := ""
	if q.MaxWait > 0 {
		maxwait = strconv.Itoa(int(q.MaxWait.Seconds()))
	}
	if _, err := tx.ExecContext(ctx, "INSERT INTO queues_config (extension, descr, maxwait) VALUES (?, ?, ?)",
		string(q.ID), q.Name, maxwait); err != nil {
		return err
	}
	timeout := "15"
	if q.RingTimeout > 0 {
		timeout = strconv.Itoa(int(q.RingTimeout.Seconds()))
	}
	details := append([][2]string{{"strategy", q.Strategy.String()}, {"timeout", timeout}, {"maxlen", strconv.Itoa(q.MaxCallers)}}, queueDefaults...)
	for _, d := range details {
		if _, err := tx.ExecContext(ctx, "INSERT INTO queues_details (id, keyword, data, flags) VALUES (?, ?, ?, 0)",
			string(q.ID), d[0], d[1]); err != nil {
			return err
		}
	}
	for i, m := range q.Members {
		if _, err := tx.ExecContext(ctx, "INSERT INTO queues_details (id, keyword, data, flags) VALUES (?, 'member', ?, ?)",
			string(q.ID), m.Interface+","+strconv.Itoa(m.Penalty), i); err != nil {
			return err
		}
	}
	return nil
}

func (b *Backend) queueExists(ctx context.Context, tx *sql.Tx, id pbx.QueueID) (bool, error) {
	var n int
	err := tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM queues_config WHERE extension = ?", string(id)).Scan(&n)
	return n > 0, err
}

// CreateQueue implements pbx.QueueConfigBackend.
func (b *Backend) CreateQueue(ctx context.Context, q *pbx.QueueConfig) error {
	return b.provision(ctx, func(tx *sql.Tx) error {
		if found, err := b.queueExists(ctx, tx, q.ID); err != nil || found {
			return cmpErr(err, found, pbx.AlreadyExists, "queue %s exists", q.ID)
		}
		return b.writeQueue(ctx, tx, q)
	})
}

// UpdateQueue implements pbx.QueueConfigBackend.
func (b *Backend) UpdateQueue(ctx context.Context, q *pbx.QueueConfig) error {
	return b.provision(ctx, func(tx *sql.Tx) error {
		if found, err := b.queueExists(ctx, tx, q.ID); err != nil || !found {
			return cmpErr(err, !found, pbx.NotFound, "no queue %s", q.ID)
		}
		return b.writeQueue(ctx, tx, q)
	})
}

// DeleteQueue implements pbx.QueueConfigBackend.
func (b *Backend) DeleteQueue(ctx context.Context, id pbx.QueueID) error {
	return b.provision(ctx, func(tx *sql.Tx) error {
		if found, err := b.queueExists(ctx, tx, id); err != nil || !found {
			return cmpErr(err, !found, pbx.NotFound, "no queue %s", id)
		}
		for _, stmt := range []string{"DELETE FROM queues_config WHERE extension = ?", "DELETE FROM queues_details WHERE id = ?"} {
			if _, err := tx.ExecContext(ctx, stmt, string(id)); err != nil {
				return err
			}
		}
		return nil
	})
}

// provision runs a configuration transaction, then applies if configured to.
func (b *Backend) provision(ctx context.Context, fn func(*sql.Tx) error) error {
	if err := b.tx(ctx, fn); err != nil {
		return err
	}
	return b.changed(ctx)
}

// cmpErr returns err, or a coded error when cond holds.
func cmpErr(err error, cond bool, code pbx.ErrorCode, format string, args ...any) error {
	if err != nil {
		return err
	}
	if cond {
		return pbx.Errorf(code, format, args...)
	}
	return nil
}

// Conference rooms: the conferences module's meetme table and its
// CONFERENCE/<room>/... astdb copy.

// Rooms implements pbx.RoomBackend.
func (b *Backend) Rooms(ctx context.Context) ([]pbx.Room, error) {
	rows, err := b.db.QueryContext(ctx, "SELECT exten, COALESCE(description, ''), COALESCE(userpin, ''), COALESCE(adminpin, ''), COALESCE(users, 0) FROM meetme ORDER BY exten")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []pbx.Room
	for rows.Next() {
		var r pbx.Room
		if err := rows.Scan(&r.ID, &r.Name, &r.PIN, &r.AdminPIN, &r.MaxParticipants); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

func (b *Backend) roomExists(ctx context.Context, tx *sql.Tx, id pbx.ConferenceID) (bool, error) {
	var n int
	err := tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM meetme WHERE exten = ?", string(id)).Scan(&n)
	return n > 0, err
}

func (b *Backend) writeRoom(ctx context.Context, tx *sql.Tx, r *pbx.Room) error {
	if _, err := tx.ExecContext(ctx, "DELETE FROM meetme WHERE exten = ?", string(r.ID)); err != nil {
		return err
	}
	cols := []string{"exten", "options", "userpin", "adminpin", "description", "joinmsg_id", "music", "users"}
	vals := []any{string(r.ID), "", r.PIN, r.AdminPIN, r.Name, nil, "inherit", r.MaxParticipants}
	for _, kv := range b.d.MeetmeExtra {
		cols, vals = append(cols, kv[0]), append(vals, kv[1])
	}
	_, err := tx.ExecContext(ctx, "INSERT INTO meetme ("+strings.Join(cols, ", ")+") VALUES ("+marks(len(cols))+")", vals...)
	return err
}

// roomAstDB writes (or, for a nil room, deletes) CONFERENCE/<room>/...
func (b *Backend) roomAstDB(ctx context.Context, id pbx.ConferenceID, r *pbx.Room) error {
	if r == nil {
		return b.Core.AstDBDelTree(ctx, "CONFERENCE", string(id))
	}
	for _, kv := range [][2]string{{"userpin", r.PIN}, {"adminpin", r.AdminPIN}, {"options", ""},
		{"music", "inherit"}, {"users", strconv.Itoa(r.MaxParticipants)}, {"language", ""}} {
		if err := b.Core.AstDBSet(ctx, "CONFERENCE", string(id)+"/"+kv[0], kv[1]); err != nil {
			return err
		}
	}
	return nil
}

// CreateRoom implements pbx.RoomBackend.
func (b *Backend) CreateRoom(ctx context.Context, r *pbx.Room) error {
	err := b.tx(ctx, func(tx *sql.Tx) error {
		if found, err := b.roomExists(ctx, tx, r.ID); err != nil || found {
			return cmpErr(err, found, pbx.AlreadyExists, "conference room %s exists", r.ID)
		}
		return b.writeRoom(ctx, tx, r)
	})
	if err != nil {
		return err
	}
	if err := b.roomAstDB(ctx, r.ID, r); err != nil {
		return errors.Join(fmt.Errorf("writing the astdb keys of room %s failed, so it was removed: %w", r.ID, err), b.DeleteRoom(ctx, r.ID))
	}
	return b.changed(ctx)
}

// UpdateRoom implements pbx.RoomBackend.
func (b *Backend) UpdateRoom(ctx context.Context, r *pbx.Room) error {
	err := b.tx(ctx, func(tx *sql.Tx) error {
		if found, err := b.roomExists(ctx, tx, r.ID); err != nil || !found {
			return cmpErr(err, !found, pbx.NotFound, "no conference room %s", r.ID)
		}
		return b.writeRoom(ctx, tx, r)
	})
	if err != nil {
		return err
	}
	if err := b.roomAstDB(ctx, r.ID, r); err != nil {
		return fmt.Errorf("room %s was updated, but its astdb keys were not: %w", r.ID, err)
	}
	return b.changed(ctx)
}

// DeleteRoom implements pbx.RoomBackend.
func (b *Backend) DeleteRoom(ctx context.Context, id pbx.ConferenceID) error {
	err := b.tx(ctx, func(tx *sql.Tx) error {
		if found, err := b.roomExists(ctx, tx, id); err != nil || !found {
			return cmpErr(err, !found, pbx.NotFound, "no conference room %s", id)
		}
		_, err := tx.ExecContext(ctx, "DELETE FROM meetme WHERE exten = ?", string(id))
		return err
	})
	if err != nil {
		return err
	}
	if err := b.roomAstDB(ctx, id, nil); err != nil {
		return err
	}
	return b.changed(ctx)
}

var (
	_ pbx.QueueConfigBackend = (*Backend)(nil)
	_ pbx.RoomBackend        = (*Backend)(nil)
)
