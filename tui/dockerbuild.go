package tui

import (
	"context"

	tea "charm.land/bubbletea/v2"

	"github.com/dockertutor/dockertutor/exercises/engine"
	"github.com/dockertutor/dockertutor/present"
)

// dockerBuildMsg is what the learner's own `docker build` runs.
type dockerBuildMsg struct{ build engine.DockerBuild }

// dockerBuildCmd finds it once (the session keeps it): finding it runs
// the buildx plugin, so never on the Update path.
func dockerBuildCmd(ctx context.Context, b Backend) tea.Cmd {
	return func() tea.Msg { return dockerBuildMsg{build: b.DockerBuild(ctx)} }
}

// dockerBuildNote tells the status line, once a session, on the first
// step where it matters, that the learner's own docker build cannot build
// a secret mount and what to do instead.
type dockerBuildNote struct {
	builder engine.LocalBuilder
	said    bool
}

func (m *Model) dockerBuildKnown(msg dockerBuildMsg) tea.Cmd {
	m.buildNote.builder = msg.build.Builder
	// The step's text and the output pane word the action's command for
	// it.
	m.refreshOutput()
	cmds := []tea.Cmd{m.refreshText(scrollKeep), m.sayDockerBuild()}
	if st := m.step(); st != nil && m.page == pageStep && m.info.Action != "" {
		// The command itself is Podman's on Podman: the step is described
		// again, off the Update path (it reads the progress file).
		cmds = append(cmds, describeCmd(m.b, st))
	}
	return tea.Batch(cmds...)
}

// sayDockerBuild flashes the note when the open step is one where it
// matters and it was not said yet.
func (m *Model) sayDockerBuild() tea.Cmd {
	if m.buildNote.said || m.page != pageStep || m.cur < 0 || m.cur >= len(m.steps) {
		return nil
	}
	st := m.steps[m.cur]
	note := present.DockerBuildNote(st, m.buildNote.builder)
	if note == "" {
		return nil
	}
	m.buildNote.said = true
	cmd := m.setFlash(note, flashWarning)
	m.flash.step = st.ID
	return cmd
}
