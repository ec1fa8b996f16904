package outbox

import (
	"fmt"
	"reflect"
	"time"

	"github.com/dockertutor/dockertutor/classroom/wire"
	"github.com/dockertutor/dockertutor/exercises/check"
	"github.com/dockertutor/dockertutor/exercises/engine"
	"github.com/dockertutor/dockertutor/exercises/tutor"
)

var kindOf = map[tutor.ActivityKind]wire.Kind{
	tutor.StepOpened:      wire.StepOpened,
	tutor.VerdictRecorded: wire.Verdict,
	tutor.HintRevealed:    wire.HintShown,
	tutor.SolutionShown:   wire.SolutionShown,
	tutor.AnswerGiven:     wire.AnswerGiven,
	tutor.StepSkipped:     wire.StepSkipped,
}

var outcomeOf = map[check.Outcome]wire.Outcome{
	check.Pass:  wire.Passed,
	check.Fail:  wire.Failed,
	check.Error: wire.Errored,
}

// EventOf is the event the class is told of an activity (its seq is the
// outbox's to give).
func EventOf(a tutor.Activity) (wire.Event, error) {
	k, ok := kindOf[a.Kind]
	if !ok {
		return wire.Event{}, fmt.Errorf("no class event for a %q activity", a.Kind)
	}
	e := wire.Event{Kind: k, At: a.At.UTC().Truncate(time.Millisecond), Step: a.Step, Hint: a.Hint, Attempts: a.Attempts}
	if k == wire.Verdict {
		e.Passed = a.Passed
		for _, c := range a.Checks {
			o, ok := outcomeOf[c.Outcome]
			if !ok {
				return wire.Event{}, fmt.Errorf("check %s: no class outcome for %q", c.ID, c.Outcome)
			}
			e.Checks = append(e.Checks, wire.CheckOutcome{ID: c.ID, Outcome: o})
		}
	}
	return e, nil
}

// Observe appends the activity to the outbox; it is the session's
// observer (tutor.Options.Observe) for a learner in a class, and reports
// nothing once they left it. An append that fails is kept for Status to
// show; the learner's work goes on.
func (b *Box) Observe(a tutor.Activity) {
	if _, ok, _ := b.Membership(); !ok {
		return // the learner left the class, maybe from another terminal
	}
	e, err := EventOf(a)
	if err == nil {
		err = b.Append(e)
	}
	b.errMu.Lock()
	b.appendErr = err
	b.errMu.Unlock()
}

// ReadinessOf is what the class is told of a doctor's report: the
// engine, its versions, its builders, what `docker build` runs and the
// course's images. Never the endpoint, a path, the host's name or OS.
func ReadinessOf(r engine.Report) wire.Readiness {
	out := wire.Readiness{Docker: r.Reachable, DockerBuild: string(r.DockerBuild.Builder)}
	if r.Server != nil {
		out.Engine, out.Version, out.API = r.Server.Product, r.Server.Version, r.Server.API.Negotiated
		out.BuildKit, out.Classic = r.Server.Builders.BuildKit, r.Server.Builders.Classic
	}
	for _, im := range r.Images {
		if len(out.Images) == wire.MaxImages {
			break
		}
		out.Images = append(out.Images, wire.ImageReadiness{Ref: im.Ref, Present: im.State.Tagged(), State: string(im.State)})
	}
	return out
}

// AppendReadiness appends a readiness event unless it says what the last
// one appended said. It reports whether it appended.
func (b *Box) AppendReadiness(r wire.Readiness, now time.Time) (bool, error) {
	var last wire.Readiness
	if ok, err := readJSON(b.path(readinessFile), &last); err == nil && ok && reflect.DeepEqual(last, r) {
		return false, nil
	}
	if err := b.Append(wire.Event{Kind: wire.Ready, At: now.UTC().Truncate(time.Millisecond), Readiness: &r}); err != nil {
		return false, err
	}
	return true, writeJSON(b.path(readinessFile), r)
}
