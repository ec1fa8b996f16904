package tui

import (
	"context"
	"errors"
	"fmt"
	"image/color"
	"slices"
	"strings"
	"sync"
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

// J asks for the join address (the whole join command pasted will do) and
// a name, joins, says what joining means and shows the class at once.
func TestJoinAClassFromTheTutor(t *testing.T) {
	b := fixture.Session(t)
	fixture.ReturningTo(t, b, "pick")
	h := newHarness(t, b, 120, 30)
	var mu sync.Mutex
	var asked []string
	joined := false
	h.m.cfg.joinClass = func(_ context.Context, address, name string) (string, error) {
		mu.Lock()
		defer mu.Unlock()
		asked = append(asked, address, name)
		if address != "http://127.0.0.1:8080/join/k3y" {
			return "", errors.New("the class refused: That is not this class's code.")
		}
		joined = true
		return present.JoinedClass("Lab", name), nil
	}
	h.m.cfg.class = func() (present.ClassStatus, bool) {
		mu.Lock()
		defer mu.Unlock()
		return present.ClassStatus{Title: "Lab"}, joined
	}
	if !h.m.activeKeys().Join.Enabled() {
		t.Fatal("J does not work outside a class")
	}
	h.press("J")
	h.typeText("http://127.0.0.1:8080/join/wrong")
	h.press("enter")
	h.typeText("Ada")
	h.press("enter")
	h.settle(func(m Model) bool { return !m.joining })
	if !strings.Contains(h.m.flash.text, "not this class's code") || h.m.inClass {
		t.Fatalf("a refused join: %q, in class %v", h.m.flash.text, h.m.inClass)
	}
	h.press("J")
	h.typeText(`dockertutor class join http://127.0.0.1:8080/join/k3y --name "Your name"`)
	h.press("enter")
	h.typeText("Ada L.")
	h.press("enter")
	h.settle(func(m Model) bool { return m.inClass })
	if want := []string{"http://127.0.0.1:8080/join/wrong", "Ada", "http://127.0.0.1:8080/join/k3y", "Ada L."}; !slices.Equal(asked, want) {
		t.Fatalf("joined with %q, want %q", asked, want)
	}
	if !strings.HasPrefix(h.m.flash.text, "You joined the class Lab as Ada L.") || !strings.Contains(h.plainScreen(), "Class Lab ✓") {
		t.Fatalf("after joining: %q\n%s", h.m.flash.text, h.plainScreen())
	}
	if h.m.activeKeys().Join.Enabled() {
		t.Error("J still offered in a class")
	}
}
