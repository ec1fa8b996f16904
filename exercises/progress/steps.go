package progress

import (
	"fmt"
	"time"

	"github.com/dockertutor/dockertutor/lessons"
)

// The methods here are what a session does to progress when a learner
// moves through a course, as pure functions of the progress and the
// course, so that every front end and test double does it the same way.

// CurrentStep is where the learner left off: the saved current step, else
// the first step not done (passed, or skipped), else the first. nil for a
// course without steps.
func (p Progress) CurrentStep(c *lessons.Course) *lessons.Step {
	if st, ok := c.Step(p.Current); ok && p.Current != "" {
		return st
	}
	steps := c.Steps()
	for _, st := range steps {
		if !p.StatusOf(st.ID).Done() {
			return st
		}
	}
	if len(steps) == 0 {
		return nil
	}
	return steps[0]
}

// Enter opens a step at now: it becomes current and its clock starts
// (once). A read step is done once opened.
func (p *Progress) Enter(st *lessons.Step, now time.Time) {
	p.Begin(st.ID, now)
	if st.Kind == lessons.KindRead {
		p.Record(st.ID, true, now)
	}
}

// RevealHint reveals the step's next hint and returns its number (from
// 1); when all are shown it returns the last again. 0 when the step has
// no hints.
func (p *Progress) RevealHint(st *lessons.Step) int {
	if len(st.Hints) == 0 {
		return 0
	}
	sp := p.Step(st.ID)
	sp.HintsUsed = max(0, min(sp.HintsUsed, len(st.Hints)-1)) + 1
	return sp.HintsUsed
}

// HintsRevealed is how many of the step's hints the learner has seen.
func (p Progress) HintsRevealed(st *lessons.Step) int {
	if sp, ok := p.Steps[st.ID]; ok {
		return max(0, min(sp.HintsUsed, len(st.Hints)))
	}
	return 0
}

// RevealedHints are the hints the learner has seen, filled with the values.
func (p Progress) RevealedHints(st *lessons.Step, v lessons.Values) []string {
	return st.HintTexts(p.HintsRevealed(st), v)
}

// RecordAnswer opens the step (if it was not) and records what the learner
// typed as its answer; steps other than quiz and free-answer ones take
// none, and nothing changes.
func (p *Progress) RecordAnswer(st *lessons.Step, typed string, now time.Time) error {
	answer, err := st.ParseAnswer(typed)
	if err != nil {
		return err
	}
	p.Begin(st.ID, now)
	p.Step(st.ID).Answer = answer
	return nil
}

// NotOptionalError is the answer to skipping a step the course needs.
type NotOptionalError struct{ Step *lessons.Step }

func (e *NotOptionalError) Error() string {
	return fmt.Sprintf("step %s (%s) is not optional: only optional steps can be skipped", e.Step.Number, e.Step.ID)
}

// Skip leaves an optional step out: it counts as done, not passed, and is
// not where a learner with no current step resumes (the front ends move
// on from it themselves). A step already passed stays passed. A later
// check records its verdict instead (Record does not keep a skip), so
// doing the step after all un-skips it.
func (p *Progress) Skip(st *lessons.Step, now time.Time) error {
	if !st.Optional {
		return &NotOptionalError{Step: st}
	}
	sp := p.Step(st.ID)
	if sp.Began.IsZero() {
		sp.Began = now
	}
	if sp.Status != Passed {
		sp.Status = Skipped
	}
	return nil
}
