// Package proof proves a course's checks on a real daemon, the way
// rustlings' dev check proves its exercises: for every exercise the
// reference solution must pass every check, the untouched starter must not
// pass, every must-fail attempt must fail each check it names (fail,
// not error: a check that cannot run proves nothing), and "nothing done"
// must not pass: the starter alone, in a second namespace, beside a first
// one's finished work (one learner's solution on the daemon, the next
// learner not yet started). Quiz and answer steps are proven with their
// right and a wrong answer, an answer step's must-fail attempts too, and
// the image its action makes must hold every value its answer expects
// (answer.go). A proof works in private namespaces, never a learner's: it
// can run on the machine where someone is doing the course.
package proof

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/dockertutor/dockertutor/exercises/check"
	"github.com/dockertutor/dockertutor/exercises/daemon"
	"github.com/dockertutor/dockertutor/exercises/tutor"
	"github.com/dockertutor/dockertutor/lessons"
)

// NamespacePrefix begins the name of a proof's private namespace
// ("dtproof-1a2b3c4d5e6f"), which shows in the names of what it builds.
const NamespacePrefix = "dtproof"

// Case is one proven situation of a step.
type Case struct {
	Step string `json:"step"`
	// Name is "solution", "starter", "attempt NAME", "nothing done",
	// "right answer", "wrong answer" or "values in the image".
	Name string `json:"name"`
	// Want says what must hold.
	Want string `json:"want"`
	OK   bool   `json:"ok"`
	// Problem says what did not hold.
	Problem string        `json:"problem,omitempty"`
	Verdict check.Verdict `json:"verdict"`
	// ActionErr is the action's error, when it failed (expected for some
	// attempts).
	ActionErr string `json:"action_error,omitempty"`
}

// Options configure a proof run.
type Options struct {
	// Connect opens the Docker connection for each case's session.
	Connect func(ctx context.Context) (daemon.Client, error)
	// Dir holds the throw-away workspaces and state; a temporary folder
	// when empty.
	Dir string
	// BothBuilders proves the exercises that leave the builder open with
	// the classic builder too (BuildKit is the default).
	BothBuilders bool
	// Namespace is where the proof builds, runs and removes. A proof never
	// works in the learner's own namespace: when this is the zero one,
	// Step makes a private namespace of its own, so that an instructor can
	// prove a pack on the machine they teach from without losing their
	// images, containers or progress.
	Namespace lessons.Namespace
	// ByHand, when set, proves only the cases a learner can do by hand,
	// each done the way a learner does it in another terminal instead of
	// through the tutor: it is handed the command the tutor shows for the
	// step (ActionCommand: the build, the run, or the build and then the
	// run) and runs it. The other cases (the starter, "nothing done",
	// attempts without an action) are the same as without it, and are
	// left out. Builds of a pack's own context (someone else's secrets,
	// which that command only names) are not a learner's.
	ByHand ByHand
}

// ByHand runs the command the tutor shows a learner for an action, as the
// learner would type it (on their engine's own CLI).
type ByHand func(ctx context.Context, command string) error

// typedByHand says whether a learner's own commands can stand for the
// action.
func typedByHand(a *lessons.Action) bool {
	return (a.Build != nil || a.Run != nil) && (a.Build == nil || a.Build.PackContext == "")
}

// Step proves one step. Every case runs in a fresh workspace with fresh
// progress, in the proof's namespace, and the step's Docker objects there
// are removed before and after.
func Step(ctx context.Context, c *lessons.Course, st *lessons.Step, o Options) ([]Case, error) {
	if o.Namespace.IsZero() {
		ns, err := lessons.PrivateNamespace(NamespacePrefix)
		if err != nil {
			return nil, err
		}
		o.Namespace = ns
	}
	cases, err := step(ctx, c, st, o, "")
	if err != nil || !o.BothBuilders || !buildsWithEither(st) {
		return cases, err
	}
	classic, err := step(ctx, c, st, o, lessons.BuilderClassic)
	for i := range classic {
		classic[i].Name += " (classic builder)"
	}
	return append(cases, classic...), err
}

// buildsWithEither reports whether the step builds and leaves the builder
// open, so a learner's plain `docker build` may use either.
func buildsWithEither(st *lessons.Step) bool {
	if st.Kind != lessons.KindExercise && st.Kind != lessons.KindAnswer {
		return false
	}
	uses := func(a *lessons.Action) bool {
		return a != nil && a.Build != nil && a.Build.Builder == lessons.BuilderAuto
	}
	if uses(st.Action) {
		return true
	}
	for _, a := range st.Attempts {
		if uses(a.Action) {
			return true
		}
	}
	return false
}

func step(ctx context.Context, c *lessons.Course, st *lessons.Step, o Options, builder lessons.Builder) ([]Case, error) {
	dir := o.Dir
	if dir == "" {
		d, err := os.MkdirTemp("", "dockertutor-proof-")
		if err != nil {
			return nil, err
		}
		defer os.RemoveAll(d)
		dir = d
	}
	var cases []Case
	n := 0
	conn := &oneConnection{connect: o.Connect}
	defer conn.close()
	openIn := func(ns lessons.Namespace) (*tutor.Session, error) {
		n++
		base := filepath.Join(dir, fmt.Sprintf("%s-%s%d", st.ID, builder, n))
		// No build cache: BuildKit does not key it on secret values, so a
		// layer cached by another case would hold another canary.
		return tutor.Open(tutor.Options{Course: c, WorkspaceRoot: filepath.Join(base, "ws"), StateDir: filepath.Join(base, "state"), Connect: conn.get, NoCache: true, Builder: builder, Namespace: ns})
	}
	fresh := func() (*tutor.Session, error) { return openIn(o.Namespace) }
	pre := prerequisites(c, st)
	switch st.Kind {
	case lessons.KindExercise:
		if o.ByHand != nil {
			return doneByHand(ctx, fresh, pre, st, o.ByHand)
		}
		solution, err := solutionCase(ctx, fresh, pre, st, nil)
		if err != nil {
			return cases, err
		}
		cases = append(cases, solution)

		// The starter without the action: for steps whose work is the
		// action itself (build this as it is), not acting must not pass.
		starter := Case{Step: st.ID, Name: "starter", Want: "the untouched starter, not acted on, does not pass"}
		if err := exercise(ctx, fresh, pre, st, &starter, lessons.Files{}, nil, false, nil); err != nil {
			return cases, err
		}
		if starter.Verdict.Passed {
			starter.Problem = "the starter files already pass: there is nothing to do"
		}
		starter.OK = starter.Problem == ""
		cases = append(cases, starter)

		for _, a := range st.Attempts {
			ac, err := attemptCase(ctx, fresh, pre, st, a, nil)
			if err != nil {
				return cases, err
			}
			cases = append(cases, ac)
		}

		nothing := Case{Step: st.ID, Name: "nothing done", Want: "the starter alone, beside another namespace's finished work, does not pass"}
		if err := nothingDone(ctx, openIn, o.Namespace, pre, st, &nothing); err != nil {
			return cases, err
		}
		if nothing.Verdict.Passed {
			nothing.Problem = "a learner who did nothing passes: a check counts another learner's objects, or objects made before the step opened"
		}
		nothing.OK = nothing.Problem == ""
		cases = append(cases, nothing)
	case lessons.KindQuiz, lessons.KindAnswer:
		for _, tc := range []struct {
			name string
			pass bool
		}{{"right answer", true}, {"wrong answer", false}} {
			s, err := fresh()
			if err != nil {
				return cases, err
			}
			// An answer that is checked against the daemon (the image the
			// value was found in) needs what the earlier steps leave, made
			// by their reference solutions; the wrong answer and the
			// attempts get nothing.
			if tc.pass && st.NeedsDaemon() {
				if err := solvePrerequisites(ctx, s, pre, st); err != nil {
					s.Close()
					return cases, err
				}
			}
			p, _ := s.Progress()
			value, err := st.ReferenceAnswer(s.Values(st, p))
			if err != nil {
				s.Close()
				return cases, err
			}
			if !tc.pass {
				value = wrongAnswer(st, value)
			}
			v, err := s.Answer(ctx, st, value)
			if tc.pass && st.NeedsDaemon() {
				err = errors.Join(err, clean(context.WithoutCancel(ctx), s, append(slices.Clone(pre), st)...))
			}
			s.Close()
			if err != nil {
				return cases, err
			}
			cs := Case{Step: st.ID, Name: tc.name, Want: map[bool]string{true: "passes", false: "fails"}[tc.pass], Verdict: v}
			if v.Passed != tc.pass {
				cs.Problem = fmt.Sprintf("answer %q: passed=%v", value, v.Passed)
			}
			cs.OK = cs.Problem == ""
			cases = append(cases, cs)
		}
		if st.Kind == lessons.KindAnswer {
			more, err := answerCases(ctx, fresh, st)
			cases = append(cases, more...)
			if err != nil {
				return cases, err
			}
		}
	}
	return cases, nil
}

// oneConnection is the connection all of a step's cases share. Each case
// is a fresh session, but what the daemon is was asked once: on Podman
// that answer runs the package manager eight times (daemon.RememberVersion).
type oneConnection struct {
	connect func(ctx context.Context) (daemon.Client, error)

	mu  sync.Mutex
	cli daemon.Client
}

func (c *oneConnection) get(ctx context.Context) (daemon.Client, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cli == nil {
		connect := c.connect
		if connect == nil {
			connect = tutor.DefaultConnect
		}
		cli, err := connect(ctx)
		if err != nil {
			return nil, err
		}
		c.cli = daemon.RememberVersion(cli)
	}
	return keptOpen{c.cli}, nil
}

// close closes the shared client once every case is done with it.
func (c *oneConnection) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cli != nil {
		c.cli.Close()
		c.cli = nil
	}
}

// keptOpen is the shared client as one case's session holds it: the
// session closing it leaves it open for the next case.
type keptOpen struct{ daemon.Client }

func (keptOpen) Close() error { return nil }

// doneByHand proves the cases of an exercise a learner can do by hand:
// the solution and each attempt whose action a learner can type.
func doneByHand(ctx context.Context, fresh func() (*tutor.Session, error), pre []*lessons.Step, st *lessons.Step, learner ByHand) ([]Case, error) {
	var cases []Case
	if st.Action != nil && typedByHand(st.Action) {
		solution, err := solutionCase(ctx, fresh, pre, st, learner)
		if err != nil {
			return cases, err
		}
		cases = append(cases, solution)
	}
	for _, a := range st.Attempts {
		if action := attemptAction(st, a); action == nil || !typedByHand(action) {
			continue
		}
		ac, err := attemptCase(ctx, fresh, pre, st, a, learner)
		if err != nil {
			return cases, err
		}
		cases = append(cases, ac)
	}
	return cases, nil
}

// solutionCase proves that the reference solution passes every check.
func solutionCase(ctx context.Context, fresh func() (*tutor.Session, error), pre []*lessons.Step, st *lessons.Step, learner ByHand) (Case, error) {
	cs := Case{Step: st.ID, Name: "solution", Want: "every check passes"}
	if err := exercise(ctx, fresh, pre, st, &cs, st.Solution, st.Action, true, learner); err != nil {
		return cs, err
	}
	if !cs.Verdict.Passed {
		cs.Problem = "the reference solution fails: " + failing(cs.Verdict)
	}
	cs.OK = cs.Problem == ""
	return cs, nil
}

// attemptCase proves that a must-fail attempt fails the checks it names.
func attemptCase(ctx context.Context, fresh func() (*tutor.Session, error), pre []*lessons.Step, st *lessons.Step, a lessons.Attempt, learner ByHand) (Case, error) {
	cs := Case{Step: st.ID, Name: "attempt " + a.Name, Want: "fails " + strings.Join(a.Fails, ", ")}
	if err := exercise(ctx, fresh, pre, st, &cs, a.Files, attemptAction(st, a), false, learner); err != nil {
		return cs, err
	}
	cs.Problem = mustFail(cs.Verdict, a.Fails)
	cs.OK = cs.Problem == ""
	return cs, nil
}

// attemptAction is what an attempt does: its own action, the step's, or
// none.
func attemptAction(st *lessons.Step, a lessons.Attempt) *lessons.Action {
	switch {
	case a.NoAction:
		return nil
	case a.Action != nil:
		return a.Action
	}
	return st.Action
}

// exercise lays out the starter, puts files over it, runs the action and
// checks, with the step's Docker objects cleaned before and after. For the
// reference solution (solves), it first writes what the tools the step
// asks for would (standInForTools).
func exercise(ctx context.Context, fresh func() (*tutor.Session, error), pre []*lessons.Step, st *lessons.Step, cs *Case, files lessons.Files, action *lessons.Action, solves bool, learner ByHand) error {
	s, err := fresh()
	if err != nil {
		return err
	}
	defer s.Close()
	if action != nil || st.NeedsDaemon() {
		// A case must start from a daemon without the step's objects, or
		// an image left by the case before would be checked instead.
		steps := append(slices.Clone(pre), st)
		if err := clean(ctx, s, steps...); err != nil {
			return err
		}
		defer clean(context.WithoutCancel(ctx), s, steps...)
		// What earlier steps leave behind (the image a run step runs) is
		// made by their reference solutions.
		for _, p := range pre {
			if err := s.Solve(ctx, p, nil); err != nil {
				return fmt.Errorf("step %s needs step %s, whose solution fails: %w", st.ID, p.ID, err)
			}
		}
	}
	p, _, err := s.Enter(st)
	if err != nil {
		return err
	}
	if _, err := s.Work.Apply(st, files, s.Values(st, p), false); err != nil {
		return err
	}
	if action != nil {
		run := *st
		run.Action = action
		act := func() error { return s.Run(ctx, &run, nil) }
		if learner != nil && typedByHand(action) {
			act = func() error {
				// The command as the tutor shows it once it knows the engine.
				s.DockerBuild(ctx)
				return learner(ctx, s.ActionCommand(&run))
			}
		}
		if err := act(); err != nil {
			if errors.Is(err, tutor.ErrUnreachable) || ctx.Err() != nil {
				return err
			}
			cs.ActionErr = err.Error()
		}
	}
	if solves {
		tools, err := standInForTools(ctx, s, st)
		if err != nil {
			return fmt.Errorf("%s %s: write a tool's output from the image: %w", st.ID, cs.Name, err)
		}
		if len(tools) > 0 {
			cs.Want += " (with " + strings.Join(tools, ", ") + "'s output made by the proof from the image)"
		}
	}
	cs.Verdict, err = s.Check(ctx, st)
	if err != nil {
		return err
	}
	if cs.Verdict.Unreachable() {
		return fmt.Errorf("%s %s: %w", st.ID, cs.Name, tutor.ErrUnreachable)
	}
	return nil
}

// solvePrerequisites starts from a daemon without the steps' objects and
// makes what the earlier steps leave with their reference solutions.
func solvePrerequisites(ctx context.Context, s *tutor.Session, pre []*lessons.Step, st *lessons.Step) error {
	if err := clean(ctx, s, append(slices.Clone(pre), st)...); err != nil {
		return err
	}
	for _, p := range pre {
		if err := s.Solve(ctx, p, nil); err != nil {
			return fmt.Errorf("step %s needs step %s, whose solution fails: %w", st.ID, p.ID, err)
		}
	}
	return nil
}

// nothingDone proves the "nothing done" case: one learner (the proof's
// namespace) finishes the step with its reference solution and leaves
// what it made on the daemon; then a second learner, in a fresh namespace
// of their own, has done the earlier steps (as anyone at this step has)
// but of this one only opened it: the starter files, no action. The
// second learner's verdict is cs.Verdict.
func nothingDone(ctx context.Context, openIn func(lessons.Namespace) (*tutor.Session, error), finished lessons.Namespace, pre []*lessons.Step, st *lessons.Step, cs *Case) error {
	steps := append(slices.Clone(pre), st)
	done, err := openIn(finished)
	if err != nil {
		return err
	}
	defer done.Close()
	if err := clean(ctx, done, steps...); err != nil {
		return err
	}
	defer clean(context.WithoutCancel(ctx), done, steps...)
	for _, s := range steps {
		if err := done.Solve(ctx, s, nil); err != nil {
			if errors.Is(err, tutor.ErrUnreachable) || ctx.Err() != nil {
				return err
			}
			cs.ActionErr = fmt.Sprintf("the other learner's solution of %s: %v", s.ID, err)
		}
	}

	ns, err := lessons.PrivateNamespace(NamespacePrefix)
	if err != nil {
		return err
	}
	idle, err := openIn(ns)
	if err != nil {
		return err
	}
	defer idle.Close()
	if err := clean(ctx, idle, steps...); err != nil {
		return err
	}
	defer clean(context.WithoutCancel(ctx), idle, steps...)
	for _, p := range pre {
		if err := idle.Solve(ctx, p, nil); err != nil {
			return fmt.Errorf("step %s needs step %s, whose solution fails: %w", st.ID, p.ID, err)
		}
	}
	if _, _, err := idle.Enter(st); err != nil {
		return err
	}
	cs.Verdict, err = idle.Check(ctx, st)
	if err != nil {
		return err
	}
	if cs.Verdict.Unreachable() {
		return fmt.Errorf("%s %s: %w", st.ID, cs.Name, tutor.ErrUnreachable)
	}
	return nil
}

func clean(ctx context.Context, s *tutor.Session, steps ...*lessons.Step) error {
	removed, err := s.CleanDocker(ctx, steps, false)
	if err != nil {
		return err
	}
	for _, r := range removed {
		if r.Err != "" {
			return fmt.Errorf("cannot remove %s %s: %s", r.Kind, r.Name, r.Err)
		}
	}
	return nil
}

// prerequisites are the earlier steps that build an image this step uses
// but does not build itself: in the course the learner made it there.
func prerequisites(c *lessons.Course, st *lessons.Step) []*lessons.Step {
	var pre []*lessons.Step
	builds := func(s *lessons.Step) string {
		if s.Action != nil && s.Action.Build != nil {
			if s.Action.Build.Tag != "" {
				return s.Action.Build.Tag
			}
			return s.Image
		}
		return ""
	}
	if builds(st) != "" {
		return nil
	}
	used := map[string]bool{st.Image: true}
	if st.Action != nil && st.Action.Run != nil && st.Action.Run.Image != "" {
		used[st.Action.Run.Image] = true
	}
	for _, s := range c.Steps() {
		if s == st {
			break
		}
		if img := builds(s); img != "" && used[img] {
			pre = slices.DeleteFunc(pre, func(p *lessons.Step) bool { return builds(p) == img })
			pre = append(pre, s)
		}
	}
	return pre
}

// mustFail says what is wrong when a named check did not fail.
func mustFail(v check.Verdict, names []string) string {
	var problems []string
	for _, r := range v.Results {
		if !slices.Contains(names, r.ID) {
			continue
		}
		switch r.Outcome {
		case check.Pass:
			problems = append(problems, fmt.Sprintf("check %s passes (%s)", r.ID, r.Message))
		case check.Error:
			problems = append(problems, fmt.Sprintf("check %s could not run (%s)", r.ID, r.Message))
		default:
			if strings.TrimSpace(r.Message) == "" {
				problems = append(problems, fmt.Sprintf("check %s fails without a message", r.ID))
			}
		}
	}
	return strings.Join(problems, "; ")
}

func failing(v check.Verdict) string {
	var out []string
	for _, r := range v.Results {
		if r.Outcome != check.Pass {
			out = append(out, fmt.Sprintf("%s %s: %s", r.ID, r.Outcome, r.Message))
		}
	}
	return strings.Join(out, "; ")
}

// wrongAnswer is a wrong answer of a quiz or answer step, given the
// right one: a wrong choice (the right ones plus a wrong one, when several
// are right), or the right value with more after it.
func wrongAnswer(st *lessons.Step, right string) string {
	if st.Quiz == nil {
		return right + "-but-wrong"
	}
	var w []string
	for _, c := range st.Quiz.Choices {
		if !c.Correct {
			w = append(w, c.ID)
		}
	}
	if len(w) == 0 {
		return right + ",no-such-choice"
	}
	if !st.Quiz.Multiple {
		return w[0]
	}
	return right + "," + w[0]
}
