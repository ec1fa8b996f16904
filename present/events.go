package present

import (
	"context"
	"errors"
	"strings"

	"github.com/dockertutor/dockertutor/exercises/tutor"
)

// CommandPrompt comes before a command the tutor runs or shows, as a
// shell's prompt would.
const CommandPrompt = "$ "

// eventPrefixes mark the lines whose kind a reader without colours must
// still tell apart: the command the tutor ran, a warning, an error.
var eventPrefixes = map[tutor.EventKind]string{
	tutor.EventCommand: CommandPrompt,
	tutor.EventWarning: "warning: ",
	tutor.EventError:   "error: ",
}

var eventRoles = map[tutor.EventKind]Role{
	tutor.EventCommand: RoleCommand,
	tutor.EventStep:    RoleHeading,
	tutor.EventWarning: RoleWarning,
	tutor.EventError:   RoleProblem,
	tutor.EventDone:    RoleDone,
}

// EventLines is one event of an action's output, a line for each line of
// its text; a command without text shows nothing.
func EventLines(ev tutor.Event) []Line {
	if ev.Kind == tutor.EventCommand && ev.Text == "" {
		return nil
	}
	role, ok := eventRoles[ev.Kind]
	if !ok {
		role = RoleText
	}
	var lines []Line
	for _, l := range strings.Split(strings.TrimRight(ev.Text, "\n"), "\n") {
		lines = append(lines, Line{Text: eventPrefixes[ev.Kind] + l, Role: role})
	}
	return lines
}

// ActionEnd is the line after an action's output when it did not finish
// well: aborted by the learner, or failed without saying why in its
// events (sawError). ok is false when there is nothing to add.
// what names the action: "run" or "solution".
func ActionEnd(what string, err error, sawError bool) (line Line, ok bool) {
	switch {
	case err == nil:
		return Line{}, false
	case errors.Is(err, context.Canceled):
		return Line{Text: "The " + what + " was aborted.", Role: RoleWarning}, true
	case sawError:
		return Line{}, false
	}
	return Line{Text: "The " + what + " failed: " + err.Error(), Role: RoleProblem}, true
}
