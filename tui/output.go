package tui

import (
	"context"
	"strings"
	"time"

	"github.com/charmbracelet/x/ansi"

	"github.com/dockertutor/dockertutor/exercises/engine"
	"github.com/dockertutor/dockertutor/exercises/tutor"
	"github.com/dockertutor/dockertutor/lessons"
	"github.com/dockertutor/dockertutor/present"
)

// maxOutputLines bounds the output kept from one action; a build that
// prints more loses its oldest lines.
const maxOutputLines = 3000

// jobState is where the action in the output pane stands.
type jobState int

const (
	jobNone jobState = iota
	jobRunning
	jobDone
	jobFailed
	jobAborted
)

// outputPane streams what the running build or container prints.
type outputPane struct {
	vp      scroller
	step    string // the step whose action this is
	what    string // "run" or "solution"
	state   jobState
	lines   []tutor.Event
	dropped int
	started time.Time
	took    time.Duration
	err     error

	// wrapped holds, for each of the first len(wrapped) lines, its text
	// styled and wrapped at wrappedW, so a new batch of output costs only
	// its own wrapping.
	wrapped  [][]string
	wrappedW int
}

func newOutputPane() outputPane { return outputPane{} }

// begin starts a new action's output.
func (o *outputPane) begin(step, what string, now time.Time) {
	*o = outputPane{vp: o.vp, step: step, what: what, state: jobRunning, started: now}
	o.vp.SetLines(nil)
}

// clear empties the pane when another step becomes current.
func (o *outputPane) clear(step string) {
	*o = outputPane{vp: o.vp, step: step}
	o.vp.SetLines(nil)
}

func (o *outputPane) append(evs []tutor.Event) {
	o.lines = append(o.lines, evs...)
	if over := len(o.lines) - maxOutputLines; over > 0 {
		o.lines = append(o.lines[:0:0], o.lines[over:]...)
		if over < len(o.wrapped) {
			o.wrapped = append(o.wrapped[:0:0], o.wrapped[over:]...)
		} else {
			o.wrapped = nil
		}
		o.dropped += over
	}
}

// invalidate forgets the wrapped lines (new width or styles).
func (o *outputPane) invalidate() { o.wrapped = nil }

// end records how the action finished.
func (o *outputPane) end(state jobState, err error, now time.Time) {
	o.state, o.err, o.took = state, err, now.Sub(o.started)
}

// refresh puts the lines in the viewport, following the end unless the
// learner scrolled up.
func (o *outputPane) refresh(st Styles, placeholder string) {
	follow := o.vp.AtBottom() || o.vp.TotalLineCount() <= o.vp.Height()
	w := o.vp.Width()
	if w != o.wrappedW {
		o.invalidate()
		o.wrappedW = w
	}
	if w > 0 {
		for _, ev := range o.lines[len(o.wrapped):] {
			o.wrapped = append(o.wrapped, eventLines(st, ev, w))
		}
	}
	lines := o.contentLines(st, placeholder, w)
	o.vp.SetLines(lines)
	// Only the placeholder's command is wider than the pane: the action's
	// output is wrapped to it.
	widest := 0
	if o.state == jobNone && len(o.lines) == 0 {
		for _, l := range lines {
			widest = max(widest, ansi.StringWidth(l))
		}
	}
	o.vp.SetWidest(widest)
	if follow {
		o.vp.GotoBottom()
	}
}

// contentLines is the pane's text: the placeholder, or the wrapped output
// and how it ended.
func (o outputPane) contentLines(st Styles, placeholder string, width int) []string {
	if width <= 0 {
		return nil
	}
	if o.state == jobNone && len(o.lines) == 0 {
		// Paragraphs wrap on their own; the command is never wrapped, so
		// that it pastes as it is: the pane scrolls sideways instead.
		var lines []string
		for _, para := range strings.Split(placeholder, "\n") {
			if command, ok := strings.CutPrefix(para, "  "+present.CommandPrompt); ok {
				lines = append(lines, "  "+st.Muted.Render(present.CommandPrompt+command))
				continue
			}
			lines = append(lines, wrapIndent(para, width, "", "", st.Muted)...)
		}
		return lines
	}
	lines := make([]string, 0, len(o.wrapped)+2)
	if o.dropped > 0 {
		lines = append(lines, st.Muted.Render("… "+itoa(o.dropped)+" earlier lines not kept"))
	}
	for _, w := range o.wrapped {
		lines = append(lines, w...)
	}
	err := o.err
	if o.state == jobAborted {
		err = context.Canceled // however the action ended, the learner stopped it
	}
	if o.state == jobAborted || o.state == jobFailed {
		if end, ok := present.ActionEnd(o.what, err, o.sawError()); ok {
			lines = append(lines, wrapIndent(end.Text, width, "", "", st.role(end.Role))...)
		}
	}
	return lines
}

// eventLines styles and wraps one event of the action's output.
func eventLines(st Styles, ev tutor.Event, width int) []string {
	var lines []string
	for _, l := range present.EventLines(ev) {
		lines = append(lines, wrapIndent(l.Text, width, "", "", st.role(l.Role))...)
	}
	return lines
}

// sawError reports whether the action already said why it failed.
func (o outputPane) sawError() bool {
	for _, ev := range o.lines {
		if ev.Kind == tutor.EventError {
			return true
		}
	}
	return false
}

// info is the word at the right of the pane's border.
func (o outputPane) info(st Styles, spinner string) string {
	if o.vp.Wide() {
		return st.TitleInfo.Render(sidewaysArrows(o.vp.sideways()))
	}
	switch o.state {
	case jobRunning:
		return st.Muted.Render(spinner + " running")
	case jobDone:
		return st.Pass.Render("done") + st.Muted.Render(" "+roundDuration(o.took))
	case jobFailed:
		return st.Fail.Render("failed")
	case jobAborted:
		return st.Error.Render("aborted")
	}
	return ""
}

// outputPlaceholder is what the empty pane says, depending on the step
// and, for a command the learner may type, their own docker build.
func outputPlaceholder(step *lessons.Step, action string, build engine.LocalBuilder) string {
	switch {
	case step == nil:
		return "The output of builds and containers appears here."
	case action != "":
		return "Press r to run the step's action. It is the same as typing" + present.ActionCommandCaveat(step, build) + ":\n\n  " + present.CommandPrompt + action
	case step.Kind == lessons.KindExercise:
		return "This step has no action to run: use your own terminal (t opens a shell in the step's folder)."
	}
	return "Nothing runs in this step."
}

func roundDuration(d time.Duration) string {
	switch {
	case d < time.Second:
		return d.Round(10 * time.Millisecond).String()
	case d < time.Minute:
		return d.Round(100 * time.Millisecond).String()
	}
	return d.Round(time.Second).String()
}
