// Command bare is the floor for the first-frame benchmark: a Bubble Tea
// program that draws a static 120x40 screen of bordered panes and a help
// line as soon as it knows the terminal's size, with none of the tutor's
// work (no course, no session, no markdown, no Docker).
package main

import (
	"fmt"
	"os"
	"strings"

	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
)

type model struct{ w, h int }

func (m model) Init() tea.Cmd { return nil }

func (m model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.w, m.h = msg.Width, msg.Height
	case tea.KeyPressMsg:
		if msg.String() == "q" {
			return m, tea.Quit
		}
	}
	return m, nil
}

func (m model) View() tea.View {
	if m.w == 0 {
		return tea.NewView("")
	}
	box := lipgloss.NewStyle().Border(lipgloss.RoundedBorder()).Width(m.w/2 - 2).Height(m.h - 4)
	text := strings.Repeat("Only the last stage of a multi-stage Dockerfile becomes the image. ", 10)
	panes := lipgloss.JoinHorizontal(lipgloss.Top, box.Render("outline"), box.Render(text))
	v := tea.NewView(panes + "\n 0/36 passed\n q quit")
	v.AltScreen = true
	return v
}

func main() {
	if _, err := tea.NewProgram(model{}).Run(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
