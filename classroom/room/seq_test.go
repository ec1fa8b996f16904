package room

import (
	"testing"

	"github.com/dockertutor/dockertutor/classroom/wire"
)

// Two verdicts that read the same on the dashboard differ by their seq,
// which is how a script tells that the second one reached the room.
func TestLearnerSeqNamesTheLastReport(t *testing.T) {
	c := testCourse()
	es := events(opened("build"), verdict("build", false, fail("exists"), ok("user")), verdict("build", false, fail("exists"), ok("user")))
	for n, want := range []int64{0, 1, 2, 3} {
		r := Derive(c, Settings{}, []Learner{learner("ann")}, map[string][]wire.Event{"ann": es[:n]}, t0)
		if got := r.Learners[0].Seq; got != want {
			t.Errorf("after %d events: seq %d, want %d", n, got, want)
		}
	}
}
