package tui

import (
	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	"github.com/charmbracelet/x/ansi"

	"github.com/dockertutor/dockertutor/lessons"
)

// promptKind is the question the prompt line asks.
type promptKind int

const (
	promptNone    promptKind = iota
	promptConfirm            // y or n
	promptAnswer             // a quiz choice or a free answer
	promptSearch             // a few words to find a step
	promptJoin               // a class's join address, then a name
)

// confirmAction is what a "y" does.
type confirmAction int

const (
	confirmReset confirmAction = iota
	confirmSolution
	confirmSolve
	// confirmAnswerSolution records a quiz's or free answer's reference
	// answer and checks it.
	confirmAnswerSolution
)

// prompt is the line above the status line that asks the learner
// something. While it is open, keys go to it.
type prompt struct {
	kind     promptKind
	question string
	action   confirmAction
	step     *lessons.Step // the step the question is about
	input    textinput.Model
	matches  []int // search results, step indexes
	// joinAddress is the join address given, while the name is asked.
	joinAddress string
}

func newPrompt() prompt {
	in := textinput.New()
	in.CharLimit = 200
	return prompt{input: in}
}

func (p prompt) hasInput() bool {
	return p.kind == promptAnswer || p.kind == promptSearch || p.kind == promptJoin
}

func (p prompt) view(st Styles, width int) string {
	switch p.kind {
	case promptConfirm:
		keys := "  " + st.PromptKey.Render("y") + st.Muted.Render(" yes  ") + st.PromptKey.Render("n") + st.Muted.Render(" no")
		q := ansi.Truncate(p.question, max(width-ansi.StringWidth(keys), 10), "…")
		return fitLine(st.Prompt.Render(q)+keys, width)
	case promptAnswer, promptSearch, promptJoin:
		return fitLine(p.input.View(), width)
	}
	return ""
}

// keys are the bindings the help bar shows while the prompt is open.
func (p prompt) keys() []key.Binding {
	switch p.kind {
	case promptConfirm:
		return []key.Binding{
			key.NewBinding(key.WithKeys("y"), key.WithHelp("y", "yes")),
			key.NewBinding(key.WithKeys("n", "esc"), key.WithHelp("n/esc", "no")),
		}
	case promptSearch:
		return []key.Binding{
			key.NewBinding(key.WithKeys("up", "down"), key.WithHelp("↑/↓", "choose")),
			key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "open step")),
			key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "cancel")),
		}
	}
	return []key.Binding{
		key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "submit")),
		key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "cancel")),
		key.NewBinding(key.WithKeys("up", "down", "pgup", "pgdown"), key.WithHelp("↑/↓ pgup/pgdn", "scroll the text")),
	}
}

func ansiWidth(s string) int { return ansi.StringWidth(s) }
