package tui

import (
	"strings"

	"github.com/charmbracelet/x/ansi"

	"github.com/dockertutor/dockertutor/exercises/progress"
	"github.com/dockertutor/dockertutor/lessons"
	"github.com/dockertutor/dockertutor/present"
)

// outlinePane lists the lessons and their steps with each step's status.
// When focused, a cursor picks a step to open; while searching, only the
// matching steps are listed.
type outlinePane struct {
	selected int // index into the course's steps
}

// outlineView is what the outline needs from the model to draw.
type outlineView struct {
	course   *lessons.Course
	prog     progress.Progress
	current  int  // the open step, -1 on the welcome and summary pages
	focused  bool // show the cursor
	filtered bool
	matches  []int // with filtered, the steps to list
}

// lines draws the outline for a pane of the given inner size, scrolled so
// the cursor (or the open step) stays in view.
func (o outlinePane) lines(st Styles, v outlineView, width, height int) []string {
	keep := map[int]bool{}
	for _, i := range v.matches {
		keep[i] = true
	}
	var out []string
	focusLine := 0
	idx := 0
	for _, l := range v.course.Lessons {
		header := false
		for _, s := range l.Steps {
			i := idx
			idx++
			if v.filtered && !keep[i] {
				continue
			}
			if !header {
				out = append(out, st.LessonTitle.Render(ansi.Truncate(itoa(l.Number)+" "+l.Title, width, "…")))
				header = true
			}
			if (v.focused || v.filtered) && i == o.selected || !v.focused && !v.filtered && i == v.current {
				focusLine = len(out)
			}
			out = append(out, o.stepLine(st, v, i, s, width))
		}
	}
	if v.filtered && len(out) == 0 {
		out = append(out, st.Muted.Render("No step matches."))
	}
	if len(out) <= height {
		return out
	}
	// Keep the focused line near the middle, never scrolling past the end.
	top := min(max(focusLine-height/2, 0), len(out)-height)
	return out[top : top+height]
}

func (o outlinePane) stepLine(st Styles, v outlineView, i int, s *lessons.Step, width int) string {
	status := present.StatusMark(v.prog.StatusOf(s.ID))
	mark := st.statusMark(status.Role).Render(status.Glyph)
	cursor := " "
	text := s.Number + " " + s.Title
	if s.Optional {
		text += " (optional)"
	}
	text = ansi.Truncate(text, max(width-4, 1), "…")
	style := st.Step
	if i == v.current {
		cursor = st.MarkCurrent.Render("▸")
		style = st.StepCurrent
	}
	line := " " + cursor + mark + " " + style.Render(text)
	if (v.focused || v.filtered) && i == o.selected {
		plain := " " + ansi.Strip(cursor) + ansi.Strip(mark) + " " + text
		return st.StepSelected.Render(fitLine(plain, width))
	}
	return line
}

// searchSteps returns the steps whose number, id, title or lesson title
// contains every word of the query, in course order.
func searchSteps(c *lessons.Course, query string) []int {
	words := strings.Fields(strings.ToLower(query))
	var out []int
	for i, s := range c.Steps() {
		hay := strings.ToLower(s.Number + " " + s.ID + " " + s.Title + " " + s.Lesson.Title)
		ok := true
		for _, w := range words {
			if !strings.Contains(hay, w) {
				ok = false
				break
			}
		}
		if ok {
			out = append(out, i)
		}
	}
	return out
}
