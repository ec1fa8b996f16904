package present

import (
	"testing"

	"github.com/dockertutor/dockertutor/lessons"
)

func TestClassLineSaysWhetherReportsGetThrough(t *testing.T) {
	for _, c := range []struct {
		status     ClassStatus
		line, mark string
	}{
		{ClassStatus{Title: "Lab"}, "Class Lab ✓", "Class ✓"},
		{ClassStatus{Title: "Lab", Waiting: 3}, "Class Lab …3", "Class …3"},
		{ClassStatus{Title: "Lab", Waiting: 3, Trouble: ClassNoAnswer}, "Class Lab …3: no answer", "Class …3"},
		{ClassStatus{Title: "Lab", Trouble: ClassNotKnown}, "Class Lab: join again", "Class !"},
	} {
		if got := ClassLine(c.status); got != c.line {
			t.Errorf("%+v: line %q, want %q", c.status, got, c.line)
		}
		if got := ClassMark(c.status); got != c.mark {
			t.Errorf("%+v: mark %q, want %q", c.status, got, c.mark)
		}
	}
}

// The room held at a lesson keeps the lessons after it closed; a lesson
// the course does not have holds nothing.
func TestHeldLesson(t *testing.T) {
	c, ps := lessons.Builtin()
	if len(ps) > 0 || len(c.Lessons) < 3 {
		t.Fatal(ps)
	}
	first, second, third := c.Lessons[0], c.Lessons[1], c.Lessons[2]
	for _, tc := range []struct {
		hold string
		st   *lessons.Step
		want bool
	}{
		{"", third.Steps[0], false},
		{second.ID, second.Steps[0], false},
		{second.ID, first.Steps[0], false},
		{second.ID, third.Steps[0], true},
		{"no-such-lesson", third.Steps[0], false},
	} {
		l, held := HeldLesson(c, tc.st, tc.hold)
		if held != tc.want || held && l != third {
			t.Errorf("hold %q, step %s: held %v (%v), want %v", tc.hold, tc.st.ID, held, l, tc.want)
		}
	}
	if got := LessonOpensSoon(third); got != "Lesson 3 opens soon: your instructor will open it." {
		t.Errorf("%q", got)
	}
}
