package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dockertutor/dockertutor/classroom/outbox"
	"github.com/dockertutor/dockertutor/classroom/room"
)

// The room comes from a server (maybe not this one, maybe with a database
// edited by hand): nothing in it reaches the terminal as an escape
// sequence, a line break or a bidi override.
func TestWriteRoomPassesNoEscapesToTheTerminal(t *testing.T) {
	bad := "\x1b[2J\x1b]0;owned\x07\u202eX\nY\r"
	r := room.Room{Format: room.Format, Total: 4,
		Class: room.Class{Title: "Tue" + bad, Code: "K7PQ" + bad, HoldTitle: "B" + bad, Message: "M" + bad},
		Learners: []room.LearnerView{{ID: "ann", Name: "Ann" + bad, Step: "build", StepNumber: "1" + bad, StepTitle: "T" + bad,
			Verdict: "failed" + bad, Failing: []string{"c" + bad}, Total: 4}},
	}
	for _, plain := range []bool{true, false} {
		var b strings.Builder
		writeRoom(&b, r, plain)
		out := b.String()
		if strings.ContainsAny(out, "\x1b\x07\r\u202e") || strings.Count(out, "\n") != 6 {
			t.Errorf("plain %v: %q", plain, out)
		}
	}
}

// A corrupt instructor file says what to do about it.
func TestACorruptInstructorFileSaysWhatToDo(t *testing.T) {
	t.Setenv("XDG_STATE_HOME", t.TempDir())
	t.Setenv("DOCKERTUTOR_CLASS_TOKEN", "")
	if err := os.MkdirAll(stateDir(), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(stateDir(), "class-instructor.json"), []byte("{bad"), 0o600); err != nil {
		t.Fatal(err)
	}
	var c classClient
	err := c.resolve()
	if err == nil || !strings.Contains(err.Error(), "class serve") || !strings.Contains(err.Error(), "--url") {
		t.Fatalf("%v", err)
	}
}

// A membership file that cannot be read stops the reports: the learner is
// told, and what to do, instead of the tutor going quiet.
func TestAnUnreadableMembershipIsTold(t *testing.T) {
	cli := newCLI(t)
	server := newClassServer(t)
	if _, errs, code := cli.fixture("class", "join", server.srv.URL+"/join/c0de", "--name", "Ada"); code != 0 {
		t.Fatalf("join: %d %s", code, errs)
	}
	path := filepath.Join(os.Getenv("XDG_STATE_HOME"), "dockertutor", outbox.Folder, "membership.json")
	if err := os.WriteFile(path, []byte("{garbage"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, errs, code := cli.fixture("hint", "fix")
	if code != 0 || !strings.Contains(errs, "membership.json") || !strings.Contains(errs, "class join") {
		t.Fatalf("hint with an unreadable membership: exit %d, %q", code, errs)
	}
}
