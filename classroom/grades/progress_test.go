package grades

import (
	"bytes"
	"testing"
	"time"

	"github.com/dockertutor/dockertutor/exercises/progress"
	"github.com/dockertutor/dockertutor/lessons"
)

func course() *lessons.Course {
	one := &lessons.Lesson{ID: "basics", Number: 1}
	two := &lessons.Lesson{ID: "leaks", Number: 2}
	add := func(l *lessons.Lesson, id, number, title string) {
		l.Steps = append(l.Steps, &lessons.Step{ID: id, Number: number, Title: title, Lesson: l})
	}
	add(one, "welcome", "1.1", "Welcome")
	add(one, "pick", "1.2", "Pick a base")
	add(two, "find", "2.1", "Find the leak")
	add(two, "fix", "2.2", "Fix the leak")
	add(two, "scan", "2.3", "Scan it")
	return &lessons.Course{ID: "docker-security", Lessons: []*lessons.Lesson{one, two}}
}

const canary = "dt-canary-5e3f0a9c1b7d"

func learnerProgress() progress.Progress {
	return progress.Progress{
		Course: "docker-security", Learner: "ada-3f9a2c", Secret: canary,
		Steps: map[string]*progress.StepProgress{
			"welcome": {Status: progress.Passed, Began: began, PassedAt: began, Checks: 1},
			// Passed once after 4 minutes, fails now.
			"pick": {Status: progress.Failed, Began: began.Add(time.Minute), PassedAt: began.Add(5 * time.Minute), Checks: 3, HintsUsed: 1, Answer: []string{"b"}},
			"find": {Status: progress.Failed, Began: began.Add(10 * time.Minute), Checks: 2, HintsUsed: 2, SolutionSeen: true, Answer: []string{canary}},
			"scan": {Status: progress.Skipped, Began: began.Add(20 * time.Minute)},
		},
	}
}

func TestFromProgress(t *testing.T) {
	now := began.Add(time.Hour)
	rows := FromProgress(course(), learnerProgress(), "Ada", now)
	want := []Row{
		{Lesson: "basics", Step: "welcome", Number: "1.1", Title: "Welcome", Status: "passed", PassedAt: began, Attempts: 1},
		{Lesson: "basics", Step: "pick", Number: "1.2", Title: "Pick a base", Status: "failed", PassedAt: began.Add(5 * time.Minute), Attempts: 3, HintsUsed: 1, TimeOnStep: 4 * time.Minute},
		{Lesson: "leaks", Step: "find", Number: "2.1", Title: "Find the leak", Status: "failed", Attempts: 2, HintsUsed: 2, SolutionShown: true, TimeOnStep: 50 * time.Minute},
		{Lesson: "leaks", Step: "fix", Number: "2.2", Title: "Fix the leak"},
		{Lesson: "leaks", Step: "scan", Number: "2.3", Title: "Scan it", Status: "skipped", TimeOnStep: 40 * time.Minute},
	}
	if len(rows) != len(want) {
		t.Fatalf("%d rows, want one per step: %+v", len(rows), rows)
	}
	for i, w := range want {
		w.Learner, w.Name = "ada-3f9a2c", "Ada"
		if rows[i] != w {
			t.Errorf("row %d:\n got %+v\nwant %+v", i, rows[i], w)
		}
	}
}

// TestTheCanaryNeverLeavesInAGrade writes a learner whose canary is in
// their progress (and in an answer they typed) in every format.
func TestTheCanaryNeverLeavesInAGrade(t *testing.T) {
	rows := FromProgress(course(), learnerProgress(), "Ada", began.Add(time.Hour))
	for _, f := range Formats {
		var b bytes.Buffer
		if err := Write(&b, f, Sheet{Course: "docker-security", Generated: began, Rows: rows}); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if bytes.Contains(b.Bytes(), []byte(canary)) {
			t.Errorf("%s: the canary is in the export:\n%s", f, b.String())
		}
		if !bytes.Contains(b.Bytes(), []byte("Find the leak")) {
			t.Errorf("%s: the export lacks the steps:\n%s", f, b.String())
		}
	}
}

func TestFromProgressOfTheBuiltInCourse(t *testing.T) {
	c, ps := lessons.Builtin()
	if len(ps) > 0 {
		t.Fatal(ps)
	}
	rows := FromProgress(c, progress.Progress{Learner: "ada-3f9a2c"}, "", began)
	steps := c.Steps()
	if len(rows) != len(steps) {
		t.Fatalf("%d rows for %d steps", len(rows), len(steps))
	}
	for i, st := range steps {
		if rows[i].Step != st.ID || rows[i].Lesson != st.Lesson.ID || rows[i].Status != "" {
			t.Errorf("row %d: %+v, want step %s", i, rows[i], st.ID)
		}
	}
}
