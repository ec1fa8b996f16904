package tui

import "charm.land/bubbles/v2/key"

// KeyMap is every key the tutor answers to. The model derives from it, on
// each key press, the map of keys that work in the current state (see
// Model.activeKeys); the help bar shows that map and nothing else.
type KeyMap struct {
	Next, Prev           key.Binding
	Up, Down             key.Binding
	Left, Right          key.Binding // Left's help says both arrows
	Copy                 key.Binding
	PageUp, PageDown     key.Binding
	Focus, FocusBack     key.Binding
	Open                 key.Binding
	Run, Check, Hint     key.Binding
	Solution, Edit       key.Binding
	Shell, Answer, Reset key.Binding
	Skip, Join           key.Binding
	Outline, Search      key.Binding
	Cancel, Help, Quit   key.Binding
}

// DefaultKeyMap is the key map the tutor starts with.
func DefaultKeyMap() KeyMap {
	return KeyMap{
		Next:      key.NewBinding(key.WithKeys("n"), key.WithHelp("n", "next step")),
		Prev:      key.NewBinding(key.WithKeys("p"), key.WithHelp("p", "previous step")),
		Up:        key.NewBinding(key.WithKeys("k", "up"), key.WithHelp("↑/k", "up")),
		Down:      key.NewBinding(key.WithKeys("j", "down"), key.WithHelp("↓/j", "down")),
		Left:      key.NewBinding(key.WithKeys("left"), key.WithHelp("←/→", "scroll sideways")),
		Right:     key.NewBinding(key.WithKeys("right")),
		Copy:      key.NewBinding(key.WithKeys("y"), key.WithHelp("y", "copy command")),
		PageUp:    key.NewBinding(key.WithKeys("pgup"), key.WithHelp("pgup", "page up")),
		PageDown:  key.NewBinding(key.WithKeys("pgdown", "space"), key.WithHelp("pgdn", "page down")),
		Focus:     key.NewBinding(key.WithKeys("tab"), key.WithHelp("tab", "next pane")),
		FocusBack: key.NewBinding(key.WithKeys("shift+tab"), key.WithHelp("shift+tab", "previous pane")),
		Open:      key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "open step")),
		Run:       key.NewBinding(key.WithKeys("r"), key.WithHelp("r", "run")),
		Check:     key.NewBinding(key.WithKeys("c"), key.WithHelp("c", "check")),
		Hint:      key.NewBinding(key.WithKeys("h"), key.WithHelp("h", "hint")),
		Solution:  key.NewBinding(key.WithKeys("s"), key.WithHelp("s", "solution")),
		Edit:      key.NewBinding(key.WithKeys("e"), key.WithHelp("e", "edit")),
		Shell:     key.NewBinding(key.WithKeys("t"), key.WithHelp("t", "shell")),
		Answer:    key.NewBinding(key.WithKeys("a"), key.WithHelp("a", "answer")),
		Reset:     key.NewBinding(key.WithKeys("x"), key.WithHelp("x", "reset step")),
		Skip:      key.NewBinding(key.WithKeys("o"), key.WithHelp("o", "skip (optional)")),
		Join:      key.NewBinding(key.WithKeys("J"), key.WithHelp("J", "join a class")),
		Outline:   key.NewBinding(key.WithKeys("l"), key.WithHelp("l", "outline")),
		Search:    key.NewBinding(key.WithKeys("/"), key.WithHelp("/", "search")),
		Cancel:    key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "cancel")),
		Help:      key.NewBinding(key.WithKeys("?"), key.WithHelp("?", "all keys")),
		Quit:      key.NewBinding(key.WithKeys("q", "ctrl+c"), key.WithHelp("q", "quit")),
	}
}

// ShortHelp lists the keys for the help bar, most useful first; the bar
// adds Help and Quit at its end, where they always fit. Disabled bindings
// are left out.
func (k KeyMap) ShortHelp() []key.Binding {
	return []key.Binding{
		k.Cancel, k.Open, k.Run, k.Check, k.Answer,
		k.Copy,
		k.Hint, k.Edit, k.Shell, k.Solution,
		k.Next, k.Prev,
		k.Left,
		k.Reset, k.Skip, k.Focus, k.Outline, k.Search,
	}
}

// FullHelp groups every key for the `?` screen.
func (k KeyMap) FullHelp() [][]key.Binding {
	return [][]key.Binding{
		{k.Next, k.Prev, k.Up, k.Down, k.PageUp, k.PageDown, k.Focus, k.Open,
			k.Left},
		{k.Run, k.Check, k.Hint, k.Solution, k.Answer, k.Reset, k.Skip, k.Edit, k.Shell,
			k.Copy},
		{k.Outline, k.Search, k.Join, k.Cancel, k.Help, k.Quit},
	}
}

// all returns every binding, for enabling and disabling them together.
func (k *KeyMap) all() []*key.Binding {
	return []*key.Binding{
		&k.Next, &k.Prev, &k.Up, &k.Down, &k.PageUp, &k.PageDown, &k.Focus, &k.FocusBack,
		&k.Open, &k.Run, &k.Check, &k.Hint, &k.Solution, &k.Edit, &k.Shell, &k.Answer,
		&k.Reset, &k.Skip, &k.Join, &k.Outline, &k.Search, &k.Cancel, &k.Help, &k.Quit,
		&k.Left, &k.Right,
		&k.Copy,
	}
}
