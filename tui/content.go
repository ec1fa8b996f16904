package tui

import (
	"strconv"

	"charm.land/bubbles/v2/key"

	"github.com/dockertutor/dockertutor/present"
)

// The documents the text pane shows are worded in package present; this
// file gives it what only the full screen knows: its keys.

// welcomeKeys names the full screen's keys for the welcome's list.
func welcomeKeys(k KeyMap) present.Keys {
	return present.Keys{
		Next: keyHelp(k.Next), Prev: keyHelp(k.Prev),
		Scroll: "j k ↑ ↓ pgup pgdn", Focus: keyHelp(k.Focus),
		Run: keyHelp(k.Run), Check: keyHelp(k.Check),
		Hint: keyHelp(k.Hint), Solution: keyHelp(k.Solution),
		Edit: keyHelp(k.Edit), Shell: keyHelp(k.Shell),
		Help:     keyHelp(k.Help),
		Sideways: keyHelp(k.Left),
		Copy:     keyHelp(k.Copy),
	}
}

func keyHelp(b key.Binding) string { return b.Help().Key }

func itoa(n int) string { return strconv.Itoa(n) }
