// Package check evaluates a step's declarative checks against the real
// state: the step folder, the Docker daemon, the learner's answers. Each
// check returns a Result with a message a learner can act on and the
// evidence it found; results are plain data for the CLI, JSON and the TUI.
package check

import (
	"context"
	"errors"
	"fmt"
	"time"

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
	// Began is when the learner opened the step (image.fresh).
	Began time.Time
	// Answer is the learner's recorded answer (quiz choice ids or a value).
	Answer []string
	// Docker is the daemon, nil when it is unreachable (DockerErr says why).
	Docker    Docker
	DockerErr error
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

func evaluate(ctx context.Context, env Env, spec lessons.CheckSpec) finding {
	switch s := spec.(type) {
	case *lessons.AnswerChoice:
		return answerChoice(env)
	case *lessons.AnswerValue:
		return answerValue(env)
	default:
		return evaluateDocker(ctx, env, s)
	}
}
