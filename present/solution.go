package present

import (
	"fmt"

	"github.com/dockertutor/dockertutor/lessons"
)

// SolutionQuestion is what the tutor asks before it gives a learner the
// solution of a step they have not passed, or for a quiz or free-answer
// step, whose solution is its answer: recording it replaces the learner's
// and cannot be taken back (it counts as a solution seen). It is "" when
// nothing needs asking.
func SolutionQuestion(st *lessons.Step, passed bool) string {
	switch {
	case st.Kind == lessons.KindQuiz || st.Kind == lessons.KindAnswer:
		// Short: the full screen asks on one line of 80 columns.
		return fmt.Sprintf("Record the reference answer of %s? It counts as a solution seen.", st.Number)
	case passed:
		return ""
	}
	return fmt.Sprintf("You have not passed step %s yet. Show the reference solution anyway?", st.Number)
}

// ApplySolutionQuestion is asked before the reference solution replaces
// the learner's files.
const ApplySolutionQuestion = "Put the reference solution in your step folder and run it? Your files are backed up first."

// HasSolution says whether a step has a solution the tutor can give: an
// exercise's files, or a quiz's or free answer's reference answer.
func HasSolution(st *lessons.Step) bool {
	switch st.Kind {
	case lessons.KindExercise, lessons.KindQuiz, lessons.KindAnswer:
		return true
	}
	return false
}

// SolvedSummary is the last line of `solve --all`: how many steps it
// solved, and which did not pass, so an instructor readying a machine sees
// every step that needs a look, not only the first.
func SolvedSummary(solved int, notPassed []*lessons.Step) string {
	if len(notPassed) == 0 {
		return fmt.Sprintf("All %d steps passed with their reference solutions.", solved)
	}
	s := fmt.Sprintf("%d of %d steps did not pass with their reference solutions:", len(notPassed), solved)
	for _, st := range notPassed {
		s += fmt.Sprintf("\n  %s %s", st.Number, st.Title)
	}
	return s
}
