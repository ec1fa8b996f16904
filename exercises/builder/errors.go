package builder

import (
	"errors"
	"fmt"
	"strings"
)

// ErrAborted is returned when the caller cancelled the build. A cancelled
// build reads as aborted, not failed; the returned error also matches the
// context's cause (context.Canceled or context.DeadlineExceeded).
var ErrAborted = errors.New("build aborted")

// ErrFinishesInBackground comes with ErrAborted from a Buildah build on
// Podman, which does not stop a build whose request went: its RUN steps
// run to their end in the background, and nothing is tagged.
var ErrFinishesInBackground = errors.New("Podman finishes the build in the background and tags nothing")

// ErrNeedsBuildKit is returned when the Dockerfile uses a BuildKit-only
// feature (RUN --mount) and only the classic builder could run it.
var ErrNeedsBuildKit = errors.New("this Dockerfile needs BuildKit")

// ErrBuildKitUnavailable is returned when BuildKit was requested but the
// daemon does not offer it (no session endpoint, a Windows daemon, ...).
var ErrBuildKitUnavailable = errors.New("BuildKit is not available on this Docker daemon")

// ErrDaemonLost is the error of a build whose daemon stopped answering
// before the build ended: the caller should treat the daemon as gone.
var ErrDaemonLost = errors.New("lost the Docker daemon during the build")

// BuildError is a build the daemon ran and reported as failed.
type BuildError struct {
	Builder Kind
	// Step is the failing step as the builder names it, e.g.
	// "[2/3] RUN make" (BuildKit) or "Step 2/3 : RUN make" (classic).
	// Empty when the build failed before any step ran.
	Step string
	// Line is the Dockerfile line of the failure, 0 when unknown.
	Line int
	// Message is the daemon's own message.
	Message string
	// MissingImage is the base image that is neither on the daemon nor
	// pullable, when that is why the build failed.
	MissingImage string
}

func (e *BuildError) Error() string {
	var b strings.Builder
	if e.MissingImage != "" {
		fmt.Fprintf(&b, "base image %q is not on this Docker daemon and could not be pulled", e.MissingImage)
		if e.Line > 0 {
			fmt.Fprintf(&b, " (Dockerfile line %d)", e.Line)
		}
		b.WriteString(": ")
		b.WriteString(e.Message)
		return b.String()
	}
	b.WriteString("build failed")
	if e.Line > 0 {
		fmt.Fprintf(&b, " at Dockerfile line %d", e.Line)
	}
	if e.Step != "" {
		fmt.Fprintf(&b, " in %s", e.Step)
	}
	b.WriteString(": ")
	b.WriteString(e.Message)
	return b.String()
}
