package store

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dockertutor/dockertutor/classroom/wire"
)

func open(t *testing.T, path string) *SQLite {
	t.Helper()
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func ev(seq int64, kind wire.Kind, step string) wire.Event {
	return wire.Event{Seq: seq, Kind: kind, Step: step, At: time.Date(2026, 3, 1, 9, 0, int(seq), 0, time.UTC)}
}

func TestReopenKeepsEverythingAndHoldsOnlyHashes(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "class.db")
	token := "learner-token-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	instructor := "instructor-token-bbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
	th, ih := sha256.Sum256([]byte(token)), sha256.Sum256([]byte(instructor))
	now := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)

	s := open(t, path)
	if _, err := s.Class(ctx); !errors.Is(err, ErrNoClass) {
		t.Fatalf("a new database: %v, want ErrNoClass", err)
	}
	if err := s.CreateClass(ctx, Class{Code: "ABCD2345", Title: "Tuesday", Course: "docker-security", InstructorHash: ih[:], StuckAfter: 10 * time.Minute, Created: now}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Join(ctx, "alice-1", "Alice", th[:], now); err != nil {
		t.Fatal(err)
	}
	if _, acked, err := s.Append(ctx, "alice-1", []wire.Event{ev(1, wire.StepOpened, "a"), ev(2, wire.HintShown, "a")}, now); err != nil || acked != 2 {
		t.Fatalf("append: acked %d, %v", acked, err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s = open(t, path)
	defer s.Close()
	c, err := s.Class(ctx)
	if err != nil || c.Code != "ABCD2345" || c.StuckAfter != 10*time.Minute || !c.Created.Equal(now) {
		t.Fatalf("reopened class %+v, %v", c, err)
	}
	ls, err := s.Learners(ctx)
	if err != nil || len(ls) != 1 || ls[0].Acked != 2 || ls[0].Name != "Alice" {
		t.Fatalf("reopened learners %+v, %v", ls, err)
	}
	var seqs []int64
	if err := s.Events(ctx, func(l string, e wire.Event) error { seqs = append(seqs, e.Seq); return nil }); err != nil || len(seqs) != 2 {
		t.Fatalf("reopened events %v, %v", seqs, err)
	}
	s.Close()
	for _, f := range []string{path, path + "-wal"} {
		data, err := os.ReadFile(f)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(data, []byte(token)) || bytes.Contains(data, []byte(instructor)) {
			t.Errorf("%s holds a token", f)
		}
	}
	data, _ := os.ReadFile(path)
	if !bytes.Contains(data, th[:]) {
		t.Error("the database file does not hold the token's hash: the check above proves nothing")
	}
}

func TestAppendIgnoresDuplicatesAndRefusesGaps(t *testing.T) {
	ctx := context.Background()
	s := open(t, filepath.Join(t.TempDir(), "class.db"))
	defer s.Close()
	now := time.Now()
	h := sha256.Sum256([]byte("t"))
	if _, err := s.Join(ctx, "bob", "Bob", h[:], now); err != nil {
		t.Fatal(err)
	}
	batch := []wire.Event{ev(1, wire.StepOpened, "a"), ev(2, wire.HintShown, "a")}
	if stored, acked, err := s.Append(ctx, "bob", batch, now); err != nil || acked != 2 || len(stored) != 2 {
		t.Fatalf("first: %d stored, acked %d, %v", len(stored), acked, err)
	}
	if stored, acked, err := s.Append(ctx, "bob", batch, now); err != nil || acked != 2 || len(stored) != 0 {
		t.Fatalf("the same batch again: %d stored, acked %d, %v", len(stored), acked, err)
	}
	if stored, acked, err := s.Append(ctx, "bob", []wire.Event{ev(2, wire.HintShown, "a"), ev(3, wire.SolutionShown, "a")}, now); err != nil || acked != 3 || len(stored) != 1 || stored[0].Seq != 3 {
		t.Fatalf("overlapping batch: %v stored, acked %d, %v", stored, acked, err)
	}
	_, _, err := s.Append(ctx, "bob", []wire.Event{ev(5, wire.HintShown, "a")}, now)
	var gap *GapError
	if !errors.As(err, &gap) || gap.Acked != 3 {
		t.Fatalf("a gap: %v, want a GapError at 3", err)
	}
	if _, _, err := s.Append(ctx, "nobody", nil, now); !errors.Is(err, ErrNoLearner) {
		t.Fatalf("an unknown learner: %v", err)
	}
	n := 0
	s.Events(ctx, func(string, wire.Event) error { n++; return nil })
	if n != 3 {
		t.Fatalf("%d events held, want 3", n)
	}
	// Joining again: a new token, the events stay.
	h2 := sha256.Sum256([]byte("t2"))
	l, err := s.Join(ctx, "bob", "Bobby", h2[:], now)
	if err != nil || l.Acked != 3 || !bytes.Equal(l.TokenHash, h2[:]) || l.Name != "Bobby" {
		t.Fatalf("join again: %+v, %v", l, err)
	}
}

// Two servers on one database would each keep their own room in memory
// and answer learners from it: the second must refuse, saying why, and
// the first must carry on.
func TestASecondOpenOfTheSameDatabaseIsRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "class.db")
	s := open(t, path)
	if _, err := Open(path); err == nil || !strings.Contains(err.Error(), "already") {
		t.Fatalf("a second open: %v, want a refusal that says the database is in use", err)
	}
	if _, err := s.Class(context.Background()); !errors.Is(err, ErrNoClass) {
		t.Fatalf("the first store after the refusal: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = open(t, path) // closed: free again
	s.Close()
}

// A database that is not one (garbage, a file cut in half) is refused
// with what to do, and left exactly as it was: it may be all that is left
// of a class.
func TestACorruptDatabaseIsRefusedAndKept(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.db")
	s := open(t, good)
	if err := s.CreateClass(context.Background(), Class{Code: "ABCD2345", Title: "T", Course: "c", InstructorHash: []byte("h"), Created: time.Now()}); err != nil {
		t.Fatal(err)
	}
	s.Close()
	whole, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string][]byte{
		"garbage": bytes.Repeat([]byte("not a database "), 5000),
		"half":    whole[:len(whole)/2],
	} {
		path := filepath.Join(dir, name+".db")
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		st, err := Open(path)
		if err == nil {
			st.Close()
		}
		if err == nil || !strings.Contains(err.Error(), "left as it is") {
			t.Errorf("%s: %v, want a refusal that says the file is kept and what to do", name, err)
		}
		if after, _ := os.ReadFile(path); !bytes.Equal(after, data) {
			t.Errorf("%s: the file changed", name)
		}
	}
}

// The database holds learners' names and the class code, which lets
// anyone join: other accounts on the instructor's machine do not read it.
func TestANewDatabaseIsTheOwnersOnly(t *testing.T) {
	path := filepath.Join(t.TempDir(), "class.db")
	s := open(t, path)
	defer s.Close()
	if err := s.CreateClass(context.Background(), Class{Code: "ABCD2345", Title: "T", Course: "c", InstructorHash: []byte("h"), Created: time.Now()}); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{path, path + "-wal"} {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm()&0o077 != 0 {
			t.Errorf("%s: mode %v, want the owner's only", filepath.Base(p), fi.Mode().Perm())
		}
	}
}
