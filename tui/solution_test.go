package tui

import (
	"slices"
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"

	"github.com/dockertutor/dockertutor/exercises/progress"
	"github.com/dockertutor/dockertutor/lessons"
	"github.com/dockertutor/dockertutor/tui/internal/fake"
	"github.com/dockertutor/dockertutor/tui/internal/fixture"
)

// teammateAnswer is what the teammate's image hides, for the learner of
// the fake session: each value and the text that says where it is.
func teammateAnswer(t *testing.T, b *fake.Session, st *lessons.Step) (values, wheres []string) {
	t.Helper()
	p, err := b.Progress()
	if err != nil {
		t.Fatal(err)
	}
	v := b.Values(st, p)
	for _, part := range st.Answer.Values {
		value, err := lessons.Expand(part.Value, v)
		if err != nil {
			t.Fatal(err)
		}
		where, err := lessons.Expand(part.Where, v)
		if err != nil {
			t.Fatal(err)
		}
		values, wheres = append(values, value), append(wheres, lessons.PlainText(where))
	}
	return values, wheres
}

// resultsText is the whole results pane, unwrapped enough to find a
// sentence in it.
func resultsText(h *harness) string {
	return strings.Join(strings.Fields(ansi.Strip(h.m.results.vp.GetContent())), " ")
}

// A learner stuck on the teammate's image gives up with s: after a yes the
// reference answer is recorded and checked, the verdict says where each
// value was, and the step counts a solution seen. Before the yes nothing
// on screen gives a value away.
func TestGivingUpOnAnAnswerStepShowsWhereEachValueWas(t *testing.T) {
	c, ps := lessons.Builtin()
	if len(ps) > 0 {
		t.Fatal(ps.Error())
	}
	b := fake.Open(t, c)
	fixture.ReturningTo(t, b, "teammate-image")
	st, _ := c.Step("teammate-image")
	values, wheres := teammateAnswer(t, b, st)
	h := newHarness(t, b, 200, 60)
	notShown := func(when string) {
		t.Helper()
		for _, text := range []string{h.plainScreen(), resultsText(h), h.m.text.doc} {
			for _, v := range values {
				if strings.Contains(text, v) {
					t.Fatalf("%s, the screen shows the hidden value %q:\n%s", when, v, text)
				}
			}
			if strings.Contains(text, "where it is") {
				t.Fatalf("%s, the screen says where a value is:\n%s", when, text)
			}
		}
	}

	contains(t, helpText(h), "s solution")
	h.press("a")
	h.typeText("npm_notit")
	h.press("enter")
	notShown("after a wrong answer")

	h.press("s")
	if h.m.prompt.kind != promptConfirm {
		t.Fatal("giving up needs a yes")
	}
	contains(t, h.plainScreen(), "Record the reference answer of "+st.Number+"? It counts as a solution seen.")
	h.press("n")
	if slices.Contains(b.Calls(), "Solve teammate-image") {
		t.Fatal("no means no")
	}
	notShown("after no")

	h.press("s", "y")
	if !slices.Contains(b.Calls(), "Solve teammate-image") {
		t.Fatalf("Solve not called: %v", b.Calls())
	}
	v := h.m.results.verdict
	if v == nil || !v.Passed {
		t.Fatalf("the reference answer passes: %+v", v)
	}
	got := resultsText(h)
	for _, where := range wheres {
		want := strings.Join(strings.Fields(where), " ")
		if !strings.Contains(got, want) {
			t.Errorf("the verdict does not say %q:\n%s", want, got)
		}
	}
	// The answer recorded shows at the end of the step's text, in view.
	if !h.m.text.vp.AtBottom() {
		t.Error("the step's text does not show its end, where the recorded answer is")
	}
	contains(t, h.m.text.doc, "Your answer: `"+strings.Join(values, " ")+"`")
	if sp := h.m.prog.Steps[st.ID]; sp == nil || !sp.SolutionSeen {
		t.Error("giving up counts as a solution seen")
	}
	if h.m.prog.StatusOf(st.ID) != progress.Passed {
		t.Errorf("status %q after the reference answer", h.m.prog.StatusOf(st.ID))
	}
}

// A quiz gives up the same way: the right choice is recorded and checked.
func TestGivingUpOnAQuizRecordsTheRightChoice(t *testing.T) {
	b := fixture.Session(t)
	fixture.ReturningTo(t, b, "pick")
	h := newHarness(t, b, 80, 24)
	h.press("s")
	contains(t, h.plainScreen(), "Record the reference answer of 1.2?")
	h.press("y")
	if v := h.m.results.verdict; v == nil || !v.Passed {
		t.Fatalf("the reference choice passes: %+v", h.m.results.verdict)
	}
	contains(t, h.m.text.doc, "Your answer: **b**")
}
