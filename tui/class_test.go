package tui

import (
	"fmt"
	"image/color"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/exp/golden"

	"github.com/dockertutor/dockertutor/present"
	"github.com/dockertutor/dockertutor/tui/internal/fixture"
)

var classCases = []struct {
	name   string
	status present.ClassStatus
}{
	{"delivered-with-message", present.ClassStatus{Title: "Docker security, Tuesday", Message: "Break until 11:00, then lesson 3 together"}},
	{"waiting-no-answer", present.ClassStatus{Title: "Docker security, Tuesday", Waiting: 4, Trouble: present.ClassNoAnswer}},
}

// The status line names the class and says whether reports get through;
// the instructor's message shows above it. Update with
// `go test ./tui -run TestGoldenClass -update`.
func TestGoldenClass(t *testing.T) {
	for _, c := range classCases {
		for _, size := range [][2]int{{80, 24}, {120, 40}} {
			t.Run(fmt.Sprintf("%s/%dx%d", c.name, size[0], size[1]), func(t *testing.T) {
				b, shown := goldenSession(t)
				fixture.ReturningTo(t, b, "leak-build")
				h := newHarness(t, b, size[0], size[1])
				h.send(tea.BackgroundColorMsg{Color: color.Black})
				h.send(classMsg{status: c.status, inClass: true})
				screen := shown(h.screen())
				requireSize(t, screen, size[0], size[1])
				golden.RequireEqual(t, screen)
			})
		}
	}
}

// A step in a lesson after the one the room is held at does not open: the
// learner is told it opens soon, and stays where they are.
func TestAHeldLessonDoesNotOpen(t *testing.T) {
	b := fixture.Session(t)
	fixture.ReturningTo(t, b, "pick")
	h := newHarness(t, b, 100, 30)
	h.send(classMsg{status: present.ClassStatus{Title: "Lab", HoldLesson: "basics"}, inClass: true})
	h.press("n")
	if st := h.m.step(); st == nil || st.ID != "pick" {
		t.Fatalf("on %v, want pick: the next lesson is held", st)
	}
	if h.m.flash.text != "Lesson 2 opens soon: your instructor will open it." || !strings.Contains(h.plainScreen(), "Lesson 2 opens soon") {
		t.Fatalf("the status line does not say the lesson is held: %q\n%s", h.m.flash.text, h.plainScreen())
	}
	// Opened: the step opens.
	h.send(classMsg{status: present.ClassStatus{Title: "Lab"}, inClass: true})
	h.press("n")
	if st := h.m.step(); st == nil || st.ID != "leak-build" {
		t.Fatalf("on %v after the hold was lifted, want leak-build", st)
	}
}
