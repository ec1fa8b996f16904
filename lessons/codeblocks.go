package lessons

import (
	"regexp"
	"strings"
)

// CodeBlock is one fenced code block of a step's markdown.
type CodeBlock struct {
	// Lang is the first word of the fence's info string, "" if none.
	Lang string
	// Code is the block's lines, without the fence's indentation, each
	// ending in a newline.
	Code string
}

// Shell says the block holds commands for a shell: its fence names one.
func (b CodeBlock) Shell() bool {
	switch strings.ToLower(b.Lang) {
	case "sh", "bash", "shell", "console", "zsh":
		return true
	}
	return false
}

// CodeBlocks returns the fenced code blocks of md in order. A fence is a
// line of three or more backticks or tildes after any indentation (list
// items indent theirs); the block ends at a line of the same character at
// least as long, or at the end of md.
func CodeBlocks(md string) []CodeBlock {
	var (
		blocks []CodeBlock
		code   strings.Builder
		open   bool
		char   byte
		length int
		indent int
	)
	for _, line := range strings.Split(md, "\n") {
		line = strings.TrimRight(line, "\r")
		trimmed := strings.TrimLeft(line, " \t")
		run := FenceLength(trimmed)
		if open {
			if run >= length && trimmed[0] == char && strings.TrimSpace(trimmed[run:]) == "" {
				open = false
				blocks[len(blocks)-1].Code = code.String()
				continue
			}
			for i := 0; i < indent && strings.HasPrefix(line, " "); i++ {
				line = line[1:]
			}
			code.WriteString(line + "\n")
			continue
		}
		if run == 0 {
			continue
		}
		open, char, length, indent = true, trimmed[0], run, len(line)-len(trimmed)
		lang, _, _ := strings.Cut(strings.TrimSpace(trimmed[run:]), " ")
		blocks = append(blocks, CodeBlock{Lang: lang})
		code.Reset()
	}
	if open {
		blocks[len(blocks)-1].Code = code.String()
	}
	return blocks
}

// FenceLength is the length of the run of backticks or tildes that opens
// s, 0 when s does not open a fence (fewer than three, or backticks with
// a backtick in the info string, which makes it inline code). The
// renderer reads fences by it too, so the two never disagree on a block.
func FenceLength(s string) int {
	if len(s) < 3 || s[0] != '`' && s[0] != '~' {
		return 0
	}
	n := 0
	for n < len(s) && s[n] == s[0] {
		n++
	}
	if n < 3 || s[0] == '`' && strings.Contains(s[n:], "`") {
		return 0
	}
	return n
}

// inlineMarkup is a code span or strong emphasis in a line of course text.
var inlineMarkup = regexp.MustCompile("`([^`]+)`|\\*\\*([^*]+)\\*\\*")

// PlainText drops the markup of inline markdown from a line of course
// text shown outside a rendered page (a check's message, the "where it
// is" of an answer, a quiz choice's why): the words stay, the backticks
// and asterisks would only be noise on a screen.
func PlainText(s string) string {
	return inlineMarkup.ReplaceAllString(s, "$1$2")
}
