package markdown

import (
	"strings"

	"github.com/dockertutor/dockertutor/lessons"
)

// labelBareFences gives every fenced code block that names no language
// the language "text". glamour hands a block's language to chroma, whose
// lookup of an empty name falls through to matching the name against
// every lexer's file patterns, twice, before it settles on plain text:
// that search was half the time of rendering a step. "text" names chroma's
// plain-text lexer directly, and the block looks exactly the same (a test
// renders the whole course both ways).
//
// It follows CommonMark's fences closely enough for step text: a fence is
// a line of three or more backticks or tildes after any indentation (list
// items indent theirs); the block ends at a line of the same character at
// least as long, with nothing after it.
func labelBareFences(md string) string {
	if !strings.Contains(md, "```") && !strings.Contains(md, "~~~") {
		return md
	}
	lines := strings.SplitAfter(md, "\n")
	var (
		open    bool
		char    byte
		length  int
		changed bool
	)
	for i, line := range lines {
		body := strings.TrimRight(line, "\r\n")
		trimmed := strings.TrimLeft(body, " \t")
		run := lessons.FenceLength(trimmed)
		if open {
			if run >= length && trimmed[0] == char && strings.TrimSpace(trimmed[run:]) == "" {
				open = false
			}
			continue
		}
		if run == 0 {
			continue
		}
		open, char, length = true, trimmed[0], run
		if strings.TrimSpace(trimmed[run:]) == "" {
			lines[i] = body[:len(body)-len(trimmed)] + trimmed[:run] + "text" + line[len(body):]
			changed = true
		}
	}
	if !changed {
		return md
	}
	return strings.Join(lines, "")
}
