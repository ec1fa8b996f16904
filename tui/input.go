package tui

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/viewport"
	tea "charm.land/bubbletea/v2"

	"github.com/dockertutor/dockertutor/exercises/progress"
	"github.com/dockertutor/dockertutor/exercises/tutor"
	"github.com/dockertutor/dockertutor/lessons"
	"github.com/dockertutor/dockertutor/present"
)

// activeKeys is the key map with only the keys that work now enabled, and
// their help worded for the moment. Update matches presses against it and
// the help bar lists it, so the two never disagree.
func (m Model) activeKeys() KeyMap {
	k := m.keys
	st := m.step()
	onStep := st != nil
	running := m.job.active
	last := m.cur == len(m.steps)-1

	k.Next.SetEnabled(m.page == pageWelcome || onStep)
	k.Prev.SetEnabled(onStep && m.target > 0 || m.page == pageSummary)
	k.Open.SetEnabled(m.page == pageWelcome || m.focus == paneOutline && m.page != pageLoading)
	k.Run.SetEnabled(onStep && m.info.Action != "" && !running)
	k.Check.SetEnabled(onStep && len(st.Checks) > 0 && m.checkable(st) && !m.checking.active)
	k.Hint.SetEnabled(onStep && len(m.info.Hints) < len(st.Hints))
	// A quiz's or free answer's solution is checked as an answer is: not
	// while another check runs.
	answers := onStep && (st.Kind == lessons.KindQuiz || st.Kind == lessons.KindAnswer)
	k.Solution.SetEnabled(onStep && present.HasSolution(st) && !running && !(answers && m.checking.active))
	k.Edit.SetEnabled(onStep && m.info.MainFile() != "")
	k.Shell.SetEnabled(onStep && m.info.Values.Workdir != "")
	k.Answer.SetEnabled(answers && !m.checking.active)
	k.Reset.SetEnabled(onStep && st.Kind != lessons.KindRead && !running)
	k.Skip.SetEnabled(onStep && st.Optional && !m.prog.StatusOf(st.ID).Done() && !running)
	k.Cancel.SetEnabled(running || m.checking.active || m.solution != nil)
	k.Outline.SetEnabled(m.page != pageLoading)
	k.Search.SetEnabled(m.page != pageLoading)
	k.Join.SetEnabled(m.cfg.joinClass != nil && !m.inClass && m.page != pageLoading && !m.joining)
	sideways := m.focus == paneText && m.text.wide || m.focus == paneOutput && m.output.vp.Wide()
	k.Left.SetEnabled(sideways)
	k.Right.SetEnabled(sideways)
	k.Copy.SetEnabled(onStep && m.solution == nil && m.info.MainCommand() != "")

	switch {
	case m.page == pageWelcome:
		k.Next.SetHelp("", "") // works, but "enter" says it in the bar
		k.Open.SetHelp("enter", "begin")
	case onStep && last:
		k.Next.SetHelp("n", "summary")
	case m.page == pageSummary:
		k.Prev.SetHelp("p", "last step")
	}
	if m.solution != nil {
		k.Solution.SetHelp("s", "use this solution")
		if !running && !m.checking.active {
			k.Cancel.SetHelp("esc", "back to the step")
		}
	}
	if m.outlineVisible() {
		k.Outline.SetHelp("l", "hide outline")
	} else {
		k.Outline.SetHelp("l", "show outline")
	}
	return k
}

func (m *Model) handleKey(msg tea.KeyPressMsg) tea.Cmd {
	if msg.String() == "ctrl+c" {
		return m.quit()
	}
	if m.prompt.kind != promptNone {
		return m.handlePromptKey(msg)
	}
	if m.lay.TooSmall {
		if key.Matches(msg, m.keys.Quit) {
			return m.quit()
		}
		return nil
	}
	if m.fullHelp {
		switch {
		case key.Matches(msg, m.keys.Quit):
			return m.quit()
		case key.Matches(msg, m.keys.Help, m.keys.Cancel):
			m.fullHelp = false
		}
		return nil
	}

	k := m.activeKeys()
	st := m.step()
	switch {
	case key.Matches(msg, k.Quit):
		return m.quit()
	case key.Matches(msg, k.Help):
		m.fullHelp = true
	case key.Matches(msg, k.Cancel):
		return m.cancel()
	case key.Matches(msg, k.Open):
		if m.page == pageWelcome && m.focus != paneOutline {
			return m.enterStep(m.cur)
		}
		m.focus = paneText // the learner chose a step: now they read it
		return m.enterStep(m.outline.selected)
	case key.Matches(msg, k.Next):
		return m.next()
	case key.Matches(msg, k.Prev):
		return m.prev()
	case key.Matches(msg, k.Up):
		m.scroll(m.focus, -1)
	case key.Matches(msg, k.Down):
		m.scroll(m.focus, 1)
	case key.Matches(msg, k.Copy):
		return m.copyCommand()
	case key.Matches(msg, k.Left):
		m.scrollSideways(m.focus, -sidewaysStep)
	case key.Matches(msg, k.Right):
		m.scrollSideways(m.focus, sidewaysStep)
	case key.Matches(msg, k.PageUp):
		m.scroll(m.focus, -m.pageSize())
	case key.Matches(msg, k.PageDown):
		m.scroll(m.focus, m.pageSize())
	case key.Matches(msg, k.Focus):
		m.cycleFocus(1)
	case key.Matches(msg, k.FocusBack):
		m.cycleFocus(-1)
	case key.Matches(msg, k.Outline):
		m.outlineShown, m.outlineSet = !m.outlineVisible(), true
		if m.outlineShown {
			m.outline.selected = m.cur
		}
		return m.relayout()
	case key.Matches(msg, k.Search):
		m.openPrompt(promptSearch, "Find a step: ", "")
		m.searchChanged()
		return tea.Batch(m.prompt.input.Focus(), m.relayout())
	case key.Matches(msg, k.Run):
		return m.startAction("run")
	case key.Matches(msg, k.Check):
		return m.startCheck("on request")
	case key.Matches(msg, k.Hint):
		return hintCmd(m.b, st)
	case key.Matches(msg, k.Solution):
		return m.solutionKey(st)
	case key.Matches(msg, k.Edit):
		return editorCmd(m.cfg.getenv, m.info.MainFile(), m.info.Values.Workdir)
	case key.Matches(msg, k.Shell):
		return shellCmd(m.cfg.getenv, m.info.Values.Workdir)
	case key.Matches(msg, k.Answer):
		label := "Your answer: "
		switch {
		case st.Kind == lessons.KindQuiz && st.Quiz != nil && st.Quiz.Multiple:
			label = "Your choices (such as a,c): "
		case st.Kind == lessons.KindQuiz:
			label = "Your choice: "
		case st.Answer != nil && st.Answer.Prompt != "":
			label = st.Answer.Prompt + ": "
		}
		m.openPrompt(promptAnswer, label, "")
		return tea.Batch(m.prompt.input.Focus(), m.relayout())
	case key.Matches(msg, k.Skip):
		return skipCmd(m.b, st)
	case key.Matches(msg, k.Join):
		m.prompt.joinAddress = ""
		m.openPrompt(promptJoin, present.JoinAddressLabel, "")
		return tea.Batch(m.prompt.input.Focus(), m.relayout())
	case key.Matches(msg, k.Reset):
		// What goes from Docker is asked first, so the question can say it.
		return resetPlanCmd(m.ctx, m.b, st)
	}
	return nil
}

// resetPlanned asks to confirm a reset, saying what it removes from
// Docker, or says why it cannot be done.
func (m *Model) resetPlanned(msg resetPlannedMsg) tea.Cmd {
	st := m.step()
	if st == nil || st.ID != msg.step || m.prompt.kind != promptNone || m.job.active {
		return nil // the learner moved on meanwhile
	}
	var inUse *tutor.InUseError
	var flash tea.Cmd
	switch {
	case errors.As(msg.err, &inUse):
		return m.setFlash(fmt.Sprintf("Cannot reset step %s: %v", st.Number, msg.err), flashError)
	case msg.err != nil:
		flash = m.setFlash("Reset would put back the files only: "+msg.err.Error(), flashWarning)
	case len(msg.removals) > 0:
		flash = m.setFlash(present.ResetPlan(msg.removals), flashWarning)
	}
	m.confirm(confirmReset, st, present.ResetQuestion(st))
	return tea.Batch(flash, m.relayout())
}

func (m *Model) quit() tea.Cmd {
	if m.job.active {
		m.job.cancel()
	}
	if m.checking.active {
		m.checking.cancel()
	}
	m.stopWatch()
	return tea.Quit
}

// cancel stops what runs (the action, the check); with nothing running it
// closes the solution.
func (m *Model) cancel() tea.Cmd {
	did := false
	if m.job.active && !m.job.cancelled {
		m.job.cancel()
		m.job.cancelled = true
		did = true
	}
	if m.checking.active && !m.checking.cancelled {
		m.checking.cancel()
		m.checking.cancelled = true
		m.recheck = ""
		did = true
	}
	if did {
		return m.setFlash("Cancelling…", flashWarning)
	}
	if m.solution != nil {
		m.solution = nil
		return m.refreshText(scrollTop)
	}
	return nil
}

func (m *Model) next() tea.Cmd {
	switch {
	case m.page == pageWelcome:
		return m.enterStep(m.cur)
	case m.page == pageStep && m.target < len(m.steps)-1:
		// From the step being opened, so that a quick "n n" moves twice.
		return m.enterStep(m.target + 1)
	case m.page == pageStep:
		m.page = pageSummary
		m.stopWatch()
		m.refreshResults()
		m.refreshOutput()
		return m.refreshText(scrollTop)
	}
	return nil
}

func (m *Model) prev() tea.Cmd {
	switch {
	case m.page == pageSummary:
		return m.enterStep(m.cur)
	case m.page == pageStep && m.target > 0:
		return m.enterStep(m.target - 1)
	}
	return nil
}

func (m *Model) solutionKey(st *lessons.Step) tea.Cmd {
	question := present.SolutionQuestion(st, m.prog.StatusOf(st.ID) == progress.Passed)
	switch {
	case m.solution != nil:
		m.confirm(confirmSolve, st, present.ApplySolutionQuestion)
		return m.relayout()
	case st.Kind == lessons.KindQuiz || st.Kind == lessons.KindAnswer:
		m.confirm(confirmAnswerSolution, st, question)
		return m.relayout()
	case question == "":
		return solutionCmd(m.b, st)
	default:
		m.confirm(confirmSolution, st, question)
		return m.relayout()
	}
}

func (m *Model) openPrompt(kind promptKind, label, value string) {
	m.prompt.kind = kind
	m.prompt.input.Prompt = label
	m.prompt.input.SetValue(value)
	m.prompt.input.CursorEnd()
	m.prompt.matches = nil
}

func (m *Model) confirm(action confirmAction, st *lessons.Step, question string) {
	m.prompt.kind, m.prompt.action, m.prompt.step, m.prompt.question = promptConfirm, action, st, question
}

func (m *Model) closePrompt() tea.Cmd {
	m.prompt.kind = promptNone
	m.prompt.input.Blur()
	m.prompt.input.SetValue("")
	m.prompt.matches = nil
	m.prompt.step = nil
	return m.relayout()
}

func (m *Model) handlePromptKey(msg tea.KeyPressMsg) tea.Cmd {
	switch m.prompt.kind {
	case promptConfirm:
		switch msg.String() {
		case "y", "Y":
			action, st := m.prompt.action, m.prompt.step
			cmd := m.closePrompt()
			return tea.Batch(cmd, m.confirmed(action, st))
		case "n", "N", "esc", "q":
			return m.closePrompt()
		}
		return nil
	case promptAnswer:
		switch msg.String() {
		case "esc":
			return m.closePrompt()
		case "enter":
			value := strings.TrimSpace(m.prompt.input.Value())
			if value == "" {
				return nil
			}
			cmd := m.closePrompt()
			return tea.Batch(cmd, m.startAnswer(value))
		case "up", "down", "pgup", "pgdown":
			// The text stays readable while typing: a quiz's choices may
			// run below the pane on a small terminal.
			switch msg.String() {
			case "up":
				m.scroll(paneText, -1)
			case "down":
				m.scroll(paneText, 1)
			case "pgup":
				m.scroll(paneText, -m.textPage())
			default:
				m.scroll(paneText, m.textPage())
			}
			return nil
		}
	case promptJoin:
		switch msg.String() {
		case "esc":
			return m.closePrompt()
		case "enter":
			return m.joinEntered(strings.TrimSpace(m.prompt.input.Value()))
		}
	case promptSearch:
		switch msg.String() {
		case "esc":
			m.outline.selected = m.cur
			return m.closePrompt()
		case "enter":
			if len(m.prompt.matches) == 0 {
				return nil
			}
			idx := m.outline.selected
			cmd := m.closePrompt()
			return tea.Batch(cmd, m.enterStep(idx))
		case "up", "ctrl+p":
			m.moveMatch(-1)
			return nil
		case "down", "ctrl+n", "tab":
			m.moveMatch(1)
			return nil
		}
	}
	var cmd tea.Cmd
	m.prompt.input, cmd = m.prompt.input.Update(msg)
	m.searchChanged()
	return cmd
}

// confirmed carries out what the learner said yes to.
func (m *Model) confirmed(action confirmAction, st *lessons.Step) tea.Cmd {
	if cur := m.step(); st == nil || cur == nil || cur.ID != st.ID {
		return nil
	}
	switch action {
	case confirmReset:
		return tea.Batch(m.setFlash("Resetting step "+st.Number+"…", flashInfo), resetCmd(m.ctx, m.b, st))
	case confirmSolution:
		return solutionCmd(m.b, st)
	case confirmSolve:
		m.solution = nil
		return tea.Batch(m.refreshText(scrollTop), m.startAction("solution"))
	case confirmAnswerSolution:
		return m.startSolvedAnswer()
	}
	return nil
}

// searchChanged refilters the outline after the search text changed.
func (m *Model) searchChanged() {
	if m.prompt.kind != promptSearch {
		return
	}
	m.prompt.matches = searchSteps(m.course, m.prompt.input.Value())
	if len(m.prompt.matches) > 0 && !slices.Contains(m.prompt.matches, m.outline.selected) {
		m.outline.selected = m.prompt.matches[0]
	}
}

func (m *Model) moveMatch(d int) {
	ms := m.prompt.matches
	for i, idx := range ms {
		if idx == m.outline.selected {
			m.outline.selected = ms[min(max(i+d, 0), len(ms)-1)]
			return
		}
	}
	if len(ms) > 0 {
		m.outline.selected = ms[0]
	}
}

// cycleFocus moves focus to the next visible pane.
func (m *Model) cycleFocus(d int) {
	order := []paneID{paneText, paneResults, paneOutput}
	if !m.lay.Outline.empty() {
		order = append([]paneID{paneOutline}, order...)
	}
	i := 0
	for j, p := range order {
		if p == m.focus {
			i = j
		}
	}
	m.focus = order[(i+d+len(order))%len(order)]
	switch m.focus {
	case paneResults, paneOutput:
		m.bottomTab = m.focus
	case paneOutline:
		if m.page == pageStep {
			m.outline.selected = m.cur
		}
	}
}

// textPage is how far pgup and pgdn move the text pane.
func (m Model) textPage() int { return max(m.lay.Text.inner().H-1, 1) }

// pageSize is how far pgup and pgdn move in the focused pane.
func (m Model) pageSize() int {
	var r rect
	switch m.focus {
	case paneOutline:
		r = m.lay.Outline
	case paneText:
		r = m.lay.Text
	case paneResults:
		r = m.lay.Results
	default:
		r = m.lay.Output
	}
	return max(r.inner().H-1, 1)
}

func scrollViewport(vp *viewport.Model, n int) {
	if n < 0 {
		vp.ScrollUp(-n)
	} else {
		vp.ScrollDown(n)
	}
}
