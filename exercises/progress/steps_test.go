package progress

import (
	"slices"
	"testing"
	"testing/fstest"
	"time"

	"github.com/dockertutor/dockertutor/lessons"
)

// stepsCourse has one step of each kind.
func stepsCourse(t *testing.T) *lessons.Course {
	t.Helper()
	c, ps := lessons.Load(fstest.MapFS{
		"course.yaml":     {Data: []byte("format: 1\nid: stepstest\ntitle: T\nlessons: [l]\n")},
		"l/lesson.yaml":   {Data: []byte("title: L\nsteps: [intro, pick, found, build]\n")},
		"l/intro/step.md": {Data: []byte("---\ntitle: Intro\nkind: read\n---\nRead.\n")},
		"l/pick/step.md": {Data: []byte("---\ntitle: Pick\nkind: quiz\nhints: [first, \"second for {{.Step}}\"]\nquiz:\n  multiple: true\n  choices:\n" +
			"    - {id: a, text: A, correct: true}\n    - {id: b, text: B}\n    - {id: c, text: C, correct: true}\n---\nWhich?\n")},
		"l/found/step.md":                 {Data: []byte("---\ntitle: Found\nkind: answer\nanswer: {expect: secret}\n---\nWhat?\n")},
		"l/build/step.md":                 {Data: []byte("---\ntitle: Build\nkind: exercise\nmain: Dockerfile\nchecks:\n  - {id: stages, type: dockerfile.stages, min: 2}\nattempts:\n  - {name: one, fails: [stages]}\n---\nBuild.\n")},
		"l/build/starter/Dockerfile":      {Data: []byte("FROM alpine:3.22\n")},
		"l/build/solution/Dockerfile":     {Data: []byte("FROM alpine:3.22 AS b\nFROM alpine:3.22\n")},
		"l/build/attempts/one/Dockerfile": {Data: []byte("FROM alpine:3.22\n")},
	})
	if len(ps) > 0 {
		t.Fatal(ps)
	}
	return c
}

func step(t *testing.T, c *lessons.Course, id string) *lessons.Step {
	t.Helper()
	st, ok := c.Step(id)
	if !ok {
		t.Fatalf("no step %s", id)
	}
	return st
}

func TestCurrentStep(t *testing.T) {
	c := stepsCourse(t)
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	var p Progress
	if got := p.CurrentStep(c); got.ID != "intro" {
		t.Errorf("fresh progress starts at %s", got.ID)
	}
	p.Record("intro", true, now)
	p.Record("pick", false, now)
	if got := p.CurrentStep(c); got.ID != "pick" {
		t.Errorf("the first step not passed is %s", got.ID)
	}
	p.Current = "build"
	if got := p.CurrentStep(c); got.ID != "build" {
		t.Errorf("the saved current step is %s", got.ID)
	}
	p.Current = "removed-from-the-course"
	if got := p.CurrentStep(c); got.ID != "pick" {
		t.Errorf("a saved step the course no longer has gives %s", got.ID)
	}
	p.Current = ""
	for _, st := range c.Steps() {
		p.Record(st.ID, true, now)
	}
	if got := p.CurrentStep(c); got.ID != "intro" {
		t.Errorf("all passed gives %s", got.ID)
	}
	if got := p.CurrentStep(&lessons.Course{}); got != nil {
		t.Errorf("a course without steps gives %v", got)
	}
}

func TestEnter(t *testing.T) {
	c := stepsCourse(t)
	t1 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	t2 := t1.Add(time.Hour)
	var p Progress
	p.Enter(step(t, c, "build"), t1)
	p.Enter(step(t, c, "build"), t2)
	if sp := p.Steps["build"]; p.Current != "build" || sp.Status != Started || !sp.Began.Equal(t1) || sp.Checks != 0 {
		t.Errorf("exercise entered twice: current %s, %+v", p.Current, sp)
	}
	p.Enter(step(t, c, "intro"), t2)
	if sp := p.Steps["intro"]; p.Current != "intro" || sp.Status != Passed || !sp.PassedAt.Equal(t2) {
		t.Errorf("a read step is done once opened: %+v", sp)
	}
}

func TestHints(t *testing.T) {
	c := stepsCourse(t)
	pick := step(t, c, "pick")
	v := c.Values(pick, lessons.Learner{Secret: "canary-x", Workspace: "/ws"})
	var p Progress
	if got := p.RevealedHints(pick, v); len(got) != 0 {
		t.Errorf("nothing revealed yet, got %q", got)
	}
	for _, want := range []int{1, 2, 2} {
		if got := p.RevealHint(pick); got != want {
			t.Errorf("RevealHint = %d, want %d", got, want)
		}
	}
	if got := p.RevealedHints(pick, v); !slices.Equal(got, []string{"first", "second for pick"}) {
		t.Errorf("revealed %q", got)
	}
	// A count saved by a course version with more hints is held to this one's.
	p.Step("pick").HintsUsed = 7
	if got, n := p.RevealHint(pick), p.HintsRevealed(pick); got != 2 || n != 2 {
		t.Errorf("after a stale count: RevealHint %d, revealed %d", got, n)
	}
	if got := p.RevealHint(step(t, c, "intro")); got != 0 || p.StatusOf("intro") != NotStarted {
		t.Errorf("a step without hints: %d, status %q", got, p.StatusOf("intro"))
	}
	// A hint whose template cannot be filled is shown as written.
	build := step(t, c, "build")
	build.Hints = []string{"{{.Missing}}"} // lint refuses such a pack; a hand-made step may have it
	p.RevealHint(build)
	if got := p.RevealedHints(build, v); !slices.Equal(got, []string{"{{.Missing}}"}) {
		t.Errorf("unfillable hint shown as %q", got)
	}
}

func TestRecordAnswer(t *testing.T) {
	c := stepsCourse(t)
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	var p Progress
	if err := p.RecordAnswer(step(t, c, "pick"), " C, a;a ", now); err != nil {
		t.Fatal(err)
	}
	if sp := p.Steps["pick"]; !slices.Equal(sp.Answer, []string{"a", "c"}) || sp.Status != Started || p.Current != "pick" || !sp.Began.Equal(now) {
		t.Errorf("quiz answer recorded as %+v (current %s)", sp, p.Current)
	}
	if err := p.RecordAnswer(step(t, c, "found"), "  canary-x \n", now); err != nil {
		t.Fatal(err)
	}
	if got := p.Steps["found"].Answer; !slices.Equal(got, []string{"canary-x"}) {
		t.Errorf("free answer recorded as %q", got)
	}
	before := p.Current
	if err := p.RecordAnswer(step(t, c, "build"), "a", now); err == nil {
		t.Error("an exercise took an answer")
	}
	if p.Current != before || p.StatusOf("build") != NotStarted {
		t.Error("a refused answer changed the progress")
	}
}

func TestReferenceAnswers(t *testing.T) {
	c := stepsCourse(t)
	pick, found := step(t, c, "pick"), step(t, c, "found")
	v := c.Values(found, lessons.Learner{Secret: "canary-x", Workspace: "/ws"})
	if got, err := pick.ReferenceAnswer(v); err != nil || got != "a,c" {
		t.Errorf("quiz reference answer %q %v", got, err)
	}
	if got, err := found.ReferenceAnswer(v); err != nil || got != "canary-x" {
		t.Errorf("secret reference answer %q %v", got, err)
	}
	if _, err := step(t, c, "build").ReferenceAnswer(v); err == nil {
		t.Error("an exercise has no reference answer")
	}
	if _, err := pick.Hint(3, v); err == nil {
		t.Error("hint 3 of 2")
	}
	if got, err := pick.Hint(2, c.Values(pick, lessons.Learner{})); err != nil || got != "second for pick" {
		t.Errorf("hint 2: %q %v", got, err)
	}
}
