package present

import (
	"strings"

	"github.com/charmbracelet/x/ansi"
)

// Wrap wraps plain text at spaces only (commands such as --pull must not
// break at their hyphens); a word longer than the width is cut. Each line
// of text is wrapped on its own.
func Wrap(text string, width int) []string { return wrap(text, width, true) }

// WrapWhole wraps like Wrap but never cuts a word: one wider than the line
// (a path, a command) stands whole on a line of its own, for output a
// learner copies from, where the terminal may fold it but not break it.
func WrapWhole(text string, width int) []string { return wrap(text, width, false) }

func wrap(text string, width int, cut bool) []string {
	var lines []string
	for _, para := range strings.Split(text, "\n") {
		line, lw := "", 0
		for _, word := range strings.Fields(para) {
			ww := ansi.StringWidth(word)
			switch {
			case lw == 0:
			case lw+1+ww <= width:
				line += " " + word
				lw += 1 + ww
				continue
			default:
				lines = append(lines, line)
			}
			for cut && ww > width { // a word wider than the line
				lines = append(lines, ansi.Truncate(word, width, ""))
				word = ansi.TruncateLeft(word, width, "")
				ww = ansi.StringWidth(word)
			}
			line, lw = word, ww
		}
		lines = append(lines, line)
	}
	return lines
}
