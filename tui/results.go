package tui

import (
	"context"
	"strings"

	"charm.land/bubbles/v2/viewport"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/dockertutor/dockertutor/exercises/check"
	"github.com/dockertutor/dockertutor/exercises/progress"
	"github.com/dockertutor/dockertutor/exercises/tutor"
	"github.com/dockertutor/dockertutor/lessons"
	"github.com/dockertutor/dockertutor/present"
)

// checkState is where the results pane stands.
type checkState int

const (
	checkIdle checkState = iota
	checkRunning
	checkAborted
)

// resultsPane shows the verdict of the step's checks: each check's outcome,
// its message and the evidence it found.
type resultsPane struct {
	vp      viewport.Model
	step    string // the step the verdict belongs to
	verdict *check.Verdict
	state   checkState
	reason  string // why the running or last check ran
	err     error  // the check could not run at all
}

func newResultsPane() resultsPane {
	vp := viewport.New()
	vp.MouseWheelEnabled = false
	return resultsPane{vp: vp}
}

// clear forgets the verdict when another step becomes current.
func (r *resultsPane) clear(step string) {
	r.step, r.verdict, r.state, r.reason, r.err = step, nil, checkIdle, "", nil
}

// info is the word at the right of the pane's border, with arrows where
// the results go on past the pane (it scrolls: tab to it, ↑ ↓, the wheel).
func (r resultsPane) info(st Styles) string {
	word := r.word(st)
	if r.vp.TotalLineCount() <= r.vp.Height() {
		return word
	}
	arrows := "↑↓"
	switch {
	case r.vp.AtTop():
		arrows = "↓"
	case r.vp.AtBottom():
		arrows = "↑"
	}
	if word == "" {
		return st.Muted.Render(arrows)
	}
	return word + " " + st.Muted.Render(arrows)
}

// word says where the check stands, in a word or two.
func (r resultsPane) word(st Styles) string {
	switch {
	case r.state == checkRunning:
		return st.Muted.Render("checking…")
	case r.state == checkAborted:
		return st.Error.Render("aborted")
	case r.err != nil:
		return st.Error.Render("error")
	case r.verdict == nil:
		return ""
	case r.verdict.Unreachable():
		return st.Error.Render("Docker unreachable")
	case r.verdict.Passed:
		return st.Pass.Render("passed")
	}
	return st.Fail.Render("not yet")
}

// resultsView is what the pane needs besides its own state.
type resultsView struct {
	step        *lessons.Step
	status      progress.Status
	docker      tutor.DockerStatus
	dockerKnown bool
	action      string // the step's equivalent command, for the placeholder
}

func (r resultsPane) content(width int, st Styles, v resultsView) string {
	if width <= 0 {
		return ""
	}
	var lines []string
	add := func(s ...string) { lines = append(lines, s...) }
	if r.state == checkAborted {
		add(wrapIndent(present.CheckFailed(context.Canceled, present.FullScreen), width, "", "", st.Error)...)
		add("")
	}
	if r.state == checkRunning && r.reason != "" {
		add(wrapIndent("Checking: "+r.reason+"…", width, "", "", st.Muted)...)
		add("")
	}
	switch {
	case r.err != nil:
		mark := present.OutcomeMark(check.Error)
		add(wrapIndent(present.CheckFailed(r.err, present.FullScreen), width, st.Error.Render(mark.Glyph)+" ", present.CheckHang, st.Evidence)...)
	case r.verdict != nil:
		head, body := verdictLines(*r.verdict, width, st, v)
		add(head...)
		if r.reason != "" && r.state != checkRunning {
			// Under the summary: in watch mode, what made the tutor look.
			add(st.Muted.Render(ansi.Truncate("Last check: "+r.reason+".", width, "…")))
		}
		add(body...)
	case r.state != checkRunning:
		add(wrapIndent(placeholder(v), width, "", "", st.Muted)...)
	}
	return strings.Join(lines, "\n")
}

// verdictLines draws a verdict: its summary (head), then each check.
func verdictLines(vd check.Verdict, width int, st Styles, v resultsView) (head, body []string) {
	lv := present.LayOut(vd, present.FullScreen)
	summary, hang := lv.Summary.Text, ""
	if lv.Next != "" {
		summary += " " + lv.Next
	}
	if lv.SummaryMark != nil {
		summary, hang = lv.SummaryMark.Prefix(false)+summary, present.CheckHang
	}
	head = wrapIndent(summary, width, "", hang, st.role(lv.Summary.Role))
	var lines []string
	if lv.Unreachable {
		if fix := present.Fix(v.docker.Fix); fix != "" {
			lines = append(lines, wrapIndent(fix, width, "", "", st.Evidence)...)
		}
		lines = append(lines, "")
		if lv.DockerError != "" {
			mark := present.OutcomeMark(check.Error)
			lines = append(lines, wrapIndent(lv.DockerError, width, st.Error.Render(mark.Glyph)+" ", present.CheckHang, st.Evidence)...)
		}
		lines = append(lines, wrapIndent(lv.NotChecked, width, present.CheckHang, present.CheckHang, st.Muted)...)
	} else {
		lines = append(lines, "")
	}
	for _, c := range lv.Checks {
		lines = append(lines, checkLines(c, width, st)...)
	}
	return head, lines
}

// checkLines draws one check: its mark and message, then its evidence.
func checkLines(c present.CheckLines, width int, st Styles) []string {
	mark := st.role(c.Mark.Role).Render(c.Mark.Glyph)
	lines := wrapIndent(c.Text, width, mark+" ", present.CheckHang, st.Evidence)
	for _, e := range c.Evidence {
		ev := wrapIndent(e.String(), width, present.EvidenceIndent, present.EvidenceHang, st.Evidence)
		// The place is muted so the eye lands on what was found there.
		if head := present.EvidenceIndent + st.Evidence.Render(e.Place); strings.HasPrefix(ev[0], head) {
			ev[0] = present.EvidenceIndent + st.EvidenceWhere.Render(e.Place) + ev[0][len(head):]
		}
		lines = append(lines, ev...)
	}
	return lines
}

func placeholder(v resultsView) string {
	if v.step == nil {
		return "Results of the checks appear here."
	}
	passed := v.status == progress.Passed
	switch v.step.Kind {
	case lessons.KindRead:
		return "Nothing to check here: this step counts as done once you have read it."
	case lessons.KindQuiz, lessons.KindAnswer:
		if passed {
			return "You answered this one right. Press a to answer again."
		}
		return "Press a to answer; the verdict appears here."
	}
	if passed {
		return "You passed this step before. Press c to check it again."
	}
	how := "Do the step"
	if v.action != "" {
		how = "Do the step (r runs its action)"
	}
	return how + ", then press c, or just wait: the tutor checks by itself when your files or images change."
}

// wrapIndent wraps plain text to width and styles each line, with a
// prefix on the first line and a hanging indent on the others. Styling
// after wrapping keeps every line's escape codes closed.
func wrapIndent(text string, width int, first, rest string, style lipgloss.Style) []string {
	w := max(width-max(ansi.StringWidth(first), ansi.StringWidth(rest)), 10)
	wrapped := present.Wrap(text, w)
	for i, l := range wrapped {
		p := rest
		if i == 0 {
			p = first
		}
		wrapped[i] = p + style.Render(strings.TrimRight(l, " "))
	}
	return wrapped
}
