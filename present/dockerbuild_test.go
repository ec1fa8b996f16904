package present

import (
	"fmt"
	"strings"
	"testing"

	"github.com/dockertutor/dockertutor/exercises/engine"
	"github.com/dockertutor/dockertutor/exercises/progress"
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

// A skipped optional step is done, not passed: the summary marks it
// skipped, does not count it as passed, and does not list it as to do.
func TestSummaryShowsASkippedStepAsDoneNotPassed(t *testing.T) {
	c, _ := lessons.Builtin()
	var p progress.Progress
	for _, st := range c.Steps() {
		if st.Optional {
			if err := p.Skip(st, p.Created); err != nil {
				t.Fatal(err)
			}
			continue
		}
		p.Record(st.ID, true, p.Created)
	}
	scan, _ := c.Step("scan-an-image")
	full, plain := SummaryDoc(c, p, FullScreen), SummaryDoc(c, p, PlainMode)
	containsAll(t, "full summary", full, "**You passed every step**", "- ↷ "+scan.Number+" ")
	containsAll(t, "plain summary", plain, "- skipped: "+scan.Number+" ")
	if strings.Contains(full, "Still to do") {
		t.Errorf("a skipped step is still to do:\n%s", full)
	}
	required := 0
	for _, st := range c.Steps() {
		if !st.Optional {
			required++
		}
	}
	if want := fmt.Sprintf("(%d of %d)", required, required); !strings.Contains(full, want) {
		t.Errorf("the count should leave the skipped steps out, %s:\n%s", want, full)
	}
}

// Where the tutor hands over the action's docker buildx command to type,
// it says the command needs buildx, on the full screen and the command
// line alike, only for a learner whose docker build is the legacy builder
// and only when the command is docker buildx build.
func TestTheActionsBuildxCommandSaysItNeedsBuildx(t *testing.T) {
	c, ps := lessons.Builtin()
	if len(ps) > 0 {
		t.Fatal(ps.Error())
	}
	const caveat = "yourself (this command needs the buildx plugin: see dockertutor doctor):"
	for _, tc := range []struct {
		step, command string
		build         engine.LocalBuilder
		says          bool
	}{
		{"secret-mount", "docker buildx build --secret id=token,env=TOKEN .", engine.LocalLegacy, true},
		{"secret-mount", "docker buildx build --secret id=token,env=TOKEN .", engine.LocalBuildKit, false},
		{"secret-mount", "docker buildx build --secret id=token,env=TOKEN .", "", false},
		{"leak-build", "docker build --build-arg TOKEN .", engine.LocalLegacy, false},
	} {
		st, ok := c.Step(tc.step)
		if !ok {
			t.Fatalf("no step %s", tc.step)
		}
		page := StepPage{Step: st, Action: tc.command, DockerBuild: tc.build}
		for _, f := range []Front{FullScreen, CommandLine} {
			doc := StepDoc(page, progress.Progress{}, false, f)
			if !strings.Contains(doc, tc.command) {
				t.Fatalf("%s: the command is not in the text:\n%s", tc.step, doc)
			}
			if got := strings.Contains(doc, caveat); got != tc.says {
				t.Errorf("%s with %q (front %v): says it needs buildx = %v, want %v:\n%s", tc.step, tc.build, f, got, tc.says, doc)
			}
		}
	}
}
