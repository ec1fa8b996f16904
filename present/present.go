// Package present words what every front end shows: the full screen, the
// plain mode, the command line, and later the class dashboard and its
// exports. It owns the glyphs and words of a status and of a check's
// outcome, the verdict and evidence lines, the lines of an action's output
// and the documents (a step, the welcome, a solution, the summary), and it
// returns them as plain data and markdown. It picks no colour: each piece
// carries a Role, and each front end styles a role its own way.
package present

import (
	"strings"

	"github.com/dockertutor/dockertutor/exercises/check"
	"github.com/dockertutor/dockertutor/exercises/progress"
	"github.com/dockertutor/dockertutor/exercises/tutor"
)

// Front is the front end a sentence is worded for: what the learner
// presses or types there to act.
type Front int

const (
	// FullScreen is the full-screen interface: one key an action.
	FullScreen Front = iota
	// PlainMode is the line-oriented interface: a command letter, then Enter.
	PlainMode
	// CommandLine is the dockertutor commands, one an action.
	CommandLine
)

// Role says what a piece of text is, so that a front end can style it
// (colour, weight, an HTML class) without knowing where it came from.
type Role int

const (
	RoleText       Role = iota // ordinary text
	RolePassed                 // a check that passed, a step passed
	RoleFailed                 // a check that failed, a step not passed yet
	RoleErrored                // a check that could not be made
	RoleStarted                // a step begun
	RoleNotStarted             // a step not begun
	RoleCommand                // the docker command an action runs
	RoleHeading                // a build step beginning
	RoleWarning                // a warning of the build
	RoleProblem                // why an action failed
	RoleDone                   // how an action that went well ended
	RoleSkipped                // an optional step the learner left out
)

// Mark is a one-cell glyph for screens that draw it and the word that
// stands for it where text must be read out (plain mode, pipes, exports).
type Mark struct {
	Glyph string
	Word  string
	Role  Role
}

// Prefix is the mark as it stands before a line: the glyph and a space,
// or the word and a colon, which a screen reader pauses on.
func (m Mark) Prefix(words bool) string {
	if words {
		return m.Word + ": "
	}
	return m.Glyph + " "
}

// statusOrder is the statuses from done to not begun: the order of a legend.
var statusOrder = []progress.Status{progress.Passed, progress.Skipped, progress.Failed, progress.Started, ""}

var statusMarks = map[progress.Status]Mark{
	progress.Passed:  {Glyph: "✓", Word: "passed", Role: RolePassed},
	progress.Failed:  {Glyph: "✗", Word: "not passed yet", Role: RoleFailed},
	progress.Started: {Glyph: "•", Word: "started", Role: RoleStarted},
	progress.Skipped: {Glyph: "↷", Word: "skipped", Role: RoleSkipped},
}

var notStarted = Mark{Glyph: "○", Word: "not started", Role: RoleNotStarted}

// StatusMark is how a step's status shows in an outline. A status this
// build does not know reads as not started.
func StatusMark(s progress.Status) Mark {
	if m, ok := statusMarks[s]; ok {
		return m
	}
	return notStarted
}

// StatusLegend says what each status glyph means, on one line.
func StatusLegend() string {
	parts := make([]string, len(statusOrder))
	for i, s := range statusOrder {
		m := StatusMark(s)
		parts[i] = m.Glyph + " " + m.Word
	}
	return strings.Join(parts, "  ")
}

// StatusWordWidth is the width of the longest status word, for a column
// of them.
var StatusWordWidth = func() int {
	w := 0
	for _, s := range statusOrder {
		w = max(w, len(StatusMark(s).Word))
	}
	return w
}()

var outcomeMarks = map[check.Outcome]Mark{
	check.Pass:  {Glyph: "✓", Word: "PASS", Role: RolePassed},
	check.Fail:  {Glyph: "✗", Word: "FAIL", Role: RoleFailed},
	check.Error: {Glyph: "!", Word: "ERROR", Role: RoleErrored},
}

// OutcomeMark is how a check's outcome shows before its message.
func OutcomeMark(o check.Outcome) Mark {
	if m, ok := outcomeMarks[o]; ok {
		return m
	}
	return outcomeMarks[check.Error] // an outcome this build does not know is not a pass
}

// The marks of the Docker daemon in a status line: the tutor has not heard
// back yet, the daemon answers, or it does not.
var (
	dockerAsking      = Mark{Glyph: "◌", Word: "asking", Role: RoleText}
	dockerAnswers     = Mark{Glyph: "●", Word: "answers", Role: RolePassed}
	dockerUnreachable = Mark{Glyph: "✗", Word: "unreachable", Role: RoleProblem}
)

// DockerMark is how the daemon's state shows in a status line; known is
// false until the first answer (or its absence) is in.
func DockerMark(d tutor.DockerStatus, known bool) Mark {
	switch {
	case !known:
		return dockerAsking
	case d.Reachable:
		return dockerAnswers
	}
	return dockerUnreachable
}
