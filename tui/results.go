package tui

import (
	"fmt"
	"strings"

	"charm.land/bubbles/v2/viewport"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/dockertutor/dockertutor/exercises/check"
	"github.com/dockertutor/dockertutor/exercises/progress"
	"github.com/dockertutor/dockertutor/exercises/tutor"
	"github.com/dockertutor/dockertutor/lessons"
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

// info is the word at the right of the pane's border.
func (r resultsPane) info(st Styles) string {
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
		add(wrapIndent("Check aborted: nothing was recorded. Press c to check again.", width, "", "", st.Error)...)
		add("")
	}
	if r.state == checkRunning && r.reason != "" {
		add(wrapIndent("Checking: "+r.reason+"…", width, "", "", st.Muted)...)
		add("")
	}
	switch {
	case r.err != nil:
		add(wrapIndent("The check could not run: "+r.err.Error(), width, st.Error.Render("!")+" ", "  ", st.Evidence)...)
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
	var lines []string
	failed := 0
	for _, r := range vd.Results {
		if r.Outcome != check.Pass {
			failed++
		}
	}
	switch {
	case vd.Unreachable():
		head = wrapIndent("Docker did not answer, so nothing was checked or recorded.", width, "", "", st.Error)
		if v.docker.Fix != "" {
			lines = append(lines, wrapIndent("To fix it: "+v.docker.Fix, width, "", "", st.Evidence)...)
		}
		// Every check that needed Docker says the same: say it once.
		said := false
		lines = append(lines, "")
		for _, r := range vd.Results {
			if r.Outcome != check.Error {
				continue
			}
			if !said {
				lines = append(lines, wrapIndent(r.Message, width, st.Error.Render("!")+" ", "  ", st.Evidence)...)
				said = true
			}
		}
		var notChecked []string
		for _, r := range vd.Results {
			if r.Outcome == check.Error {
				notChecked = append(notChecked, r.ID)
			}
		}
		lines = append(lines, wrapIndent("Not checked: "+strings.Join(notChecked, ", ")+".", width, "  ", "  ", st.Muted)...)
		for _, r := range vd.Results {
			if r.Outcome != check.Error {
				lines = append(lines, resultLines(r, width, st)...)
			}
		}
		return head, lines
	case vd.Passed:
		head = wrapIndent("✓ Step passed. Press n for the next step.", width, "", "  ", st.Pass)
	default:
		head = wrapIndent(fmt.Sprintf("✗ Not yet: %d of %d checks did not pass.", failed, len(vd.Results)), width, "", "  ", st.Fail)
	}
	lines = append(lines, "")
	for _, r := range vd.Results {
		lines = append(lines, resultLines(r, width, st)...)
	}
	return head, lines
}

// resultLines draws one check: its mark and message, then its evidence.
func resultLines(r check.Result, width int, st Styles) []string {
	mark := map[check.Outcome]lipgloss.Style{check.Pass: st.Pass, check.Fail: st.Fail, check.Error: st.Error}[r.Outcome]
	sym := map[check.Outcome]string{check.Pass: "✓", check.Fail: "✗", check.Error: "!"}[r.Outcome]
	lines := wrapIndent(r.Message, width, mark.Render(sym)+" ", "  ", st.Evidence)
	for _, e := range r.Evidence {
		ev := wrapIndent(e.Where+": "+e.Detail, width, "    ", "      ", st.Evidence)
		// The place is muted so the eye lands on what was found there.
		if head := "    " + st.Evidence.Render(e.Where+":"); strings.HasPrefix(ev[0], head) {
			ev[0] = "    " + st.EvidenceWhere.Render(e.Where+":") + ev[0][len(head):]
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
	wrapped := wrapWords(text, w)
	for i, l := range wrapped {
		p := rest
		if i == 0 {
			p = first
		}
		wrapped[i] = p + style.Render(strings.TrimRight(l, " "))
	}
	return wrapped
}

// wrapWords wraps plain text at spaces only (commands such as --pull must
// not break at their hyphens); a word longer than the width is cut.
func wrapWords(text string, width int) []string {
	var lines []string
	for _, para := range strings.Split(text, "\n") {
		line, lw := "", 0
		for _, word := range strings.Fields(para) {
			ww := ansi.StringWidth(word)
			switch {
			case lw == 0:
			case lw+1+ww <= width:
				line += " " + word
				lw += 1 + ww
				continue
			default:
				lines = append(lines, line)
			}
			for ww > width { // a word wider than the line
				lines = append(lines, ansi.Truncate(word, width, ""))
				word = ansi.TruncateLeft(word, width, "")
				ww = ansi.StringWidth(word)
			}
			line, lw = word, ww
		}
		lines = append(lines, line)
	}
	return lines
}
