package present

import (
	"testing"

	"github.com/dockertutor/dockertutor/exercises/engine"
	"github.com/dockertutor/dockertutor/lessons"
)

func TestDockerBuildNoteOnlyWhereItMatters(t *testing.T) {
	c, ps := lessons.Builtin()
	if len(ps) > 0 {
		t.Fatal(ps.Error())
	}
	step := func(id string) *lessons.Step {
		st, ok := c.Step(id)
		if !ok {
			t.Fatalf("no step %s", id)
		}
		return st
	}
	for _, tc := range []struct {
		step  string
		build engine.LocalBuilder
		says  bool
	}{
		{"secret-mount", engine.LocalLegacy, true},
		{"deleted-is-not-gone", engine.LocalBroken, true},
		{"secret-mount", engine.LocalNoCLI, true},
		{"secret-mount", engine.LocalBuildKit, false},
		{"secret-mount", "", false},
		{"leak-build", engine.LocalLegacy, false},
		{"run-with-token", engine.LocalLegacy, false},
	} {
		if got := DockerBuildNote(step(tc.step), tc.build); (got != "") != tc.says {
			t.Errorf("%s with %q: %q", tc.step, tc.build, got)
		}
	}
}
