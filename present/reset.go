package present

import (
	"fmt"
	"strings"

	"github.com/dockertutor/dockertutor/exercises/tutor"
	"github.com/dockertutor/dockertutor/lessons"
)

// ResetQuestion asks whether to reset a step.
func ResetQuestion(st *lessons.Step) string {
	return fmt.Sprintf("Reset step %s? Your files are backed up, then the starter files come back.", st.Number)
}

// ResetPlan says what a reset of a step removes from Docker besides its
// files: the list a dry run of the reset gave, which names the step's
// images even when the learner built them by hand.
func ResetPlan(removals []tutor.Removal) string {
	if len(removals) == 0 {
		return "The step has nothing on Docker to remove."
	}
	parts := make([]string, len(removals))
	for i, r := range removals {
		parts[i] = r.Kind + " " + r.Name
	}
	return "Reset also removes " + strings.Join(parts, ", ") + " from Docker (in your namespace only)."
}
