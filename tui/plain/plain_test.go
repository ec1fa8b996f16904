package plain

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/dockertutor/dockertutor/lessons"
	"github.com/dockertutor/dockertutor/present"
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
	b := fixture.Session(t)
	out := runPlainWith(t, b, b.Course, "", "n", "g leak-build", "r", "q")
	if strings.ContainsRune(out, '\x1b') {
		t.Fatalf("escape sequences in the plain mode:\n%q", out)
	}
	for _, want := range []string{
		"Welcome to Fixture course",
		b.Work.Root,
		"Docker: answers at " + b.DockerStatus(context.Background()).Endpoint,
		"Press Enter to begin.",
		"Step 1.1 of 5 (lesson 1, Reading and choosing). Status: passed.",
		"Command (? for the list): ",
		"Step 1.2 of 5",
		"Step 2.1 of 5",
		"$ DOCKER_BUILDKIT=0 docker build -t ann-0a1b2c/dockertutor/buildargtest --build-arg BUILD_REPO_SECRET=canary-5f3a9c",
		"Step 3/3 : RUN echo",
		"Checking step 2.1…",
		"PASS: ann-0a1b2c/dockertutor/buildargtest was built after you opened this step.",
		"PASS: Your secret is in ann-0a1b2c/dockertutor/buildargtest",
		"Step passed. Type n for the next step.",
	} {
		if !strings.Contains(strings.Join(strings.Fields(out), " "), strings.Join(strings.Fields(want), " ")) {
			t.Errorf("plain output lacks %q:\n%s", want, out)
		}
	}
	if i := strings.Index(out, "\x1b"); i >= 0 {
		t.Errorf("an escape sequence in plain output (no OSC 8 links, no colours): %q", out[max(i-40, 0):min(i+40, len(out))])
	}
	for _, line := range strings.Split(out, "\n") {
		// Input is not echoed here as a terminal would: output follows the prompt.
		line = strings.TrimPrefix(line, "Command (? for the list): ")
		// Only the action's own output keeps its lines as they come, and
		// commands and paths, which are never broken.
		if len([]rune(line)) > 80 && !strings.HasPrefix(line, "$ ") && !strings.HasPrefix(line, "warning:") && !keptWhole(line) {
			t.Errorf("line longer than 80 columns: %q", line)
		}
	}
}

func TestPlainModeAnswersHintsAndLists(t *testing.T) {
	b := fixture.Session(t)
	fixture.ReturningTo(t, b, "pick")
	out := runPlainWith(t, b, b.Course, "h", "a c", "a", "b", "l", "s", "no", "x", "no", "?", "zz", "q")
	for _, want := range []string{
		"Welcome back. You are at step 1.2",
		"Hint 1 of 1:\nOne of them names the content itself.",
		"FAIL: ",
		"Not yet: 1 of 1 checks did not pass.",
		"Your answer: ",
		"PASS: ",
		"  1.2 Pick the reference that never moves: passed (you are here)",
		"  2.3 Fix the leak with a multi-stage build: not started",
		"Record the reference answer of 1.2? It counts as a solution seen. [y/N]",
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
	b := fixture.Session(t)
	fixture.ReturningTo(t, b, "fix")
	out := runPlainWith(t, b, b.Course, "s", "y", "y", "q")
	for _, want := range []string{
		"You have not passed step 2.3 yet. Show the reference solution anyway? [y/N]",
		"--- Dockerfile\nFROM alpine:3.22 AS build",
		"Put the reference solution in your step folder and run it?",
		"$ DOCKER_BUILDKIT=0 docker build -t ann-0a1b2c/dockertutor/multistage",
		"PASS: The Dockerfile has 2 stage(s).",
		"PASS: Your secret is nowhere in ann-0a1b2c/dockertutor/multistage",
		"Step passed.",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("plain output lacks %q:\n%s", want, out)
		}
	}
}

func TestPlainModeSaysWhenDockerIsAway(t *testing.T) {
	b := fixture.Session(t)
	b.Daemon.Stop()
	away := b.DockerStatus(context.Background())
	out := runPlainWith(t, b, b.Course, "", "g leak-build", "c", "d", "q")
	for _, want := range []string{"Docker does not answer at " + away.Endpoint, away.Problem, "ERROR: Docker is not reachable: ", "  Not checked: built, leaked.", "Docker did not answer, so nothing was checked or recorded."} {
		if !strings.Contains(strings.Join(strings.Fields(out), " "), strings.Join(strings.Fields(want), " ")) {
			t.Errorf("plain output lacks %q:\n%s", want, out)
		}
	}
}

func TestPlainModeEndsWithTheContext(t *testing.T) {
	b := fixture.Session(t)
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

// keptWhole says a line of plain output is a command or a path from a
// step's text, which is printed whole however wide, for the learner to
// paste.
func keptWhole(line string) bool {
	return strings.Contains(line, "docker build ") || strings.HasPrefix(strings.TrimSpace(line), "/") && !strings.Contains(strings.TrimSpace(line), " ")
}

// TestPlainPrintsTheStepsCommandWhole: y prints the step's main command on
// a line of its own, however wide, for the learner to copy.
func TestPlainPrintsTheStepsCommandWhole(t *testing.T) {
	b := fixture.Session(t)
	fixture.ReturningTo(t, b, "leak-build")
	st, _ := b.Course.Step("leak-build")
	want := b.ActionCommand(st)
	if len(want) <= 80 {
		t.Fatalf("the fixture's command %q fits in 80 columns: nothing to show", want)
	}
	out := runPlainWith(t, b, b.Course, "y", "q")
	if !strings.Contains(out, present.CommandToCopy+"\n\n"+want+"\n") {
		t.Fatalf("the command is not printed whole after %q:\n%s", present.CommandToCopy, out)
	}
}
