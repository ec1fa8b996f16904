// Package check evaluates a step's declarative checks against the real
// state: the step folder, the Docker daemon, the learner's answers. Each
// check returns a Result with a message a learner can act on and the
// evidence it found; results are plain data for the CLI, JSON and the TUI.
//
// The check types are declared in lessons (checks.go): name, spec, whether
// they need the daemon, the images they name. evaluatorList below says how
// each is evaluated; the evaluators live by family in image.go, leak.go,
// container.go, trivy.go, dockerfile.go and answer.go.
package check

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"time"

	"github.com/moby/moby/client"

	"github.com/dockertutor/dockertutor/exercises/daemon"
	"github.com/dockertutor/dockertutor/exercises/engine"
	"github.com/dockertutor/dockertutor/lessons"
)

// Outcome of one check.
type Outcome string

const (
	Pass Outcome = "passed"
	Fail Outcome = "failed"
	// Error means the check could not be made (Docker unreachable, a file
	// unreadable): neither a pass nor the learner's fault.
	Error Outcome = "error"
)

// Evidence is one place a check looked at and what it saw there.
type Evidence struct {
	Where  string `json:"where"`
	Detail string `json:"detail"`
}

// Result is the verdict of one check.
type Result struct {
	ID       string     `json:"id"`
	Type     string     `json:"type"`
	Outcome  Outcome    `json:"outcome"`
	Message  string     `json:"message"`
	Evidence []Evidence `json:"evidence,omitempty"`

	cause error // why an Error outcome happened
}

// Verdict is the verdict of a whole step.
type Verdict struct {
	Step     string        `json:"step"`
	Passed   bool          `json:"passed"`
	Results  []Result      `json:"checks"`
	Duration time.Duration `json:"duration_ns"`
}

// SameFindings reports whether o says exactly what v says, check by check
// and with the same evidence: a re-check that finds nothing new. How long
// each took does not count.
func (v Verdict) SameFindings(o Verdict) bool {
	return v.Step == o.Step && v.Passed == o.Passed &&
		slices.EqualFunc(v.Results, o.Results, func(a, b Result) bool {
			return a.ID == b.ID && a.Type == b.Type && a.Outcome == b.Outcome &&
				a.Message == b.Message && slices.Equal(a.Evidence, b.Evidence)
		})
}

// Unreachable reports whether a check could not be made because Docker
// did not answer.
func (v Verdict) Unreachable() bool {
	for _, r := range v.Results {
		if r.Outcome == Error && errors.Is(r.cause, ErrDockerUnreachable) {
			return true
		}
	}
	return false
}

// ErrDockerUnreachable marks results of checks that needed the daemon.
var ErrDockerUnreachable = errors.New("Docker is not reachable")

// Env is everything a check may look at.
type Env struct {
	Step   *lessons.Step
	Values lessons.Values
	// Began is when the learner opened the step: image.fresh and the
	// container checks count only what was made after it.
	Began time.Time
	// Before are the images image.fresh checks name as they were when the
	// step began (name to ID, "" for none; nil when unknown).
	Before map[string]string
	// Answer is the learner's recorded answer (quiz choice ids or a value).
	Answer []string
	// SolutionSeen says the learner asked for the solution: an answer's
	// checks may then say where each value was.
	SolutionSeen bool
	// Docker is the daemon, nil when it is unreachable (DockerErr says why).
	Docker    daemon.Checker
	DockerErr error
	// DockerBuild is what the learner's own `docker build` runs, so that
	// advice to build by hand gives a form it can build; empty when
	// unknown (a proof run), and then no advice depends on it.
	DockerBuild engine.LocalBuilder
}

// Run evaluates every check of the step, in order.
func Run(ctx context.Context, env Env) Verdict {
	start := time.Now()
	v := Verdict{Step: env.Step.ID, Passed: true}
	for _, c := range env.Step.Checks {
		r := runOne(ctx, env, c)
		if r.Outcome != Pass {
			v.Passed = false
		}
		v.Results = append(v.Results, r)
	}
	v.Duration = time.Since(start)
	return v
}

func runOne(ctx context.Context, env Env, c lessons.Check) (r Result) {
	r = Result{ID: c.ID, Type: c.Type}
	spec, err := lessons.ExpandSpec(c.Spec, env.Values)
	if err != nil {
		r.Outcome, r.Message = Error, fmt.Sprintf("the course pack's check %q cannot be filled: %v", c.ID, err)
		return r
	}
	defer func() {
		// A check must never take the tutor down: a bug becomes an error result.
		if p := recover(); p != nil {
			r.Outcome, r.Message = Error, fmt.Sprintf("internal error in check %q: %v", c.ID, p)
		}
	}()
	o := evaluate(ctx, env, spec)
	r.Outcome, r.Message, r.Evidence, r.cause = o.outcome, o.message, o.evidence, o.cause
	return r
}

// finding is what an evaluator returns; constructors below keep messages
// uniform.
type finding struct {
	outcome  Outcome
	message  string
	evidence []Evidence
	cause    error
}

func passed(msg string, ev ...Evidence) finding {
	return finding{outcome: Pass, message: msg, evidence: ev}
}
func failed(msg string, ev ...Evidence) finding {
	return finding{outcome: Fail, message: msg, evidence: ev}
}
func broken(err error) finding { return finding{outcome: Error, message: err.Error(), cause: err} }

// evaluate finds the spec's evaluator and runs it, once the daemon is
// known to be there for the types that cannot do without it.
func evaluate(ctx context.Context, env Env, spec lessons.CheckSpec) finding {
	eval, ok := evaluators[reflect.TypeOf(spec)]
	t, known := lessons.TypeOfSpec(spec)
	if !ok || !known {
		return broken(fmt.Errorf("unknown check spec %T", spec))
	}
	if t.Daemon == lessons.DaemonNeeded && env.Docker == nil {
		err := ErrDockerUnreachable
		if env.DockerErr != nil {
			err = fmt.Errorf("%w: %v", ErrDockerUnreachable, env.DockerErr)
		}
		return broken(err)
	}
	return eval(ctx, env, spec)
}

// dockerError turns a client error into a finding: unreachable daemons are
// errors, not the learner's failures.
func dockerError(err error) finding {
	if client.IsErrConnectionFailed(err) {
		return broken(fmt.Errorf("%w: %v", ErrDockerUnreachable, err))
	}
	return broken(err)
}

// evaluator evaluates one spec type; the spec is always of that type.
type evaluator func(ctx context.Context, env Env, spec lessons.CheckSpec) finding

// evaluatorList is how each check type of lessons' vocabulary is
// evaluated, one entry per spec type, by family.
var evaluatorList = []typedEvaluator{
	evaluates(dockerfileParses),
	evaluates(dockerfileBase),
	evaluates(dockerfileStages),
	evaluates(dockerfileCopiesFromStage),
	evaluates(dockerfileSecretMount),
	evaluates(dockerfileNoContextFile),
	evaluates(dockerfileNoSecretArgs),
	evaluates(imageExists),
	evaluates(imageFresh),
	evaluates(imageFile),
	evaluates(imageEnv),
	evaluates(imageLabel),
	evaluates(imageUser),
	evaluates(imageSize),
	evaluates(leakAbsent),
	evaluates(leakFound),
	evaluates(containerRuntimeEnv),
	evaluates(containerExitCode),
	evaluates(containerLog),
	evaluates(answerChoice),
	evaluates(answerValue),
	evaluates(trivyReport),
}

// evaluators finds the evaluator of a spec by its Go type.
var evaluators = func() map[reflect.Type]evaluator {
	m := make(map[reflect.Type]evaluator, len(evaluatorList))
	for _, e := range evaluatorList {
		m[e.spec] = e.eval
	}
	return m
}()

type typedEvaluator struct {
	spec reflect.Type
	eval evaluator
}

// evaluates files fn under the spec type it takes, so that the type is
// named by fn's signature alone.
func evaluates[S any, P interface {
	*S
	lessons.CheckSpec
}](fn func(context.Context, Env, P) finding) typedEvaluator {
	return typedEvaluator{
		spec: reflect.TypeFor[P](),
		eval: func(ctx context.Context, env Env, spec lessons.CheckSpec) finding {
			return fn(ctx, env, spec.(P))
		},
	}
}
