package server

import (
	"sync"
	"testing"
	"time"

	"github.com/dockertutor/dockertutor/classroom/wire"
)

// clock is a settable Options.Now.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// A learner's clock is theirs: one set days ahead or years behind (or a
// tutor that lies) must not hide a stuck learner, mark one stuck at once,
// or put years into the grade sheet's time on a step. The server takes an
// event's time as no later than it arrived and no earlier than the
// learner joined.
func TestEventTimesAreClampedToWhenTheyCouldHaveHappened(t *testing.T) {
	clk := &clock{now: time.Date(2026, 3, 3, 9, 0, 0, 0, time.UTC)}
	c := newClass(t, Options{Now: clk.Now})
	ahead := c.join("ann-1", "Ann")
	behind := c.join("bob-1", "Bob")

	e := at(1, wire.StepOpened, "build")
	e.At = clk.Now().Add(72 * time.Hour)
	if code, _, body := c.post(ahead, batch(e)); code != 200 {
		t.Fatalf("%d %s", code, body)
	}
	e.At = clk.Now().AddDate(-3, 0, 0)
	if code, _, body := c.post(behind, batch(e)); code != 200 {
		t.Fatalf("%d %s", code, body)
	}
	if l := c.learner("bob-1"); l.Stuck || l.OnStepSeconds > 60 {
		t.Errorf("an event three years old: %d s on the step, stuck %v", l.OnStepSeconds, l.Stuck)
	}
	clk.add(11 * time.Minute)
	if l := c.learner("ann-1"); !l.Stuck || l.OnStepSeconds < 600 {
		t.Errorf("an event three days ahead: %d s on the step, stuck %v: 11 minutes passed", l.OnStepSeconds, l.Stuck)
	}
	for _, r := range c.srv.Grades().Rows {
		if r.Step == "build" && (r.TimeOnStep < 10*time.Minute || r.TimeOnStep > 12*time.Minute) {
			t.Errorf("%s: time on the step %v, want about 11 min", r.Learner, r.TimeOnStep)
		}
	}
}
