package plain

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/dockertutor/dockertutor/exercises/tutor"
	"github.com/dockertutor/dockertutor/lessons"
	"github.com/dockertutor/dockertutor/tui/backend"
	"github.com/dockertutor/dockertutor/tui/internal/fixture"
)

// runPlainWith runs the plain mode on the given input lines, and returns
// everything it printed.
func runPlainWith(t *testing.T, b backend.Session, c *lessons.Course, input ...string) string {
	t.Helper()
	var out bytes.Buffer
	in := strings.NewReader(strings.Join(input, "\n") + "\n")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := Run(ctx, b, Options{Course: c, In: in, Out: &out}); err != nil {
		t.Fatalf("Run: %v\n%s", err, out.String())
	}
	return out.String()
}

func TestPlainModeIsLinearTextWithOneLetterCommands(t *testing.T) {
	b := fixture.Scripted(t)
	out := runPlainWith(t, b, b.Course, "", "n", "g leak-build", "r", "q")
	if strings.ContainsRune(out, '\x1b') {
		t.Fatalf("escape sequences in the plain mode:\n%q", out)
	}
	for _, want := range []string{
		"Welcome to Fixture course",
		"/home/learner/dockertutor",
		"Docker: answers at unix:///var/run/docker.sock",
		"Press Enter to begin.",
		"Step 1.1 of 5 (lesson 1, Reading and choosing). Status: passed.",
		"Command (? for the list): ",
		"Step 1.2 of 5",
		"Step 2.1 of 5",
		"$ docker build --build-arg BUILD_REPO_SECRET=canary-5f3a9c -t dockertutor/buildargtest",
		"warning: SecretsUsedInArgOrEnv",
		"Checking step 2.1…",
		"PASS: The image dockertutor/buildargtest exists.",
		"    history entry 3: RUN |1 BUILD_REPO_SECRET=canary-5f3a9c /bin/sh -c echo",
		"Step passed. Type n for the next step.",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("plain output lacks %q", want)
		}
	}
	for _, line := range strings.Split(out, "\n") {
		// Input is not echoed here as a terminal would: output follows the prompt.
		line = strings.TrimPrefix(line, "Command (? for the list): ")
		// Only the action's own output keeps its lines as they come.
		if len([]rune(line)) > 80 && !strings.HasPrefix(line, "$ ") && !strings.HasPrefix(line, "warning:") {
			t.Errorf("line longer than 80 columns: %q", line)
		}
	}
}

func TestPlainModeAnswersHintsAndLists(t *testing.T) {
	b := fixture.Scripted(t)
	fixture.Returning(b, "pick")
	out := runPlainWith(t, b, b.Course, "h", "a c", "a", "b", "l", "s", "x", "no", "?", "zz", "q")
	for _, want := range []string{
		"Welcome back. You are at step 1.2",
		"Hint 1 of 1:\nOne of them names the content itself.",
		"FAIL: ",
		"Not yet: 1 of 1 checks did not pass.",
		"Your answer: ",
		"PASS: ",
		"  1.2 Pick the reference that never moves: passed (you are here)",
		"  2.3 Fix the leak with a multi-stage build: not started",
		"This step has no reference solution.",
		"n        next step",
		`Unknown command "zz". Type ? for the list.`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("plain output lacks %q:\n%s", want, out)
		}
	}
	if !strings.Contains(out, "Reset step 1.2?") {
		t.Error("x asks first")
	}
	for _, c := range b.Calls() {
		if strings.HasPrefix(c, "ResetStep") {
			t.Error("reset without a yes")
		}
	}
}

func TestPlainModeSolutionAsksAndRuns(t *testing.T) {
	b := fixture.Scripted(t)
	fixture.Returning(b, "fix")
	out := runPlainWith(t, b, b.Course, "s", "y", "y", "q")
	for _, want := range []string{
		"You have not passed step 2.3 yet. Show the reference solution anyway? [y/N]",
		"--- Dockerfile\nFROM alpine:3.22 AS build",
		"Put the reference solution in your step folder and run it?",
		"$ docker build",
		"FAIL: The Dockerfile has 1 stage",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("plain output lacks %q:\n%s", want, out)
		}
	}
}

func TestPlainModeSaysWhenDockerIsAway(t *testing.T) {
	b := fixture.Scripted(t)
	b.SetDocker(tutor.DockerStatus{Endpoint: "unix:///var/run/docker.sock", Problem: "Nothing listens there.", Fix: "Start Docker Desktop."})
	out := runPlainWith(t, b, b.Course, "", "g leak-build", "c", "d", "q")
	for _, want := range []string{"Docker does not answer at unix:///var/run/docker.sock", "Nothing listens there.", "To fix it: Start Docker Desktop.", "ERROR: Docker is not reachable: Nothing listens there.", "  Not checked: built, leaked.", "Docker did not answer, so nothing was checked or recorded."} {
		if !strings.Contains(out, want) {
			t.Errorf("plain output lacks %q:\n%s", want, out)
		}
	}
}

func TestPlainModeEndsWithTheContext(t *testing.T) {
	b := fixture.Scripted(t)
	r, w := io.Pipe() // input that never comes
	defer w.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Run(ctx, b, Options{Course: b.Course, In: r, Out: io.Discard}) }()
	time.Sleep(50 * time.Millisecond)
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("err %v, want context.Canceled", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the plain mode did not end with its context")
	}
}
