package proof

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/dockertutor/dockertutor/lessons"
)

// proveSteps proves each step (read steps have nothing to prove) as a
// subtest, each case a failure when it does not hold, and returns how many
// cases held.
func proveSteps(t *testing.T, c *lessons.Course, steps []*lessons.Step, o Options, timeout time.Duration) int {
	t.Helper()
	proven := 0
	for _, st := range steps {
		if st.Kind == lessons.KindRead {
			continue
		}
		t.Run(st.ID, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), timeout)
			defer cancel()
			o := o
			o.Dir = t.TempDir()
			cases, err := Step(ctx, c, st, o)
			if err != nil {
				t.Fatal(err)
			}
			if len(cases) == 0 {
				t.Fatal("nothing proven")
			}
			if st.Kind == lessons.KindExercise && o.ByHand == nil && !slices.ContainsFunc(cases, func(cs Case) bool { return cs.Name == "nothing done" }) {
				t.Error(`no "nothing done" case: every exercise must prove that a learner who did nothing beside another's finished work does not pass`)
			}
			for _, cs := range cases {
				if !cs.OK {
					t.Errorf("%s: want %s: %s (action: %s)", cs.Name, cs.Want, cs.Problem, cs.ActionErr)
					continue
				}
				proven++
			}
		})
	}
	return proven
}
