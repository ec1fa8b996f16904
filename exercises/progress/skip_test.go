package progress

import (
	"errors"
	"testing"
	"testing/fstest"
	"time"

	"github.com/dockertutor/dockertutor/lessons"
)

// skipCourse has a required step, then an optional one, then another.
func skipCourse(t *testing.T) *lessons.Course {
	t.Helper()
	c, ps := lessons.Load(fstest.MapFS{
		"course.yaml":     {Data: []byte("format: 1\nid: skiptest\ntitle: T\nlessons: [l]\n")},
		"l/lesson.yaml":   {Data: []byte("title: L\nsteps: [first, extra, last]\n")},
		"l/first/step.md": {Data: []byte("---\ntitle: First\nkind: answer\nanswer: {expect: secret}\n---\nWhat?\n")},
		"l/extra/step.md": {Data: []byte("---\ntitle: Extra\nkind: answer\noptional: true\nanswer: {expect: secret}\n---\nWhat?\n")},
		"l/last/step.md":  {Data: []byte("---\ntitle: Last\nkind: answer\nanswer: {expect: secret}\n---\nWhat?\n")},
	})
	if len(ps) > 0 {
		t.Fatal(ps)
	}
	return c
}

func TestSkipOnlyOptionalSteps(t *testing.T) {
	c := skipCourse(t)
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	var p Progress
	var notOptional *NotOptionalError
	if err := p.Skip(step(t, c, "first"), now); !errors.As(err, &notOptional) || notOptional.Step.ID != "first" {
		t.Fatalf("skipping a required step: %v", err)
	}
	if got := p.StatusOf("first"); got != NotStarted {
		t.Fatalf("a refused skip changed the status to %q", got)
	}

	p.Record("first", true, now)
	if err := p.Skip(step(t, c, "extra"), now); err != nil {
		t.Fatal(err)
	}
	if got := p.StatusOf("extra"); got != Skipped || !got.Done() || got == Passed {
		t.Fatalf("skipped step: %q", got)
	}
	if got := p.CurrentStep(c); got.ID != "last" {
		t.Errorf("a learner resumes at %s, not after the skipped step", got.ID)
	}

	// The verdict wins over the skip, failed or passed.
	p.Record("extra", false, now)
	if got := p.StatusOf("extra"); got != Failed {
		t.Errorf("a failed check after a skip: %q", got)
	}
	if err := p.Skip(step(t, c, "extra"), now); err != nil {
		t.Fatal(err)
	}
	p.Record("extra", true, now)
	if got := p.StatusOf("extra"); got != Passed {
		t.Errorf("a pass after a skip: %q", got)
	}
	// A pass is not given up by skipping.
	if err := p.Skip(step(t, c, "extra"), now); err != nil || p.StatusOf("extra") != Passed {
		t.Errorf("skipping a passed step: %v, %q", err, p.StatusOf("extra"))
	}
}
