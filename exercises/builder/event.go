package builder

import (
	"fmt"
	"time"
)

// EventKind says what a build event reports.
type EventKind int

const (
	// StepStarted: a step began running.
	StepStarted EventKind = iota + 1
	// StepCached: a step was taken from the build cache, not run.
	StepCached
	// StepDone: a step finished; Elapsed says how long it ran.
	StepDone
	// StepFailed: a step failed; Text holds the builder's reason.
	StepFailed
	// StepLog: one line a step printed.
	StepLog
	// Info: the builder's own bookkeeping (context transfer, intermediate
	// containers, tagging).
	Info
	// Warning: something the learner should read even when the build
	// succeeds (an unused build arg, the fallback to the classic builder).
	Warning
	// StepImage: the classic builder committed a step's result as a new
	// image (Image holds its short ID; Text is the builder's line). These
	// images stay behind untagged, the build stages' among them, holding
	// whatever the steps wrote, build args included: whoever cleans up
	// after the build needs their IDs. A step from the cache and a FROM
	// make none. BuildKit makes none either.
	StepImage
)

func (k EventKind) String() string {
	switch k {
	case StepStarted:
		return "started"
	case StepCached:
		return "cached"
	case StepDone:
		return "done"
	case StepFailed:
		return "failed"
	case StepLog:
		return "log"
	case Info:
		return "info"
	case Warning:
		return "warning"
	case StepImage:
		return "image"
	}
	return fmt.Sprintf("EventKind(%d)", int(k))
}

// Event is one thing that happened during a build.
type Event struct {
	Kind EventKind
	// Step is the step as the builder names it: "[2/3] RUN make"
	// (BuildKit) or "Step 2/3 : RUN make" (classic). BuildKit's own work
	// reads "[internal] ...". Empty for events outside any step.
	Step string
	// Text is the log line, warning, failure reason or info line.
	Text string
	// Stderr marks a log line the step wrote to its standard error.
	Stderr bool
	// Elapsed is how long a finished step ran (StepDone, StepFailed).
	Elapsed time.Duration
	// Image is the ID of the image a step made (StepImage).
	Image string
}

// String renders the event as one readable line.
func (e Event) String() string {
	switch e.Kind {
	case StepStarted:
		return e.Step
	case StepCached:
		return e.Step + ": cached"
	case StepDone:
		return fmt.Sprintf("%s: done in %s", e.Step, roundDuration(e.Elapsed))
	case StepFailed:
		return fmt.Sprintf("%s: failed: %s", e.Step, e.Text)
	case StepLog:
		return "  " + e.Text
	case Warning:
		return "warning: " + e.Text
	}
	return e.Text
}

func roundDuration(d time.Duration) time.Duration {
	if d < time.Second {
		return d.Round(time.Millisecond)
	}
	return d.Round(100 * time.Millisecond)
}
