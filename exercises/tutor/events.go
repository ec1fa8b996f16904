package tutor

import "time"

// EventKind says what a line of action output is.
type EventKind string

const (
	EventCommand EventKind = "command" // the equivalent docker command, first
	EventStep    EventKind = "step"    // a build step started or finished
	EventOutput  EventKind = "output"  // a line the build or container printed
	EventWarning EventKind = "warning" // e.g. a BuildKit lint warning
	EventError   EventKind = "error"   // the action failed; Text says why
	EventDone    EventKind = "done"    // the action finished; Text sums up
)

// Event is one line of output of a running action (a build or a run),
// delivered as it happens.
type Event struct {
	Time time.Time `json:"time"`
	Kind EventKind `json:"kind"`
	Text string    `json:"text"`
}

// DockerStatus is what the status line shows about the daemon.
type DockerStatus struct {
	Reachable bool   `json:"reachable"`
	Endpoint  string `json:"endpoint"` // unix:///var/run/docker.sock
	Source    string `json:"source"`   // where the endpoint came from
	// Engine is "Docker", or "Podman" for Podman's Docker API, whose
	// Version is then Podman's.
	Engine  string `json:"engine,omitempty"`
	Version string `json:"version,omitempty"`
	API     string `json:"api,omitempty"`
	Builder string `json:"builder,omitempty"` // "BuildKit", "classic" or "Buildah"
	// Problem and Fix explain an unreachable daemon in a sentence each.
	Problem string `json:"problem,omitempty"`
	Fix     string `json:"fix,omitempty"`
}

// Change is a reason to check the current step again, seen by the watcher:
// a file in the step folder changed, or the daemon reported an event that
// concerns the step (an image tagged or built, a container started or died).
type Change struct {
	Time   time.Time `json:"time"`
	Reason string    `json:"reason"` // "Dockerfile changed", "image dockertutor/x built"
}
