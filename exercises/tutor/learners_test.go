package tutor

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/client"

	"github.com/dockertutor/dockertutor/exercises/check"
	"github.com/dockertutor/dockertutor/exercises/daemon"
	"github.com/dockertutor/dockertutor/exercises/dockertest"
	"github.com/dockertutor/dockertutor/exercises/progress"
	"github.com/dockertutor/dockertutor/lessons"
)

// openLearner opens the session of a learner of their own: their own state
// folder and workspace, and a learner id saved in their progress before
// the session opens, as a returning learner's is. The id is a test
// namespace's name, so that what the learner makes is this test's.
func openLearner(t *testing.T, c *lessons.Course) *Session {
	t.Helper()
	state := t.TempDir()
	id := dockertest.Namespace(t).String()
	st, err := progress.Open(state, c.ID)
	if err == nil {
		_, err = st.Update(c.ID, func(p *progress.Progress) error { p.Learner = id; return nil })
	}
	if err != nil {
		t.Fatal(err)
	}
	s, err := Open(Options{Course: c, WorkspaceRoot: t.TempDir(), StateDir: state,
		Connect: func(ctx context.Context) (daemon.Client, error) { return client.New(client.FromEnv) }})
	if err != nil {
		t.Fatal(err)
	}
	if s.Learner() != id {
		t.Fatalf("the session works as %q, not the learner id %q saved in the progress", s.Learner(), id)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		if _, err := s.CleanDocker(ctx, c.Steps(), false); err != nil {
			t.Logf("cleaning %s: %v", id, err)
		}
		s.Close()
	})
	return s
}

// Two learners on one daemon, each in their own namespace through the
// real session, work through the build-secrets and runtime-secrets
// lessons interleaved: A solves a step; B, having done nothing, checks it
// beside A's finished work and fails; B solves it; A resets it, which
// leaves B's pass alone, and solves it again. Neither passes a step the
// other did, a value the other has is not theirs, and neither's reset
// removes the other's objects.
func TestTwoLearnersOnOneDaemon(t *testing.T) {
	cli := dockertest.Client(t)
	c := dockertest.BuiltinCourse(t, cli)
	a, b := openLearner(t, c), openLearner(t, c)
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	pa, _ := a.Progress()
	pb, _ := b.Progress()
	if pa.Secret == pb.Secret || a.Learner() == b.Learner() {
		t.Fatal("two learners share a canary or an id")
	}

	var worked int
	for _, les := range c.Lessons {
		if les.ID != "build-secrets" && les.ID != "runtime-secrets" {
			continue
		}
		for _, st := range les.Steps {
			if st.Kind != lessons.KindExercise && st.Kind != lessons.KindAnswer {
				continue
			}
			worked++
			t.Logf("step %s %s", st.Number, st.ID)
			solve(ctx, t, a, "A", st)
			// B has only opened the step; A's finished work is on the daemon.
			if _, _, err := b.Enter(st); err != nil {
				t.Fatal(err)
			}
			mustFail(ctx, t, b, "B, having done nothing,", st)
			if st.Kind == lessons.KindAnswer {
				// A's values (their canary, the secrets hidden in their
				// teammate's image) are not B's.
				theirs, err := st.ReferenceAnswer(a.Values(st, pa))
				if err != nil {
					t.Fatal(err)
				}
				v, err := b.Answer(ctx, st, theirs)
				if err != nil || v.Passed {
					t.Fatalf("%s: B passed with A's answer (%v)", st.ID, err)
				}
			}
			if act := st.Action; act != nil && act.Build != nil && act.Run != nil {
				// B builds the same files but starts nothing: A's container,
				// of an image that may well have the same ID (the build
				// cache), is not B's.
				buildOnly := *st
				buildOnly.Action = &lessons.Action{Build: act.Build}
				if err := b.Run(ctx, &buildOnly, nil); err != nil {
					t.Fatalf("%s: B's build: %v", st.ID, err)
				}
				ia, _ := cli.ImageInspect(ctx, a.Values(st, pa).Image)
				ib, _ := cli.ImageInspect(ctx, b.Values(st, pb).Image)
				t.Logf("%s: A's and B's images are %s and %s", st.ID, daemon.ShortID(ia.ID), daemon.ShortID(ib.ID))
				mustFail(ctx, t, b, "B, having built but started nothing,", st)
			}
			solve(ctx, t, b, "B", st)

			// A starts the step over: B's objects and pass stay.
			if err := a.ResetStep(ctx, st); err != nil {
				t.Fatalf("%s: A's reset: %v", st.ID, err)
			}
			mustPass(ctx, t, b, "B, after A's reset,", st)
			if _, _, err := a.Enter(st); err != nil {
				t.Fatal(err)
			}
			mustFail(ctx, t, a, "A, after a reset,", st)
			if st.Action == nil && st.NeedsDaemon() {
				// The step reads the image an earlier step builds, and its
				// reset removed it: A builds it again first.
				for _, earlier := range les.Steps {
					if earlier == st {
						break
					}
					if earlier.Action != nil && earlier.Action.Build != nil && earlier.Image == st.Image {
						solve(ctx, t, a, "A again", earlier)
					}
				}
			}
			solve(ctx, t, a, "A again", st)
			mustPass(ctx, t, b, "B, after A's second solution,", st)
		}
	}
	if worked < 7 {
		t.Fatalf("only %d steps worked through: the lessons changed under the test", worked)
	}
	for name, s := range map[string]*Session{"A": a, "B": b} {
		p, _ := s.Progress()
		for _, les := range c.Lessons {
			for _, st := range les.Steps {
				if (les.ID == "build-secrets" || les.ID == "runtime-secrets") && (st.Kind == lessons.KindExercise || st.Kind == lessons.KindAnswer) && p.StatusOf(st.ID) != progress.Passed {
					t.Errorf("%s's progress says %s is %q after their last pass", name, st.ID, p.StatusOf(st.ID))
				}
			}
		}
	}
}

// solve lays out the step's reference solution (or records its answer),
// runs its action, and wants the verdict to pass and be recorded.
func solve(ctx context.Context, t *testing.T, s *Session, who string, st *lessons.Step) {
	t.Helper()
	if err := s.Solve(ctx, st, nil); err != nil {
		t.Fatalf("%s: %s's solution: %v", st.ID, who, err)
	}
	mustPass(ctx, t, s, who, st)
}

func mustPass(ctx context.Context, t *testing.T, s *Session, who string, st *lessons.Step) {
	t.Helper()
	v, err := s.Check(ctx, st)
	if err != nil || !v.Passed {
		t.Fatalf("%s: %s does not pass (%v):\n%s", st.ID, who, err, describe(v))
	}
	if p, _ := s.Progress(); p.StatusOf(st.ID) != progress.Passed {
		t.Fatalf("%s: %s passed on screen, but progress says %q", st.ID, who, p.StatusOf(st.ID))
	}
}

func mustFail(ctx context.Context, t *testing.T, s *Session, who string, st *lessons.Step) {
	t.Helper()
	v, err := s.Check(ctx, st)
	if err != nil || v.Passed || v.Unreachable() {
		t.Fatalf("%s: %s passes, or was not checked (%v):\n%s", st.ID, who, err, describe(v))
	}
	if p, _ := s.Progress(); p.StatusOf(st.ID) == progress.Passed {
		t.Fatalf("%s: %s failed on screen, but progress says passed", st.ID, who)
	}
}

func describe(v check.Verdict) string {
	var b strings.Builder
	for _, r := range v.Results {
		fmt.Fprintf(&b, "  %s %s: %s\n", r.Outcome, r.ID, r.Message)
	}
	return b.String()
}
