package plain

import (
	"strings"
	"testing"

	"github.com/dockertutor/dockertutor/lessons"
	"github.com/dockertutor/dockertutor/tui/internal/fake"
	"github.com/dockertutor/dockertutor/tui/internal/fixture"
)

// s on the teammate's image gives up: after a yes the reference answer is
// recorded and checked, and the verdict says where each value was. Until
// then nothing printed gives a value away.
func TestPlainModeGivesUpOnAnAnswerStep(t *testing.T) {
	c, ps := lessons.Builtin()
	if len(ps) > 0 {
		t.Fatal(ps.Error())
	}
	b := fake.Open(t, c)
	fixture.ReturningTo(t, b, "teammate-image")
	st, _ := c.Step("teammate-image")
	p, err := b.Progress()
	if err != nil {
		t.Fatal(err)
	}
	v := b.Values(st, p)

	out := runPlainWith(t, b, c, "a npm_notit", "s", "n", "s", "y", "q")
	question := "Record the reference answer of " + st.Number + "? It counts as a solution seen. [y/N]"
	first := strings.Index(out, question)
	if first < 0 || strings.Count(out, question) != 2 {
		t.Fatalf("s asks each time:\n%s", out)
	}
	// The second question is the one answered yes.
	yes := first + len(question) + strings.Index(out[first+len(question):], question)
	flat := strings.Join(strings.Fields(out[yes:]), " ")
	for _, part := range st.Answer.Values {
		value, err := lessons.Expand(part.Value, v)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(out[:yes], value) {
			t.Errorf("the value %s is printed before the learner gave up:\n%s", part.ID, out[:yes])
		}
		where, err := lessons.Expand(part.Where, v)
		if err != nil {
			t.Fatal(err)
		}
		if want := "where it is: " + strings.Join(strings.Fields(lessons.PlainText(where)), " "); !strings.Contains(flat, want) {
			t.Errorf("the verdict lacks %q:\n%s", want, out[yes:])
		}
	}
	if strings.Contains(out[:yes], "where it is") {
		t.Errorf("a value's place is said before the learner gave up:\n%s", out[:yes])
	}
	if !strings.Contains(flat, "Recorded the reference answer") || !strings.Contains(flat, "Step passed.") {
		t.Errorf("the reference answer is recorded and passes:\n%s", out[yes:])
	}
	if p, err := b.Progress(); err != nil || !p.Steps[st.ID].SolutionSeen {
		t.Errorf("giving up counts as a solution seen (%v)", err)
	}
}
