package tutor

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/dockertutor/dockertutor/exercises/daemon"
	"github.com/dockertutor/dockertutor/exercises/daemon/fakedaemon"
	"github.com/dockertutor/dockertutor/exercises/dockertest"
	"github.com/dockertutor/dockertutor/lessons"
)

// observed collects what a session tells its observer.
type observed struct{ got []Activity }

func (o *observed) observe(a Activity) { o.got = append(o.got, a) }

// take returns what was observed since the last take, and forgets it.
func (o *observed) take() []Activity { got := o.got; o.got = nil; return got }

func kindsOf(as []Activity) []ActivityKind {
	var out []ActivityKind
	for _, a := range as {
		out = append(out, a.Kind)
	}
	return out
}

// Each thing the learner does is told once, as it is saved, with ids,
// outcomes and counts only; a check cut short or made without a daemon
// is not a verdict and is not told.
func TestTheObserverIsToldWhatTheLearnerDoesOnce(t *testing.T) {
	c, ps := lessons.Load(fstest.MapFS{
		"course.yaml":   {Data: []byte("format: 1\nid: tutorobserved\ntitle: T\nimages: [{ref: alpine:3.22}]\nlessons: [l]\n")},
		"l/lesson.yaml": {Data: []byte("title: L\nsteps: [found, build, extra]\n")},
		"l/found/step.md": {Data: []byte("---\ntitle: Found\nkind: answer\nanswer: {expect: secret}\n" +
			"hints: [Look in the history., It is in a layer.]\n---\nWhat?\n")},
		"l/build/step.md":             {Data: []byte("---\ntitle: Build\nkind: exercise\nmain: Dockerfile\nimage: dttest-tutor/app\nchecks:\n  - {id: fresh, type: image.fresh}\n  - {id: clean, type: leak.absent}\nattempts:\n  - {name: unbuilt, no-action: true, fails: [fresh, clean]}\n---\nBuild.\n")},
		"l/build/starter/Dockerfile":  {Data: []byte("FROM alpine:3.22\n")},
		"l/build/solution/Dockerfile": {Data: []byte("FROM alpine:3.22\nRUN echo built > /t\n")},
		"l/extra/step.md":             {Data: []byte("---\ntitle: Extra\nkind: read\noptional: true\n---\nRead.\n")},
	})
	if len(ps) > 0 {
		t.Fatal(ps)
	}
	var o observed
	d := fakedaemon.New()
	reachable := true
	s, err := Open(Options{Course: c, WorkspaceRoot: t.TempDir(), StateDir: t.TempDir(), Namespace: dockertest.Namespace(t), Observe: o.observe,
		Connect: func(ctx context.Context) (daemon.Client, error) {
			if !reachable {
				return nil, errors.New("no daemon")
			}
			return d, nil
		}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	p, _ := s.Progress()
	found, _ := c.Step("found")
	build, _ := c.Step("build")
	extra, _ := c.Step("extra")

	expect := func(what string, want ...Activity) {
		t.Helper()
		got := o.take()
		if len(got) != len(want) {
			t.Fatalf("%s: told %v, want %v", what, kindsOf(got), kindsOf(want))
		}
		for i, a := range got {
			if a.At.IsZero() {
				t.Errorf("%s: %s without a time", what, a.Kind)
			}
			a.At = want[i].At
			if fmt.Sprint(a) != fmt.Sprint(want[i]) {
				t.Errorf("%s: told %+v, want %+v", what, a, want[i])
			}
			if strings.Contains(fmt.Sprintf("%#v", a), p.Secret) {
				t.Errorf("%s: the canary reached the observer: %+v", what, a)
			}
		}
	}

	if _, _, err := s.Enter(found); err != nil {
		t.Fatal(err)
	}
	expect("enter", Activity{Kind: StepOpened, Step: "found"})
	if _, err := s.NextHint(found); err != nil {
		t.Fatal(err)
	}
	if _, err := s.NextHint(found); err != nil {
		t.Fatal(err)
	}
	expect("two hints", Activity{Kind: HintRevealed, Step: "found", Hint: 1}, Activity{Kind: HintRevealed, Step: "found", Hint: 2})
	if _, err := s.Answer(ctx, found, "not it"); err != nil {
		t.Fatal(err)
	}
	failed := Activity{Kind: VerdictRecorded, Step: "found", Checks: []CheckOutcome{{ID: "answer", Outcome: "failed"}}}
	expect("a wrong answer", Activity{Kind: AnswerGiven, Step: "found", Attempts: 1}, failed)
	if _, err := s.Answer(ctx, found, p.Secret); err != nil {
		t.Fatal(err)
	}
	passed := Activity{Kind: VerdictRecorded, Step: "found", Passed: true, Checks: []CheckOutcome{{ID: "answer", Outcome: "passed"}}}
	expect("the canary as an answer", Activity{Kind: AnswerGiven, Step: "found", Attempts: 2}, passed)
	if err := s.Solve(ctx, found, nil); err != nil {
		t.Fatal(err)
	}
	expect("solve an answer step", Activity{Kind: SolutionShown, Step: "found"})

	// A verdict the daemon could not give, or one cut short, is not told.
	reachable = false
	if v, err := s.Check(ctx, build); err != nil || !v.Unreachable() {
		t.Fatalf("without a daemon: %v %+v", err, v)
	}
	expect("a check without a daemon")
	reachable = true
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := s.Check(cancelled, build); err == nil {
		t.Fatal("a cancelled check was not aborted")
	}
	expect("an aborted check")
	v, err := s.Check(ctx, build)
	if err != nil {
		t.Fatal(err)
	}
	want := Activity{Kind: VerdictRecorded, Step: "build", Passed: v.Passed}
	for _, r := range v.Results {
		want.Checks = append(want.Checks, CheckOutcome{ID: r.ID, Outcome: r.Outcome})
	}
	expect("a check on the daemon", want)

	if _, err := s.Solution(build); err != nil {
		t.Fatal(err)
	}
	expect("the solution's files shown", Activity{Kind: SolutionShown, Step: "build"})
	if err := s.Solve(ctx, build, nil); err != nil {
		t.Fatal(err)
	}
	// Solve opens the step on its way, which is not the learner opening it.
	expect("solve an exercise", Activity{Kind: SolutionShown, Step: "build"})
	if _, err := s.Skip(extra); err != nil {
		t.Fatal(err)
	}
	expect("skip", Activity{Kind: StepSkipped, Step: "extra"})
	if _, err := s.Skip(build); err == nil {
		t.Fatal("skipped a step the course needs")
	}
	expect("a refused skip")
	if got := kindsOf(o.got); !slices.Equal(got, nil) {
		t.Fatalf("left over: %v", got)
	}
}
