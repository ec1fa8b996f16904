package tui

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/dockertutor/dockertutor/tui/internal/fixture"
)

// The session's opening warning (an unreadable progress file set aside)
// reaches the learner once, on the first screen, in both modes.

var setAside = errors.New("progress file /s/progress-x.json could not be read (unexpected end of JSON input); it was kept as /s/progress-x.json.corrupt-1 and a fresh one started")

func TestOpeningWarningIsOnTheFirstScreen(t *testing.T) {
	for _, back := range []bool{false, true} {
		b := fixture.Session(t)
		if back {
			fixture.ReturningTo(t, b, "find")
		}
		ctx, cancel := context.WithCancel(context.Background())
		t.Cleanup(cancel)
		h := &harness{t: t, b: b, msgs: make(chan tea.Msg, 1024), cancel: cancel}
		cfg := testConfig()
		cfg.warnings = []error{setAside}
		h.m = newModel(ctx, b, b.Course, cfg)
		h.exec(h.m.Init())
		h.send(tea.WindowSizeMsg{Width: 200, Height: 40})
		h.settle(func(m Model) bool { return m.flash.text != "" })
		if h.m.flash.kind != flashWarning || h.m.flash.text != setAside.Error() {
			t.Errorf("returning %v: flash %+v, want the warning", back, h.m.flash)
		}
		if !strings.Contains(h.plainScreen(), "could not be read") {
			t.Errorf("returning %v: the warning is not on the screen:\n%s", back, h.plainScreen())
		}
	}
}

func TestPlainModeSaysTheOpeningWarningOnce(t *testing.T) {
	t.Setenv("TERM", "dumb")
	b := fixture.Session(t)
	var out bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	in := strings.NewReader("\nn\nq\n")
	if err := Run(ctx, b, Options{Course: b.Course, In: in, Out: &out, Warnings: []error{setAside}}); err != nil {
		t.Fatalf("Run: %v\n%s", err, out.String())
	}
	if n := strings.Count(out.String(), "Warning: progress file /s/progress-x.json could not be read"); n != 1 {
		t.Fatalf("the warning was said %d times:\n%s", n, out.String())
	}
}
