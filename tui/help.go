package tui

import (
	"strings"

	"charm.land/bubbles/v2/key"
	"charm.land/lipgloss/v2"
)

// helpSeparator sits between the keys of the help bar.
const helpSeparator = " • "

// helpBar lists the keys that work now. "?" and "q" always end the bar;
// the other keys, most useful first, fill the room before them and give
// way with "…" when the terminal is narrow.
func (m Model) helpBar() string {
	switch {
	case m.prompt.kind != promptNone:
		return shortHelp(m.styles, m.prompt.keys(), nil, m.width)
	case m.fullHelp:
		closeKey := key.NewBinding(key.WithKeys("?", "esc"), key.WithHelp("?/esc", "close"))
		return shortHelp(m.styles, []key.Binding{closeKey}, []key.Binding{m.keys.Quit}, m.width)
	}
	k := m.activeKeys()
	return shortHelp(m.styles, k.ShortHelp(), []key.Binding{k.Help, k.Quit}, m.width)
}

// shortHelp renders bindings on one line of at most width cells, always
// keeping the tail bindings.
func shortHelp(st Styles, bindings, tail []key.Binding, width int) string {
	item := func(b key.Binding) string {
		return st.Help.ShortKey.Render(b.Help().Key) + " " + st.Help.ShortDesc.Render(b.Help().Desc)
	}
	sep := st.Help.ShortSeparator.Render(helpSeparator)
	shown := func(bs []key.Binding) []string {
		var out []string
		for _, b := range bs {
			if b.Enabled() && b.Help().Key != "" {
				out = append(out, item(b))
			}
		}
		return out
	}
	tailItems := shown(tail)
	tailStr := strings.Join(tailItems, sep)
	room := width
	if len(tailItems) > 0 {
		room -= lipgloss.Width(tailStr) + lipgloss.Width(sep)
	}
	ellipsis := st.Help.Ellipsis.Render("…")
	var head []string
	used := 0
	items := shown(bindings)
	for i, it := range items {
		w := lipgloss.Width(it)
		if len(head) > 0 {
			w += lipgloss.Width(sep)
		}
		// The last item needs no room for the ellipsis.
		need := w
		if i < len(items)-1 {
			need += lipgloss.Width(sep) + 1
		}
		if used+need > room {
			head = append(head, ellipsis)
			break
		}
		head = append(head, it)
		used += w
	}
	parts := head
	if tailStr != "" {
		parts = append(parts, tailStr)
	}
	return strings.Join(parts, sep)
}
