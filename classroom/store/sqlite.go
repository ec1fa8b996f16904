package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"time"

	"github.com/gofrs/flock"
	"modernc.org/sqlite" // the pure-Go SQLite driver: the binary still cross-compiles
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/dockertutor/dockertutor/classroom/wire"
)

// schemaVersion is the user_version this build writes; a database of a
// newer build is refused rather than misread.
const schemaVersion = 1

var schema = []string{
	`CREATE TABLE class (
		id INTEGER PRIMARY KEY CHECK (id = 1),
		code TEXT NOT NULL,
		title TEXT NOT NULL,
		course TEXT NOT NULL,
		instructor_hash BLOB NOT NULL,
		hold_lesson TEXT NOT NULL DEFAULT '',
		message TEXT NOT NULL DEFAULT '',
		stuck_after_seconds INTEGER NOT NULL,
		created INTEGER NOT NULL
	)`,
	`CREATE TABLE learners (
		id TEXT PRIMARY KEY,
		name TEXT NOT NULL,
		token_hash BLOB NOT NULL UNIQUE,
		joined INTEGER NOT NULL,
		last_seen INTEGER NOT NULL,
		acked INTEGER NOT NULL DEFAULT 0
	)`,
	`CREATE TABLE events (
		learner TEXT NOT NULL REFERENCES learners(id),
		seq INTEGER NOT NULL,
		kind TEXT NOT NULL,
		at INTEGER NOT NULL,
		step TEXT NOT NULL,
		event TEXT NOT NULL,
		received INTEGER NOT NULL,
		PRIMARY KEY (learner, seq)
	) WITHOUT ROWID`,
}

// SQLite is the class in one SQLite file, in WAL mode. Writes go through
// one connection (SQLite has one writer anyway; queuing them in Go
// avoids busy errors), reads through a small pool that WAL lets run
// beside the writer.
//
// synchronous=FULL: a batch is acked to the learner, who then drops it
// from their outbox, only after its commit is on disk. NORMAL in WAL
// mode survives a killed server but may lose the last commits on a power
// cut, and an acked event lost is lost for good. One fsync per batch is
// cheap at a class's rate.
type SQLite struct {
	w, r *sql.DB
	lock *flock.Flock
}

var _ Store = (*SQLite)(nil)

// Open opens the class database at path, creating it (and its schema)
// when it does not exist; reopening keeps everything.
//
// One process at a time has a database open: a second class server on it
// would keep its own room in memory, answer learners from it and show
// the instructor half the class. SQLite's own locks allow that, so a lock
// file beside the database (path + ".lock") says who has it; the system
// releases it when the process ends, even by kill -9.
func Open(path string) (*SQLite, error) {
	lock := flock.New(path + ".lock")
	if ok, err := lock.TryLock(); err != nil {
		return nil, fmt.Errorf("class database %s: locking it: %w", path, err)
	} else if !ok {
		return nil, fmt.Errorf("class database %s is already open in another dockertutor (a `class serve` still running?): stop that one, or serve another --db", path)
	}
	// A new database is the owner's only (SQLite gives its -wal and -shm
	// files the same mode): it holds learners' names and the class code,
	// which lets anyone join. An empty file is a new database to SQLite.
	if f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600); err == nil {
		f.Close()
	}
	s, err := openSQLite(path)
	var serr *sqlite.Error
	if errors.As(err, &serr) && (serr.Code()&0xff == sqlite3.SQLITE_NOTADB || serr.Code()&0xff == sqlite3.SQLITE_CORRUPT) {
		err = fmt.Errorf("%w: the file is left as it is; serve another --db, or put back a copy of it", err)
	}
	if err != nil {
		lock.Unlock()
		return nil, err
	}
	s.lock = lock
	return s, nil
}

func openSQLite(path string) (*SQLite, error) {
	q := url.Values{}
	for _, p := range []string{"busy_timeout(10000)", "journal_mode(WAL)", "synchronous(FULL)", "foreign_keys(1)"} {
		q.Add("_pragma", p)
	}
	q.Set("_txlock", "immediate")
	dsn := "file:" + (&url.URL{Path: path}).EscapedPath() + "?" + q.Encode()
	w, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, err
	}
	w.SetMaxOpenConns(1)
	r, err := sql.Open("sqlite", dsn)
	if err != nil {
		w.Close()
		return nil, err
	}
	r.SetMaxOpenConns(4)
	s := &SQLite{w: w, r: r}
	if err := s.migrate(context.Background()); err != nil {
		s.Close()
		return nil, fmt.Errorf("class database %s: %w", path, err)
	}
	return s, nil
}

func (s *SQLite) migrate(ctx context.Context) error {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var v int
	if err := tx.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v); err != nil {
		return err
	}
	switch {
	case v == schemaVersion:
		return nil
	case v > schemaVersion:
		return fmt.Errorf("schema version %d is newer than this dockertutor reads (%d): update dockertutor", v, schemaVersion)
	}
	for _, stmt := range schema {
		if _, err := tx.ExecContext(ctx, stmt); err != nil {
			return err
		}
	}
	if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", schemaVersion)); err != nil {
		return err
	}
	return tx.Commit()
}

// Close closes both pools.
func (s *SQLite) Close() error {
	err := errors.Join(s.r.Close(), s.w.Close())
	if s.lock != nil {
		err = errors.Join(err, s.lock.Unlock())
	}
	return err
}

func micros(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMicro()
}

func fromMicros(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.UnixMicro(n).UTC()
}

func (s *SQLite) Class(ctx context.Context) (Class, error) {
	var c Class
	var stuck, created int64
	err := s.r.QueryRowContext(ctx, `SELECT code, title, course, instructor_hash, hold_lesson, message, stuck_after_seconds, created FROM class WHERE id = 1`).
		Scan(&c.Code, &c.Title, &c.Course, &c.InstructorHash, &c.HoldLesson, &c.Message, &stuck, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return Class{}, ErrNoClass
	}
	c.StuckAfter = time.Duration(stuck) * time.Second
	c.Created = fromMicros(created)
	return c, err
}

func (s *SQLite) CreateClass(ctx context.Context, c Class) error {
	_, err := s.w.ExecContext(ctx, `INSERT INTO class (id, code, title, course, instructor_hash, hold_lesson, message, stuck_after_seconds, created) VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?)`,
		c.Code, c.Title, c.Course, c.InstructorHash, c.HoldLesson, c.Message, int64(c.StuckAfter/time.Second), micros(c.Created))
	return err
}

func (s *SQLite) UpdateClass(ctx context.Context, c Class) error {
	res, err := s.w.ExecContext(ctx, `UPDATE class SET title = ?, instructor_hash = ?, hold_lesson = ?, message = ?, stuck_after_seconds = ? WHERE id = 1`,
		c.Title, c.InstructorHash, c.HoldLesson, c.Message, int64(c.StuckAfter/time.Second))
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNoClass
	}
	return nil
}

func (s *SQLite) Join(ctx context.Context, id, name string, tokenHash []byte, at time.Time) (Learner, error) {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return Learner{}, err
	}
	defer tx.Rollback()
	_, err = tx.ExecContext(ctx, `INSERT INTO learners (id, name, token_hash, joined, last_seen) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET name = excluded.name, token_hash = excluded.token_hash, last_seen = excluded.last_seen`,
		id, name, tokenHash, micros(at), micros(at))
	if err != nil {
		return Learner{}, err
	}
	l := Learner{ID: id}
	var joined, seen int64
	if err := tx.QueryRowContext(ctx, `SELECT name, token_hash, joined, last_seen, acked FROM learners WHERE id = ?`, id).
		Scan(&l.Name, &l.TokenHash, &joined, &seen, &l.Acked); err != nil {
		return Learner{}, err
	}
	l.Joined, l.LastSeen = fromMicros(joined), fromMicros(seen)
	return l, tx.Commit()
}

func (s *SQLite) Append(ctx context.Context, learner string, events []wire.Event, at time.Time) ([]wire.Event, int64, error) {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return nil, 0, err
	}
	defer tx.Rollback()
	var acked int64
	err = tx.QueryRowContext(ctx, `SELECT acked FROM learners WHERE id = ?`, learner).Scan(&acked)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, 0, ErrNoLearner
	}
	if err != nil {
		return nil, 0, err
	}
	var fresh []wire.Event
	for _, e := range events {
		if e.Seq > acked {
			fresh = append(fresh, e)
		}
	}
	if len(fresh) > 0 && fresh[0].Seq != acked+1 {
		return nil, acked, &GapError{Acked: acked, First: fresh[0].Seq}
	}
	if len(fresh) > 0 {
		ins, err := tx.PrepareContext(ctx, `INSERT INTO events (learner, seq, kind, at, step, event, received) VALUES (?, ?, ?, ?, ?, ?, ?)`)
		if err != nil {
			return nil, 0, err
		}
		defer ins.Close()
		for i, e := range fresh {
			if i > 0 && e.Seq != fresh[i-1].Seq+1 {
				return nil, acked, &GapError{Acked: fresh[i-1].Seq, First: e.Seq}
			}
			body, err := json.Marshal(e)
			if err != nil {
				return nil, 0, err
			}
			if _, err := ins.ExecContext(ctx, learner, e.Seq, string(e.Kind), micros(e.At), e.Step, string(body), micros(at)); err != nil {
				return nil, 0, err
			}
		}
		acked = fresh[len(fresh)-1].Seq
	}
	if _, err := tx.ExecContext(ctx, `UPDATE learners SET acked = ?, last_seen = ? WHERE id = ?`, acked, micros(at), learner); err != nil {
		return nil, 0, err
	}
	if err := tx.Commit(); err != nil {
		return nil, 0, err
	}
	return fresh, acked, nil
}

func (s *SQLite) Learners(ctx context.Context) ([]Learner, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT id, name, token_hash, joined, last_seen, acked FROM learners ORDER BY joined, id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Learner
	for rows.Next() {
		var l Learner
		var joined, seen int64
		if err := rows.Scan(&l.ID, &l.Name, &l.TokenHash, &joined, &seen, &l.Acked); err != nil {
			return nil, err
		}
		l.Joined, l.LastSeen = fromMicros(joined), fromMicros(seen)
		out = append(out, l)
	}
	return out, rows.Err()
}

func (s *SQLite) Events(ctx context.Context, fn func(learner string, e wire.Event) error) error {
	rows, err := s.r.QueryContext(ctx, `SELECT learner, seq, event FROM events ORDER BY learner, seq`)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var learner, body string
		var seq int64
		if err := rows.Scan(&learner, &seq, &body); err != nil {
			return err
		}
		var e wire.Event
		if err := json.Unmarshal([]byte(body), &e); err != nil {
			return fmt.Errorf("event %d of %s: %w", seq, learner, err)
		}
		if err := fn(learner, e); err != nil {
			return err
		}
	}
	return rows.Err()
}
