package plain

import (
	"strings"
	"testing"

	"github.com/dockertutor/dockertutor/exercises/engine"
	"github.com/dockertutor/dockertutor/lessons"
	"github.com/dockertutor/dockertutor/tui/internal/fake"
	"github.com/dockertutor/dockertutor/tui/internal/fixture"
)

// Plain mode says once, on the first step that builds a secret mount,
// that the learner's own docker build cannot build it.
func TestPlainSaysOnceWhenDockerBuildIsLegacy(t *testing.T) {
	c, ps := lessons.Builtin()
	if len(ps) > 0 {
		t.Fatal(ps.Error())
	}
	b := fake.Open(t, c)
	b.Build = engine.DockerBuild{Builder: engine.LocalLegacy}
	fixture.ReturningTo(t, b, "find-the-leak")
	out := runPlainWith(t, b, c, "g secret-mount", "n", "p", "q")
	flat := strings.Join(strings.Fields(out), " ")
	const note = "Note: Your docker build is the legacy builder (no buildx), so --secret fails"
	if n := strings.Count(flat, note); n != 1 {
		t.Errorf("the note is said %d times, want once:\n%s", n, out)
	}
	if i, j := strings.Index(flat, note), strings.Index(flat, "Step 4.6 of"); i < j {
		t.Errorf("the note comes before step 4.6 opens:\n%s", out)
	}
}

// o skips an optional step, and is refused, with the reason, on a step
// the course needs.
func TestPlainSkipsOnlyOptionalSteps(t *testing.T) {
	c, _ := lessons.Builtin()
	b := fake.Open(t, c)
	fixture.ReturningTo(t, b, "find-the-leak")
	out := runPlainWith(t, b, c, "o", "g scan-an-image", "o", "l", "q")
	flat := strings.Join(strings.Fields(out), " ")
	for _, want := range []string{
		"Cannot skip: step " + mustStep(t, c, "find-the-leak").Number + " (find-the-leak) is not optional: only optional steps can be skipped.",
		"skipped: it counts as done, not passed.",
		mustStep(t, c, "scan-an-image").Number + " " + mustStep(t, c, "scan-an-image").Title + ": skipped",
	} {
		if !strings.Contains(flat, want) {
			t.Errorf("plain output lacks %q:\n%s", want, out)
		}
	}
}

func mustStep(t *testing.T, c *lessons.Course, id string) *lessons.Step {
	t.Helper()
	st, ok := c.Step(id)
	if !ok {
		t.Fatalf("no step %s", id)
	}
	return st
}

// Plain mode's step text says, for a learner whose docker build is the
// legacy builder, that the action's docker buildx command needs buildx.
func TestPlainSaysTheBuildxCommandNeedsBuildx(t *testing.T) {
	c, _ := lessons.Builtin()
	b := fake.Open(t, c)
	b.Build = engine.DockerBuild{Builder: engine.LocalLegacy}
	fixture.ReturningTo(t, b, "secret-mount")
	out := strings.Join(strings.Fields(runPlainWith(t, b, c, "q")), " ")
	if !strings.Contains(out, "docker buildx build") || !strings.Contains(out, "type it yourself (this command needs the buildx plugin: see dockertutor doctor):") {
		t.Errorf("plain mode hands over the buildx command without saying it needs buildx:\n%s", out)
	}
}
