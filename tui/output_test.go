package tui

import (
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"

	"github.com/dockertutor/dockertutor/present"
	"github.com/dockertutor/dockertutor/tui/internal/fixture"
)

// The command an action stands for is never wrapped in the output pane,
// however narrow: it is one line, whole, and ←/→ scroll the pane to its
// end, its border's arrows saying which way there is more.
func TestTheOutputPaneKeepsTheCommandWhole(t *testing.T) {
	b := fixture.Session(t)
	fixture.ReturningTo(t, b, "leak-build")
	h := newHarness(t, b, 80, 24)
	command := h.m.info.Action
	if len(command) < 80 {
		t.Fatalf("the command fits in 80 columns, so this proves nothing: %s", command)
	}
	whole := false
	for _, l := range h.m.output.vp.lines {
		whole = whole || ansi.Strip(l) == "  "+present.CommandPrompt+command
	}
	if !whole {
		t.Fatalf("no line holds the whole command %q:\n%s", command, strings.Join(h.m.output.vp.lines, "\n"))
	}
	arrows := func() string { return ansi.Strip(h.m.output.info(h.m.styles, "")) }
	if got := arrows(); got != "→" {
		t.Errorf("at the left edge the border says %q, want →", got)
	}
	for h.m.focus != paneOutput {
		h.press("tab")
	}
	if !h.m.activeKeys().Right.Enabled() {
		t.Fatal("→ does not work on the output pane")
	}
	for range 40 {
		if arrows() == "←" {
			break
		}
		h.press("right")
	}
	if got := arrows(); got != "←" {
		t.Fatalf("at the right edge the border says %q, want ←", got)
	}
	end := command[len(command)-30:]
	contains(t, h.plainScreen(), end)
	h.press("left")
	if got := arrows(); got != "←→" {
		t.Errorf("in the middle the border says %q, want ←→", got)
	}
}
