package proof

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/moby/moby/client"

	"github.com/dockertutor/dockertutor/exercises/daemon"
	"github.com/dockertutor/dockertutor/exercises/dockertest"
	"github.com/dockertutor/dockertutor/lessons"
)

// TestCourseProof proves every step of the built-in course on the real
// daemon: solutions pass, starters do not, attempts fail what they name.
func TestCourseProof(t *testing.T) {
	cli := dockertest.Client(t)
	c := dockertest.BuiltinCourse(t, cli)
	connect := func(ctx context.Context) (daemon.Client, error) { return client.New(client.FromEnv) }
	for _, st := range c.Steps() {
		if st.Kind == lessons.KindRead {
			continue
		}
		t.Run(st.ID, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
			defer cancel()
			// A private namespace: the course's own names are a learner's.
			cases, err := Step(ctx, c, st, Options{Connect: connect, Dir: t.TempDir(), BothBuilders: true, Namespace: dockertest.Namespace(t)})
			if err != nil {
				t.Fatal(err)
			}
			if len(cases) == 0 {
				t.Fatal("nothing proven")
			}
			if st.Kind == lessons.KindExercise && !slices.ContainsFunc(cases, func(cs Case) bool { return cs.Name == "nothing done" }) {
				t.Error(`no "nothing done" case: every exercise must prove that a learner who did nothing beside another's finished work does not pass`)
			}
			for _, cs := range cases {
				if !cs.OK {
					t.Errorf("%s: want %s: %s (action: %s)", cs.Name, cs.Want, cs.Problem, cs.ActionErr)
				}
			}
		})
	}
}
