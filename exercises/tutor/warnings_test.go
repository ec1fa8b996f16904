package tutor

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dockertutor/dockertutor/exercises/progress"
)

// TestUnreadableProgressIsReportedOnceWhenTheSessionOpens: the file is set
// aside when the session opens, Warnings says where it went, and no later
// call returns it as an error.
func TestUnreadableProgressIsReportedOnceWhenTheSessionOpens(t *testing.T) {
	c := fixture(t)
	state := t.TempDir()
	path := filepath.Join(state, "progress-"+c.ID+".json")
	if err := os.WriteFile(path, []byte("\x00garbage"), 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := Open(Options{Course: c, WorkspaceRoot: t.TempDir(), StateDir: state})
	if err != nil {
		t.Fatalf("an unreadable progress file must not stop the session: %v", err)
	}
	defer s.Close()
	warnings := s.Warnings()
	var ce *progress.CorruptError
	if len(warnings) != 1 || !errors.As(warnings[0], &ce) || !strings.Contains(ce.Error(), "could not be read") {
		t.Fatalf("want one warning naming the set-aside file, got %v", warnings)
	}
	if kept, err := os.ReadFile(ce.SetAside); err != nil || string(kept) != "\x00garbage" {
		t.Fatalf("the unreadable file must be kept as it was: %v %q", err, kept)
	}
	build, _ := c.Step("build")
	if _, _, err := s.Enter(build); err != nil {
		t.Fatal(err)
	}
	if _, err := s.NextHint(build); err == nil || !strings.Contains(err.Error(), "no hints") {
		t.Fatalf("hint: %v", err)
	}
	p, err := s.Progress()
	if err != nil || p.Current != "build" {
		t.Fatalf("progress after the warning: %v, current %q", err, p.Current)
	}
	if len(s.Warnings()) != 1 {
		t.Fatalf("the warning must stay one: %v", s.Warnings())
	}
}

// TestOpenReadsProgress: a session that cannot read its progress (not a
// parse error: the file is a folder) does not open, rather than failing
// at every later call.
func TestOpenReadsProgress(t *testing.T) {
	c := fixture(t)
	state := t.TempDir()
	if err := os.Mkdir(filepath.Join(state, "progress-"+c.ID+".json"), 0o700); err != nil {
		t.Fatal(err)
	}
	if s, err := Open(Options{Course: c, WorkspaceRoot: t.TempDir(), StateDir: state}); err == nil {
		s.Close()
		t.Fatal("Open succeeded on an unreadable progress file")
	}
}
