package tui

import (
	"cmp"
	"strings"

	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/dockertutor/dockertutor/exercises/tutor"
	"github.com/dockertutor/dockertutor/present"
)

// flashKind says how a status message is coloured.
type flashKind int

const (
	flashInfo flashKind = iota
	flashSuccess
	flashWarning
	flashError
)

// flash is a message in the status line. It stays until it expires or a
// newer one replaces it; id tells the expiry which one it was for.
type flash struct {
	text string
	kind flashKind
	id   int
	// step, when set, is the step the line is about ("Step 1.2 passed!"):
	// it goes when the learner opens another step.
	step string
}

// statusView is what the status line shows.
type statusView struct {
	docker      tutor.DockerStatus
	dockerKnown bool
	flash       flash
	activity    string // what runs now, when no message is shown
	position    string // where the learner is in the course
	// class is the class's segment (its title, whether reports get
	// through), "" when the learner is in no class; classTrouble colours it.
	class, classShort string
	classTrouble      bool
}

// renderStatus draws the status line: the daemon at the left (endpoint,
// engine version, builder, or a plain "unreachable"), a message or the
// current activity in the middle, the learner's position at the right.
func renderStatus(st Styles, v statusView, width int) string {
	right := st.BarProgress.Render(" " + v.position + " ")
	if v.class != "" {
		// The class goes before the position, and goes first when the
		// line is short of room: the help and status overlay say it too.
		style := st.BarProgress
		if v.classTrouble {
			style = st.BarWarning
		}
		for _, c := range []string{v.class, v.classShort} {
			if withClass := style.Render(" "+c+" ") + right; ansi.StringWidth(withClass)+45 <= width {
				right = withClass
				break
			}
		}
	}
	var full, short string // the Docker segment, with and without the endpoint
	mark := present.DockerMark(v.docker, v.dockerKnown)
	switch {
	case !v.dockerKnown:
		full = st.Bar.Render(" " + mark.Glyph + " Docker: " + mark.Word + "… ")
		short = full
	case v.docker.Reachable:
		facts := []string{cmp.Or(v.docker.Engine, "Docker")}
		if v.docker.Version != "" {
			facts[0] += " " + v.docker.Version
		}
		if v.docker.Builder != "" {
			facts = append(facts, v.docker.Builder)
		}
		short = st.BarDocker.Render(" " + mark.Glyph + " " + strings.Join(facts, " · ") + " ")
		full = short
		if v.docker.Endpoint != "" {
			full = st.BarDocker.Render(" "+mark.Glyph+" "+strings.Join(facts, " · ")) + st.BarProgress.Render(" "+v.docker.Endpoint+" ")
		}
	default:
		where := ""
		if v.docker.Endpoint != "" {
			where = " at " + v.docker.Endpoint
		}
		full = st.BarDockerDown.Render(" " + mark.Glyph + " Docker " + mark.Word + where + " ")
		short = st.BarDockerDown.Render(" " + mark.Glyph + " Docker " + mark.Word + " ")
	}

	msg, style := v.activity, st.BarInfo
	if v.flash.text != "" {
		msg = v.flash.text
		style = flashStyle(st, v.flash.kind)
	} else if msg == "" && v.dockerKnown && !v.docker.Reachable {
		msg, style = v.docker.Problem, st.BarError
	}

	// A message (an error, a verdict) outranks the endpoint, which in turn
	// outranks the activity: the panes and the help bar show that too.
	urgent := v.flash.text != "" || msg != v.activity
	left := full
	if ansi.StringWidth(full)+ansi.StringWidth(right) > width ||
		urgent && ansi.StringWidth(full)+ansi.StringWidth(right)+min(ansi.StringWidth(msg), 30)+2 > width {
		left = short
	}
	room := width - ansi.StringWidth(left) - ansi.StringWidth(right)
	if room < 0 {
		right = ""
		room = width - ansi.StringWidth(left)
	}
	if !urgent && room < 12 {
		msg = "" // a few letters of the activity say nothing
	}
	mid := ""
	if room > 0 {
		text := ""
		if msg != "" {
			text = " " + ansi.Truncate(oneLine(msg), max(room-2, 0), "…") + " "
		}
		mid = style.Render(text) + st.Bar.Render(strings.Repeat(" ", max(room-ansi.StringWidth(text), 0)))
	}
	return ansi.Truncate(left+mid+right, width, "")
}

// statusRoom is the room a message has in the status line, about, on a
// terminal width wide: the Docker segment and the learner's position take
// the rest.
func statusRoom(width int) int { return max(40, width-75) }

// messageLines is a warning or an error wrapped in full, for the lines
// above the status line, when it is too long for the status line itself
// (a Docker error, a reset that hit a conflict); nil when it fits. Other
// messages are cut: they are short, and the panes should not move for them.
func (m Model) messageLines() []string {
	lines := m.flashLines()
	if line := m.classMessageLine(); line != "" {
		lines = append(lines, line)
	}
	return lines
}

// classMessageLine is the instructor's one-line message, cut to the
// width, "" when there is none.
func (m Model) classMessageLine() string {
	if !m.inClass || m.width <= 0 {
		return ""
	}
	msg := present.ClassMessage(m.class)
	if msg == "" {
		return ""
	}
	return ansi.Truncate(oneLine(msg), max(m.width-2, 10), "…")
}

// flashLines is the status message wrapped in full, when it is a warning
// or an error too long for the status line.
func (m Model) flashLines() []string {
	text := m.flash.text
	if text == "" || m.flash.kind != flashWarning && m.flash.kind != flashError || m.width <= 0 || ansi.StringWidth(oneLine(text)) <= statusRoom(m.width) {
		return nil
	}
	lines := present.Wrap(text, max(m.width-2, 10))
	if n := maxMessageLines(m.height); len(lines) > n {
		lines = append(lines[:n-1], ansi.Truncate(strings.Join(lines[n-1:], " "), max(m.width-2, 10), "…"))
	}
	return lines
}

// flashStyle is how a message of the kind looks, in the status line and
// above it.
func flashStyle(st Styles, kind flashKind) lipgloss.Style {
	return map[flashKind]lipgloss.Style{flashInfo: st.BarInfo, flashSuccess: st.BarSuccess, flashWarning: st.BarWarning, flashError: st.BarError}[kind]
}
