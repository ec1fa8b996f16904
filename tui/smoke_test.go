package tui

import (
	"bytes"
	"context"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/exp/teatest/v2"

	"github.com/dockertutor/dockertutor/tui/internal/fake"
	"github.com/dockertutor/dockertutor/tui/internal/fixture"
)

// These run the real Bubble Tea program on a fake terminal, the way a
// learner would meet it, and read what it draws.

func startProgram(t *testing.T, b *fake.Session, w, h int) *teatest.TestModel {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	cfg := testConfig()
	cfg.flashFor = 300 * time.Millisecond
	cfg.animate = true
	return teatest.NewTestModel(t, newModel(ctx, b, b.Course, cfg), teatest.WithInitialTermSize(w, h))
}

func waitFor(t *testing.T, tm *teatest.TestModel, text string) {
	t.Helper()
	teatest.WaitFor(t, tm.Output(), func(b []byte) bool { return bytes.Contains(b, []byte(text)) },
		teatest.WithDuration(5*time.Second), teatest.WithCheckInterval(20*time.Millisecond))
}

func TestSmokeAVerdictAppearsWhenTheLearnerBuildsElsewhere(t *testing.T) {
	b := fixture.Session(t)
	fixture.ReturningTo(t, b, "leak-build")
	tm := startProgram(t, b, 100, 30)
	waitFor(t, tm, "watching")
	b.WaitWatching(t, 1)
	// `docker build` in another terminal: the session's watcher reports it.
	st, _ := b.Course.Step("leak-build")
	b.BuiltElsewhere(t, st, "ann-0a1b2c/dockertutor/buildargtest:latest")
	waitFor(t, tm, "Step 2.1 passed!")
	tm.Send(keyPress("q"))
	tm.WaitFinished(t, teatest.WithFinalTimeout(5*time.Second))
	m := tm.FinalModel(t).(Model)
	if m.results.verdict == nil || !m.results.verdict.Passed || m.results.reason != "image ann-0a1b2c/dockertutor/buildargtest:latest tagged" {
		t.Fatalf("final results %+v", m.results)
	}
}

func TestSmokeResponsiveDuringABuildAndEscAborts(t *testing.T) {
	b := fixture.Session(t)
	b.HoldBuilds()
	fixture.ReturningTo(t, b, "leak-build")
	tm := startProgram(t, b, 80, 24)
	waitFor(t, tm, "Build with a secret")
	tm.Send(keyPress("r"))
	waitFor(t, tm, "esc cancel • ")
	// The build holds; the interface still answers.
	tm.Send(keyPress("?"))
	waitFor(t, tm, "All keys")
	tm.Send(keyPress("esc")) // closes the keys
	tm.Send(keyPress("esc")) // cancels the build
	waitFor(t, tm, "aborted")
	tm.Send(keyPress("ctrl+c"))
	tm.WaitFinished(t, teatest.WithFinalTimeout(5*time.Second))
	m := tm.FinalModel(t).(Model)
	if m.output.state != jobAborted || m.job.active {
		t.Fatalf("output state %v, job active %v", m.output.state, m.job.active)
	}
}

func TestSmokeQuitLeavesTheTerminalAsItWas(t *testing.T) {
	b := fixture.Session(t)
	tm := startProgram(t, b, 80, 24)
	waitFor(t, tm, "Welcome to Fixture course")
	tm.Send(keyPress("q"))
	out := readAll(t, tm.FinalOutput(t, teatest.WithFinalTimeout(5*time.Second)))
	// The screen was entered, and left, with the mouse released and the
	// cursor shown again.
	for _, seq := range []string{"\x1b[?1049l", "\x1b[?25h", "\x1b[?1002l"} {
		if !bytes.Contains(out, []byte(seq)) {
			t.Errorf("the program left without %q", seq)
		}
	}
}

func TestSmokeTooSmallTerminal(t *testing.T) {
	tm := startProgram(t, fixture.Session(t), 60, 20)
	waitFor(t, tm, "too small")
	tm.Send(tea.WindowSizeMsg{Width: 80, Height: 24})
	waitFor(t, tm, "Welcome to Fixture course")
	tm.Send(keyPress("q"))
	tm.WaitFinished(t, teatest.WithFinalTimeout(5*time.Second))
}

func readAll(t *testing.T, r interface{ Read([]byte) (int, error) }) []byte {
	t.Helper()
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(r); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
