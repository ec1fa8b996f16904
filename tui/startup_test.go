package tui

import (
	"context"
	"io"
	"sync/atomic"
	"testing"

	tea "charm.land/bubbletea/v2"

	"github.com/dockertutor/dockertutor/tui/internal/fixture"
)

// TestStartupLoadsAheadAndSaysWhenTheFirstScreenIsUp drives the model as
// Run builds it: the load (and the resumed step's Enter) started before
// the program, and the first-frame hook that lets the garbage collector
// run again.
func TestStartupLoadsAheadAndSaysWhenTheFirstScreenIsUp(t *testing.T) {
	b := fixture.Session(t)
	fixture.ReturningTo(t, b, "fix")
	var frames atomic.Int32
	cfg := testConfig()
	cfg.firstFrame = func() { frames.Add(1) }
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	m := newModel(ctx, b, b.Course, cfg)

	// On the loading page nothing is up yet, whatever renders.
	if _, cmd := m.Update(renderedMsg{key: m.text.want}); cmd != nil || frames.Load() != 0 {
		t.Fatalf("the loading page counted as the first screen (%d)", frames.Load())
	}

	m.first = loadAhead(b, m, io.Discard)
	h := &harness{t: t, b: b, msgs: make(chan tea.Msg, 1024), cancel: cancel, m: m}
	h.exec(h.m.Init())
	h.send(tea.WindowSizeMsg{Width: 120, Height: 40})
	h.settle(func(m Model) bool { return settled(m) && m.page == pageStep })

	if got := h.m.step(); got == nil || got.ID != "fix" {
		t.Fatalf("resumed at %v, want the step the learner left off at", got)
	}
	contains(t, h.plainScreen(), "q quit")
	if frames.Load() == 0 {
		t.Fatal("the first full screen never said it was up: the collector would stay off")
	}
	// The load ahead entered the step once; the model did not enter it again.
	enters := 0
	for _, c := range b.Calls() {
		if c == "Enter fix" {
			enters++
		}
	}
	if enters != 1 {
		t.Fatalf("Enter fix called %d times: %v", enters, b.Calls())
	}
}
