package tui

import (
	"context"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/dockertutor/dockertutor/present"
)

// classMsg is how the learner's class stands, read from its files.
type classMsg struct {
	status  present.ClassStatus
	inClass bool
	// once: a read out of turn (after a join), which starts no polling.
	once bool
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
	if m.cfg.classEvery > 0 && !msg.once {
		cmds = append(cmds, tea.Tick(m.cfg.classEvery, func(time.Time) tea.Msg { return classPollMsg{} }))
	}
	return tea.Batch(cmds...)
}

// joinedMsg is the end of a join from the tutor.
type joinedMsg struct {
	said string
	err  error
}

func joinCmd(ctx context.Context, join func(context.Context, string, string) (string, error), address, name string) tea.Cmd {
	return func() tea.Msg {
		said, err := join(ctx, address, name)
		return joinedMsg{said: said, err: err}
	}
}

// joinEntered takes the join prompt's line: first the address (or the
// whole join command, pasted), then the name, which starts the join.
func (m *Model) joinEntered(value string) tea.Cmd {
	if value == "" {
		return nil
	}
	if m.prompt.joinAddress == "" {
		address := joinAddressIn(value)
		cmd := m.closePrompt()
		m.prompt.joinAddress = address
		m.openPrompt(promptJoin, present.JoinNameLabel, "")
		return tea.Batch(cmd, m.prompt.input.Focus(), m.relayout())
	}
	address := m.prompt.joinAddress
	m.prompt.joinAddress = ""
	m.joining = true
	return tea.Batch(m.closePrompt(), m.setFlash(present.Joining, flashInfo), joinCmd(m.ctx, m.cfg.joinClass, address, value))
}

// joinAddressIn finds the join address in what the learner pasted: the
// address alone, or the join command the instructor's screen shows.
func joinAddressIn(s string) string {
	for _, f := range strings.Fields(s) {
		if strings.Contains(f, "://") {
			return strings.Trim(f, `"'`)
		}
	}
	return s
}

// joined says how the join went and reads the class's state at once.
func (m *Model) joined(msg joinedMsg) tea.Cmd {
	m.joining = false
	if msg.err != nil {
		return m.setFlash(msg.err.Error(), flashError)
	}
	// A warning, so that the whole of what joining means shows.
	read := m.cfg.class
	if read == nil {
		return m.setFlash(strings.Join(strings.Fields(msg.said), " "), flashWarning)
	}
	return tea.Batch(m.setFlash(strings.Join(strings.Fields(msg.said), " "), flashWarning), func() tea.Msg {
		st, ok := read()
		return classMsg{status: st, inClass: ok, once: true}
	})
}
