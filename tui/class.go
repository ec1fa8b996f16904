package tui

import (
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/dockertutor/dockertutor/present"
)

// classMsg is how the learner's class stands, read from its files.
type classMsg struct {
	status  present.ClassStatus
	inClass bool
}

// classPollMsg asks for the class's state again.
type classPollMsg struct{}

// classCmd reads the class's state; nil when the learner is in no class.
func classCmd(read func() (present.ClassStatus, bool)) tea.Cmd {
	if read == nil {
		return nil
	}
	return func() tea.Msg {
		st, ok := read()
		return classMsg{status: st, inClass: ok}
	}
}

// classRead shows the class's state: its segment of the status line and
// the instructor's message above it (which takes a line from the panes).
func (m *Model) classRead(msg classMsg) tea.Cmd {
	before := m.classMessageLine()
	m.class, m.inClass = msg.status, msg.inClass
	var cmds []tea.Cmd
	if m.classMessageLine() != before {
		cmds = append(cmds, m.relayout())
	}
	if m.cfg.classEvery > 0 {
		cmds = append(cmds, tea.Tick(m.cfg.classEvery, func(time.Time) tea.Msg { return classPollMsg{} }))
	}
	return tea.Batch(cmds...)
}
