package tui

import (
	tea "charm.land/bubbletea/v2"

	"github.com/dockertutor/dockertutor/lessons"
	"github.com/dockertutor/dockertutor/present"
	"github.com/dockertutor/dockertutor/tui/backend"
)

// skipCmd leaves an optional step out and says so in the status line.
func skipCmd(b Backend, st *lessons.Step) tea.Cmd {
	return func() tea.Msg {
		p, err := b.Skip(st)
		if err != nil {
			return refreshedMsg{step: st.ID, err: err}
		}
		return refreshedMsg{step: st.ID, prog: p, info: backend.Describe(b, st, p), note: present.SkippedLine(st)}
	}
}
