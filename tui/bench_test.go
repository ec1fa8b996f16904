package tui

import (
	"fmt"
	"testing"

	"github.com/dockertutor/dockertutor/exercises/tutor"
	"github.com/dockertutor/dockertutor/tui/internal/fixture"
)

// BenchmarkView is the cost of drawing the whole 120x40 screen of an
// exercise with a verdict and build output, which happens after every
// message.
func BenchmarkView(b *testing.B) {
	f := fixture.Session(b)
	fixture.ReturningTo(b, f, "leak-build")
	h := newHarness(b, f, 120, 40)
	h.press("r")
	b.ResetTimer()
	for b.Loop() {
		_ = h.m.View()
	}
}

// BenchmarkBuildOutputBatch is the cost of taking one batch of build output
// (the most a message carries) into a pane that already holds 2000 lines
// and keeps growing to its limit, as in a long build.
func BenchmarkBuildOutputBatch(b *testing.B) {
	f := fixture.Session(b)
	fixture.ReturningTo(b, f, "leak-build")
	h := newHarness(b, f, 120, 40)
	h.m.output.begin("leak-build", "run", h.m.cfg.now())
	var batch []tutor.Event
	for i := range eventBatch {
		batch = append(batch, tutor.Event{Kind: tutor.EventOutput, Text: fmt.Sprintf("#%d 0.%03d compiling module %d of the dependency tree", i, i, i)})
	}
	for range 8 {
		h.m.output.append(batch)
	}
	h.m.job = jobRun{id: 1, active: true, what: "run", cancel: func() {}}
	h.m.refreshOutput()
	m := h.m
	b.ResetTimer()
	for b.Loop() {
		next, _ := m.Update(jobEventsMsg{id: 1, events: batch})
		m = next.(Model)
	}
}

// BenchmarkBuildOutputLine is one line of output arriving at a time into
// a full pane, the usual pace of a build.
func BenchmarkBuildOutputLine(b *testing.B) {
	f := fixture.Session(b)
	fixture.ReturningTo(b, f, "leak-build")
	h := newHarness(b, f, 120, 40)
	h.m.output.begin("leak-build", "run", h.m.cfg.now())
	for i := range maxOutputLines {
		h.m.output.append([]tutor.Event{{Kind: tutor.EventOutput, Text: fmt.Sprintf("#%d compiling module %d", i, i)}})
	}
	h.m.job = jobRun{id: 1, active: true, what: "run", cancel: func() {}}
	h.m.refreshOutput()
	m := h.m
	line := []tutor.Event{{Kind: tutor.EventOutput, Text: "#9 12.3 npm warn deprecated inflight@1.0.6: This module is not supported"}}
	b.ResetTimer()
	for b.Loop() {
		next, _ := m.Update(jobEventsMsg{id: 1, events: line})
		m = next.(Model)
	}
}
