package tui

import "strings"

// scroller shows a window of lines that are already styled and wrapped to
// the pane's width. Unlike viewport it measures nothing, so appending to a
// long build log costs only the new lines.
type scroller struct {
	lines         []string
	offset        int
	width, height int
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

func (s *scroller) clamp() { s.offset = min(max(s.offset, 0), s.maxOffset()) }

// View is the visible window; the box around it pads and cuts each line.
func (s scroller) View() string {
	end := min(s.offset+s.height, len(s.lines))
	if s.offset >= end {
		return ""
	}
	return strings.Join(s.lines[s.offset:end], "\n")
}
