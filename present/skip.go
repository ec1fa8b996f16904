package present

import (
	"fmt"

	"github.com/dockertutor/dockertutor/lessons"
)

// SkippedLine confirms that a learner skipped an optional step, and how
// to take it up again.
func SkippedLine(st *lessons.Step) string {
	return fmt.Sprintf("Step %s skipped: it counts as done, not passed. Checking it later records its verdict instead.", st.Number)
}
