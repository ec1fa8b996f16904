package tutor

import (
	"time"

	"github.com/dockertutor/dockertutor/exercises/check"
	"github.com/dockertutor/dockertutor/lessons"
)

// ActivityKind is one kind of thing a learner does in a session that
// someone watching the learner's progress (a class) may be told.
type ActivityKind string

const (
	// StepOpened: a step became current (Enter).
	StepOpened ActivityKind = "step-opened"
	// VerdictRecorded: a check's verdict was recorded in progress; a
	// check cut short or made without a daemon records nothing and says
	// nothing.
	VerdictRecorded ActivityKind = "verdict"
	// HintRevealed: a hint was shown (NextHint).
	HintRevealed ActivityKind = "hint"
	// SolutionShown: the reference solution was shown or applied.
	SolutionShown ActivityKind = "solution"
	// AnswerGiven: an answer was recorded; its value is never told.
	AnswerGiven ActivityKind = "answer"
	// StepSkipped: an optional step was skipped.
	StepSkipped ActivityKind = "skip"
)

// Activity is what the session tells its observer. It carries ids,
// outcomes and counts only: never a check's message or evidence, a file,
// an answer's value or the learner's canary, so an observer cannot pass
// them on by mistake.
type Activity struct {
	Kind ActivityKind
	At   time.Time
	Step string
	// Passed and Checks are a verdict's: each check's id and outcome.
	Passed bool
	Checks []CheckOutcome
	// Hint is the number of the hint revealed, from 1.
	Hint int
	// Attempts counts the answers given to the step so far.
	Attempts int
}

// CheckOutcome is one check of a verdict, by id.
type CheckOutcome struct {
	ID      string
	Outcome check.Outcome
}

// observe tells the observer, if any, what happened to the step.
func (s *Session) observe(a Activity) {
	if s.observer == nil {
		return
	}
	a.At = s.now().UTC()
	s.observer(a)
}

func (s *Session) observeVerdict(st *lessons.Step, v check.Verdict) {
	a := Activity{Kind: VerdictRecorded, Step: st.ID, Passed: v.Passed}
	for _, r := range v.Results {
		a.Checks = append(a.Checks, CheckOutcome{ID: r.ID, Outcome: r.Outcome})
	}
	s.observe(a)
}
