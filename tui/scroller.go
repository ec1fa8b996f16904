package tui

import (
	"strings"

	"github.com/charmbracelet/x/ansi"
)

// scroller shows a window of lines that are already styled and wrapped to
// the pane's width. Unlike viewport it measures nothing, so appending to a
// long build log costs only the new lines.
type scroller struct {
	lines         []string
	offset        int
	width, height int
	// xOffset is how many columns the lines are scrolled sideways, within
	// widest, the widest line's width as the pane's owner measured it.
	xOffset, widest int
}

func (s *scroller) SetWidth(w int)  { s.width = max(w, 0) }
func (s *scroller) SetHeight(h int) { s.height = max(h, 0); s.clamp() }
func (s scroller) Width() int       { return s.width }
func (s scroller) Height() int      { return s.height }

// SetLines replaces the lines, keeping the position where it can.
func (s *scroller) SetLines(lines []string) {
	s.lines = lines
	s.clamp()
}

func (s scroller) TotalLineCount() int { return len(s.lines) }
func (s scroller) YOffset() int        { return s.offset }
func (s scroller) AtBottom() bool      { return s.offset >= s.maxOffset() }
func (s *scroller) ScrollUp(n int)     { s.offset -= n; s.clamp() }
func (s *scroller) ScrollDown(n int)   { s.offset += n; s.clamp() }
func (s *scroller) GotoTop()           { s.offset = 0 }
func (s *scroller) GotoBottom()        { s.offset = s.maxOffset() }

func (s scroller) maxOffset() int { return max(len(s.lines)-s.height, 0) }

func (s *scroller) clamp() {
	s.offset = min(max(s.offset, 0), s.maxOffset())
	s.xOffset = min(max(s.xOffset, 0), max(s.widest-s.width, 0))
}

// SetWidest says how wide the widest line is, for sideways scrolling; 0
// (lines wrapped to the width) keeps the left edge.
func (s *scroller) SetWidest(w int) { s.widest = w; s.clamp() }

// Wide reports whether a line is wider than the pane.
func (s scroller) Wide() bool { return s.widest > s.width }

// ScrollSideways moves the lines by n columns (negative is left).
func (s *scroller) ScrollSideways(n int) { s.xOffset += n; s.clamp() }

// sideways says where lines go on past the pane's edges: whether there
// is more to the left and to the right.
func (s scroller) sideways() (left, right bool) {
	return s.xOffset > 0, s.xOffset+s.width < s.widest
}

// View is the visible window; the box around it pads and cuts each line.
func (s scroller) View() string {
	end := min(s.offset+s.height, len(s.lines))
	if s.offset >= end {
		return ""
	}
	lines := s.lines[s.offset:end]
	if s.xOffset > 0 {
		lines = make([]string, 0, end-s.offset)
		for _, l := range s.lines[s.offset:end] {
			lines = append(lines, ansi.TruncateLeft(l, s.xOffset, ""))
		}
	}
	return strings.Join(lines, "\n")
}
