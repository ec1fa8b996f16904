package grades

import (
	"time"

	"github.com/dockertutor/dockertutor/exercises/progress"
	"github.com/dockertutor/dockertutor/lessons"
)

// FromProgress is one learner's rows, from their progress file: one per
// step of the course, in the course's order, as of now. name is the
// display name to give them. Nothing of the progress but the steps'
// statuses, times and counts goes in: never the canary, never an answer.
func FromProgress(course *lessons.Course, p progress.Progress, name string, now time.Time) []Row {
	var rows []Row
	for _, st := range course.Steps() {
		r := Row{Learner: p.Learner, Name: name, Step: st.ID, Number: st.Number, Title: st.Title}
		if st.Lesson != nil {
			r.Lesson = st.Lesson.ID
		}
		if sp, ok := p.Steps[st.ID]; ok && sp != nil {
			r.Status = string(sp.Status)
			r.PassedAt = sp.PassedAt
			// Every answer is checked as the step is (tutor.Session.Answer),
			// so the checks count the answers too.
			r.Attempts = sp.Checks
			r.HintsUsed = sp.HintsUsed
			r.SolutionShown = sp.SolutionSeen
			r.TimeOnStep = timeOnStep(sp, now)
		}
		rows = append(rows, r)
	}
	return rows
}

// timeOnStep runs from opening the step to its first pass, or to now.
func timeOnStep(sp *progress.StepProgress, now time.Time) time.Duration {
	switch {
	case sp.Began.IsZero():
		return 0
	case !sp.PassedAt.IsZero():
		return max(0, sp.PassedAt.Sub(sp.Began))
	default:
		return max(0, now.Sub(sp.Began))
	}
}
