package report

import "time"

// GradesFormat is the format of a grades export.
const GradesFormat = "dockertutor.grades/1"

func (*Grades) FormatName() string { return GradesFormat }
func (d *Grades) stamp()           { d.Format = GradesFormat }

// Grades is `dockertutor class export --format json` and `dockertutor
// report --format json`: how each learner fared in each step of a course.
type Grades struct {
	Format string `json:"format"`
	Course string `json:"course"`
	// Generated is when the grades were taken: the time on a step not
	// passed runs to it.
	Generated time.Time `json:"generated"`
	Rows      []Grade   `json:"rows"`
}

// Grade is one learner in one step.
type Grade struct {
	Learner string `json:"learner"`
	// Name is the display name the learner chose: untrusted text, to be
	// escaped wherever it is shown.
	Name   string `json:"name"`
	Lesson string `json:"lesson"`
	Step   string `json:"step"`
	Number string `json:"number"`
	Title  string `json:"title"`
	// Status is a step status of the list format ("not-started", …).
	Status string `json:"status"`
	// Passed says the step stands passed (its latest verdict passed).
	Passed bool `json:"passed"`
	// PassedAt is when the step first passed; absent when it never did.
	PassedAt          time.Time `json:"passed_at,omitzero"`
	Attempts          int       `json:"attempts"`
	HintsUsed         int       `json:"hints_used"`
	SolutionShown     bool      `json:"solution_shown"`
	TimeOnStepSeconds int64     `json:"time_on_step_seconds"`
}
