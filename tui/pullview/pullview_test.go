package pullview

import (
	"context"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
)

func TestRowsShowBarsThenResultLines(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	m := newModel([]string{"alpine:3.22", "127.0.0.1:5000/dockertutor-test/big:1"}, 100, cancel)
	view := func() string { return m.View().Content }
	if v := view(); strings.Count(v, "waiting") != 2 {
		t.Fatalf("before any progress:\n%s", v)
	}
	m.Update(Progress{Ref: "alpine:3.22", Phase: "downloading", Done: 1_500_000, Total: 3_000_000, Fraction: 0.45})
	if v := view(); !strings.Contains(v, "downloading 1.5/3.0 MB") || !strings.Contains(v, "45%") {
		t.Fatalf("a bar:\n%s", v)
	}
	m.Update(finished{ref: "alpine:3.22", line: "alpine:3.22  already at the pinned digest"})
	if v := view(); !strings.HasPrefix(v, "alpine:3.22  already at the pinned digest\n") || strings.Contains(v, "45%") {
		t.Fatalf("a finished row:\n%s", v)
	}
	for _, l := range strings.Split(view(), "\n") {
		if len([]rune(l)) > 100 {
			t.Errorf("a line wider than the terminal: %q", l)
		}
	}

	// Ctrl+C cancels the work and says so; the view waits for the work.
	_, cmd := m.Update(tea.KeyPressMsg{Code: 'c', Mod: tea.ModCtrl})
	if cmd != nil || ctx.Err() == nil || !strings.Contains(view(), "Interrupting") {
		t.Fatalf("ctrl+c: cmd %v, ctx %v\n%s", cmd, ctx.Err(), view())
	}
	if _, cmd := m.Update(workDone{}); cmd == nil || strings.Contains(view(), "Interrupting") {
		t.Fatalf("work done: want quit and the rows alone\n%s", view())
	}
}

// What the terminal shows is TestRowsShowBarsThenResultLines's; Run's
// own promise is the work's error, and no work left running after it.
func TestRunReturnsTheWorksErrorAndCancelsNothingBehind(t *testing.T) {
	var out strings.Builder
	var gotCtx context.Context
	err := Run(context.Background(), strings.NewReader(""), &out, 80, []string{"alpine:3.22"}, func(ctx context.Context, r Reporter) error {
		gotCtx = ctx
		r.Progress(Progress{Ref: "alpine:3.22", Phase: "downloading", Fraction: 0.5})
		r.Finished("alpine:3.22", "alpine:3.22  pulled at the pinned digest and tagged")
		return context.Canceled
	})
	if err != context.Canceled {
		t.Fatalf("Run returned %v, want the work's error", err)
	}
	if gotCtx.Err() == nil {
		t.Error("the work's context outlives Run")
	}
}
