package tui

import (
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"

	"github.com/dockertutor/dockertutor/exercises/engine"
	"github.com/dockertutor/dockertutor/exercises/progress"
	"github.com/dockertutor/dockertutor/lessons"
	"github.com/dockertutor/dockertutor/tui/internal/fake"
	"github.com/dockertutor/dockertutor/tui/internal/fixture"
)

// A learner whose docker build is the legacy builder is told so once, in
// the status line, on the first step that builds a secret mount, and not
// on steps where it does not matter.
func TestTheStatusLineSaysOnceWhenDockerBuildIsLegacy(t *testing.T) {
	c, ps := lessons.Builtin()
	if len(ps) > 0 {
		t.Fatal(ps.Error())
	}
	b := fake.Open(t, c)
	b.Build = engine.DockerBuild{Builder: engine.LocalLegacy}
	fixture.ReturningTo(t, b, "find-the-leak")
	h := newHarness(t, b, 200, 30)
	h.settle(func(m Model) bool { return m.buildNote.builder != "" })
	if strings.Contains(h.plainScreen(), "legacy builder") {
		t.Fatalf("said on a step without a secret mount:\n%s", h.plainScreen())
	}
	h.goTo("secret-mount")
	contains(t, h.plainScreen(), "Your docker build is the legacy builder (no buildx), so --secret fails: press r to build")
	h.goTo("deleted-is-not-gone")
	h.goTo("secret-mount")
	if strings.Contains(h.plainScreen(), "legacy builder") {
		t.Errorf("said twice:\n%s", h.plainScreen())
	}
}

// With BuildKit, or when the tutor does not know, nothing is said.
func TestTheStatusLineSaysNothingWhenDockerBuildCanBuildSecrets(t *testing.T) {
	c, _ := lessons.Builtin()
	b := fake.Open(t, c)
	b.Build = engine.DockerBuild{Builder: engine.LocalBuildKit}
	fixture.ReturningTo(t, b, "secret-mount")
	h := newHarness(t, b, 200, 30)
	h.settle(func(m Model) bool { return m.buildNote.builder != "" && m.page == pageStep })
	if m := h.m; m.buildNote.said || strings.Contains(h.plainScreen(), "legacy") {
		t.Errorf("said with BuildKit:\n%s", h.plainScreen())
	}
}

// o skips an optional step: the key shows only there, the outline marks
// the step skipped, and the status line says what that means.
func TestSkipKeyLeavesAnOptionalStepOut(t *testing.T) {
	c, _ := lessons.Builtin()
	b := fake.Open(t, c)
	fixture.ReturningTo(t, b, "find-the-leak")
	h := newHarness(t, b, 200, 40)
	h.settle(func(m Model) bool { return m.page == pageStep })
	if strings.Contains(helpText(h), "skip") {
		t.Errorf("the skip key shows on a step the course needs: %s", helpText(h))
	}
	h.press("o")
	if got := h.m.prog.StatusOf("find-the-leak"); got.Done() {
		t.Fatalf("o on a required step made it %q", got)
	}

	h.goTo("scan-an-image")
	contains(t, helpText(h), "o skip (optional)")
	h.press("o")
	h.settle(func(m Model) bool { return m.prog.StatusOf("scan-an-image") == progress.Skipped })
	scan, _ := c.Step("scan-an-image")
	contains(t, h.plainScreen(), "skipped: it counts as done, not passed", "↷ "+scan.Number)
	if strings.Contains(helpText(h), "skip") {
		t.Errorf("the skip key still shows on a skipped step: %s", helpText(h))
	}
}

// The step's text and the empty output pane hand over the action's
// command to type; for a learner whose docker build is the legacy
// builder they say that this docker buildx command needs buildx.
func TestTheBuildxCommandToTypeSaysItNeedsBuildx(t *testing.T) {
	c, _ := lessons.Builtin()
	b := fake.Open(t, c)
	b.Build = engine.DockerBuild{Builder: engine.LocalLegacy}
	fixture.ReturningTo(t, b, "secret-mount")
	h := newHarness(t, b, 200, 50)
	h.settle(func(m Model) bool { return m.buildNote.builder != "" && m.page == pageStep && m.text.ready() })
	if !strings.Contains(h.m.info.Action, "docker buildx build") {
		t.Fatalf("the step's command is not docker buildx build: %s", h.m.info.Action)
	}
	caveat := "(this command needs the buildx plugin: see dockertutor doctor):"
	contains(t, h.m.text.doc, "type it yourself "+caveat)
	output := strings.Join(strings.Fields(ansi.Strip(strings.Join(h.m.output.vp.lines, "\n"))), " ")
	contains(t, output, "It is the same as typing "+caveat+" $ "+h.m.info.Action)

	// A learner with BuildKit is told nothing of the kind.
	b.Build = engine.DockerBuild{Builder: engine.LocalBuildKit}
	h = newHarness(t, b, 200, 50)
	h.settle(func(m Model) bool {
		return m.buildNote.builder == engine.LocalBuildKit && m.page == pageStep && m.text.ready()
	})
	for _, shown := range []string{h.m.text.doc, strings.Join(h.m.output.vp.lines, "\n")} {
		if strings.Contains(shown, "needs the buildx plugin") {
			t.Errorf("said with BuildKit:\n%s", shown)
		}
	}
}
