package tui

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/dockertutor/dockertutor/tui/internal/fixture"
)

func TestRunRefusesWhatItCannotRun(t *testing.T) {
	if err := Run(context.Background(), nil, Options{}); err == nil {
		t.Error("no backend: no error")
	}
	b := fixture.Session(t)
	if err := Run(context.Background(), b, Options{}); err == nil || !strings.Contains(err.Error(), "no steps") {
		t.Errorf("no course: %v", err)
	}
}

func TestRunFallsBackToPlainWithoutATerminal(t *testing.T) {
	t.Setenv("TERM", "xterm-256color")
	b := fixture.Session(t)
	var out bytes.Buffer
	if err := Run(context.Background(), b, Options{Course: b.Course, In: strings.NewReader("\nq\n"), Out: &out}); err != nil {
		t.Fatal(err)
	}
	if strings.ContainsRune(out.String(), '\x1b') || !strings.Contains(out.String(), "Command (? for the list): ") {
		t.Fatalf("not the plain mode:\n%q", out.String())
	}
}
