// Package backend declares what the full screen and the plain mode ask of
// the learner's session, and the few readings of its answers both need.
package backend

import (
	"context"

	"github.com/dockertutor/dockertutor/exercises/check"
	"github.com/dockertutor/dockertutor/exercises/engine"
	"github.com/dockertutor/dockertutor/exercises/progress"
	"github.com/dockertutor/dockertutor/exercises/tutor"
	"github.com/dockertutor/dockertutor/lessons"
	"github.com/dockertutor/dockertutor/present"
)

// Session is the learner's session as the interfaces use it; *tutor.Session
// implements it. Every method may touch the disk or the daemon, so the
// interface calls them only from commands, never while drawing.
type Session interface {
	// Progress returns the saved progress.
	Progress() (progress.Progress, error)
	// ProgressPath is where progress is saved, for the welcome screen.
	ProgressPath() string
	// CurrentStep is where the learner left off.
	CurrentStep(p progress.Progress) *lessons.Step
	// Values are the learner's values for a step (secret, folders, image).
	Values(st *lessons.Step, p progress.Progress) lessons.Values
	// Enter makes a step current and lays out its starter files.
	Enter(st *lessons.Step) (progress.Progress, []string, error)
	// NextHint reveals the next hint and remembers it.
	NextHint(st *lessons.Step) (tutor.Hint, error)
	// RevealedHints are the hints already shown, filled in.
	RevealedHints(st *lessons.Step, p progress.Progress) []string
	// Answer records a quiz choice or free answer and checks it.
	Answer(ctx context.Context, st *lessons.Step, value string) (check.Verdict, error)
	// Check runs the step's checks and records the verdict.
	Check(ctx context.Context, st *lessons.Step) (check.Verdict, error)
	// Run performs the step's action, sending EventCommand first and
	// EventDone or EventError last; it closes nothing. Cancelling ctx
	// returns an error wrapping context.Canceled.
	Run(ctx context.Context, st *lessons.Step, events chan<- tutor.Event) error
	// ActionCommand is the docker command equivalent to the step's action,
	// "" if the step has none.
	ActionCommand(st *lessons.Step) string
	// Solve lays out the reference solution (backing up the learner's
	// files) and runs the action, streaming like Run.
	Solve(ctx context.Context, st *lessons.Step, events chan<- tutor.Event) error
	// Solution returns the reference solution's files, path to content.
	Solution(st *lessons.Step) (map[string]string, error)
	// Skip leaves an optional step out (done, not passed).
	Skip(st *lessons.Step) (progress.Progress, error)
	// ResetStep puts the step back as it was before the learner began.
	ResetStep(ctx context.Context, st *lessons.Step) error
	// ResetPlan is what ResetStep would remove from Docker, removing
	// nothing; a *tutor.InUseError when a container the tutor may not
	// remove keeps one of the step's images.
	ResetPlan(ctx context.Context, st *lessons.Step) ([]tutor.Removal, error)
	// DockerStatus says where the daemon is and whether it answers.
	DockerStatus(ctx context.Context) tutor.DockerStatus
	// DockerBuild is what the learner's own `docker build` runs (found
	// once, by running its buildx plugin).
	DockerBuild(ctx context.Context) engine.DockerBuild
	// Watch reports reasons to check the step again; the channel is closed
	// when ctx ends.
	Watch(ctx context.Context, st *lessons.Step) (<-chan tutor.Change, error)
}

// Describe gathers what a step's document shows.
func Describe(b Session, st *lessons.Step, p progress.Progress) present.StepPage {
	return present.NewStepPage(st, b.Values(st, p), b.RevealedHints(st, p), b.ActionCommand(st))
}
