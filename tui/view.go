package tui

import (
	"fmt"
	"strings"

	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"

	"github.com/dockertutor/dockertutor/exercises/progress"
	"github.com/dockertutor/dockertutor/present"
)

// View draws the screen from the model; it computes nothing that Update
// could have stored and never calls the Backend.
func (m Model) View() tea.View {
	v := tea.NewView(m.screen())
	v.AltScreen = true
	v.MouseMode = tea.MouseModeCellMotion
	v.WindowTitle = m.windowTitle()
	return v
}

func (m Model) windowTitle() string {
	if st := m.step(); st != nil {
		return fmt.Sprintf("dockertutor · %s %s", st.Number, st.Title)
	}
	return "dockertutor · " + m.course.Title
}

func (m Model) screen() string {
	if m.width == 0 || m.height == 0 {
		return ""
	}
	if m.lay.TooSmall {
		msg := fmt.Sprintf("The terminal is too small (%d×%d).\nThe tutor needs at least %d×%d:\nmake the window larger, or run dockertutor --plain.\n\nq quits.",
			m.width, m.height, MinWidth, MinHeight)
		return lipgloss.Place(m.width, m.height, lipgloss.Center, lipgloss.Center, msg)
	}
	st := m.styles
	l := m.lay
	blocks := map[rect]string{}

	if !l.Outline.empty() {
		blocks[l.Outline] = m.outlineBox()
	}
	blocks[l.Text] = m.textBox()
	if l.Tabbed {
		blocks[l.Results] = m.tabbedBox()
	} else {
		blocks[l.Results] = box(st, l.Results.W, l.Results.H, m.focus == paneResults,
			m.paneTitle(m.resultsTitle(), m.focus == paneResults), m.results.info(st), m.results.vp.View())
		blocks[l.Output] = box(st, l.Output.W, l.Output.H, m.focus == paneOutput,
			m.paneTitle(m.outputTitle(), m.focus == paneOutput), m.output.info(st, m.spinnerFrame()), m.output.vp.View())
	}
	if !l.Prompt.empty() {
		blocks[l.Prompt] = m.prompt.view(st, l.Prompt.W)
	}
	sv := m.statusView()
	if !l.Message.empty() {
		style := flashStyle(st, m.flash.kind)
		var lines []string
		flashed := m.flashLines()
		for _, line := range flashed {
			lines = append(lines, style.Render(" "+line+" "))
		}
		if line := m.classMessageLine(); line != "" {
			lines = append(lines, st.BarInfo.Render(" "+line+" "))
		}
		if n := l.Message.H; len(lines) > n {
			lines = lines[len(lines)-n:] // the instructor's message stays
		}
		blocks[l.Message] = strings.Join(lines, "\n")
		if len(flashed) > 0 {
			sv.flash = flash{} // said in full above
		}
	}
	blocks[l.Status] = renderStatus(st, sv, l.Status.W)
	blocks[l.Help] = m.helpBar()
	return l.compose(blocks)
}

// spinnerFrame is the spinner without the padding its frames carry.
func (m Model) spinnerFrame() string {
	return m.styles.Muted.Render(strings.TrimSpace(m.spinner.View()))
}

func (m Model) paneTitle(title string, focused bool) string {
	if focused {
		return m.styles.TitleFocused.Render(title)
	}
	return m.styles.Title.Render(title)
}

func (m Model) outlineBox() string {
	r := m.lay.Outline
	in := r.inner()
	v := outlineView{course: m.course, prog: m.prog, current: -1, focused: m.focus == paneOutline}
	if m.page == pageStep {
		v.current = m.cur
	}
	title := "Outline"
	if m.prompt.kind == promptSearch {
		v.filtered, v.matches = true, m.prompt.matches
		title = "Search"
	}
	passed := 0
	for _, s := range m.steps {
		if m.prog.StatusOf(s.ID) == progress.Passed {
			passed++
		}
	}
	info := m.styles.TitleInfo.Render(fmt.Sprintf("%d/%d", passed, len(m.steps)))
	lines := m.outline.lines(m.styles, v, in.W, in.H)
	return box(m.styles, r.W, r.H, m.focus == paneOutline || v.filtered, m.paneTitle(title, m.focus == paneOutline || v.filtered), info, strings.Join(lines, "\n"))
}

func (m Model) textBox() string {
	r := m.lay.Text
	focused := m.focus == paneText
	if m.fullHelp {
		h := m.help
		h.ShowAll = true
		content := "\n" + h.FullHelpView(m.keys.FullHelp()) + "\n\n" + strings.Join(wrapIndent(legend, r.W-4, "", "", m.styles.Muted), "\n")
		return box(m.styles, r.W, r.H, true, m.paneTitle("All keys", true), m.styles.TitleInfo.Render("? or esc closes"), indent(content, 1))
	}
	var title string
	switch m.page {
	case pageWelcome:
		title = "Welcome"
	case pageSummary:
		title = "Summary"
	case pageStep:
		st := m.steps[m.cur]
		title = fmt.Sprintf("Lesson %d · %s", st.Lesson.Number, st.Lesson.Title)
		if m.solution != nil {
			title = "Reference solution · step " + st.Number
		}
	default:
		title = m.course.Title
	}
	return box(m.styles, r.W, r.H, focused, m.paneTitle(title, focused), m.styles.TitleInfo.Render(m.text.scrollInfo()), m.text.view())
}

// resultsTitle says when the tutor watches: verdicts then come by themselves.
func (m Model) resultsTitle() string {
	if m.watch.watching {
		return "Results · watching"
	}
	return "Results"
}

// legend explains the outline's marks on the all-keys screen.
var legend = "Outline: " + present.StatusLegend() + "  ▸ open step. The mouse wheel scrolls the pane under it."

func (m Model) outputTitle() string {
	title := "Output"
	if m.output.what == "solution" {
		title += " · solution"
	}
	if st := m.step(); m.output.state != jobNone && (st == nil || st.ID != m.output.step) {
		if s, ok := m.course.Step(m.output.step); ok {
			title += " · step " + s.Number
		}
	}
	return title
}

// tabbedBox draws results and output sharing one box, the one on show
// named first in bold.
func (m Model) tabbedBox() string {
	st := m.styles
	r := m.lay.Results
	focused := m.focus == paneResults || m.focus == paneOutput
	tab := func(name string, on bool, busy bool) string {
		if busy && !on {
			name += " •"
		}
		switch {
		case on && focused:
			return st.TitleFocused.Render(name)
		case on:
			return st.Strong.Render(name)
		}
		return st.Title.Render(name)
	}
	showOutput := m.bottomTab == paneOutput
	title := tab(m.resultsTitle(), !showOutput, m.checking.active) + st.Border.Render(" │ ") + tab(m.outputTitle(), showOutput, m.job.active)
	info, content := m.results.info(st), m.results.vp.View()
	if showOutput {
		info, content = m.output.info(st, m.spinnerFrame()), m.output.vp.View()
	}
	return box(st, r.W, r.H, focused, title, info, content)
}

func (m Model) statusView() statusView {
	v := statusView{docker: m.docker, dockerKnown: m.dockerKnown, flash: m.flash}
	if m.inClass {
		v.class, v.classShort = present.ClassLine(m.class), present.ClassMark(m.class)
		v.classTrouble = m.class.Trouble != ""
	}
	passed := 0
	for _, s := range m.steps {
		if m.prog.StatusOf(s.ID) == progress.Passed {
			passed++
		}
	}
	switch m.page {
	case pageStep:
		v.position = fmt.Sprintf("%s · %d/%d passed", m.steps[m.cur].Number, passed, len(m.steps))
	default:
		v.position = fmt.Sprintf("%d/%d passed", passed, len(m.steps))
	}
	switch {
	case m.job.active && m.job.cancelled:
		v.activity = m.spinnerFrame() + " cancelling…"
	case m.job.active:
		v.activity = m.spinnerFrame() + " running · esc cancels"
	case m.checking.active:
		v.activity = m.spinnerFrame() + " checking · esc cancels"
	case m.watch.watching && m.cfg.poll:
		v.activity = "watching for changes (polling the folder)"
	case m.watch.watching:
		v.activity = "watching for changes"
	}
	return v
}

func indent(s string, n int) string {
	pad := strings.Repeat(" ", n)
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = pad + l
	}
	return strings.Join(lines, "\n")
}
