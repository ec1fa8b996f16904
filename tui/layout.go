package tui

import (
	"strings"

	"github.com/charmbracelet/x/ansi"
)

// The smallest terminal the interface draws in; below it the screen says so.
const (
	MinWidth  = 80
	MinHeight = 24
)

// splitWidth is the width from which results and output sit side by side;
// below it they share one box, one tab at a time.
const splitWidth = 100

// rect is a region of the screen, in cells, borders included.
type rect struct{ X, Y, W, H int }

func (r rect) contains(x, y int) bool {
	return x >= r.X && x < r.X+r.W && y >= r.Y && y < r.Y+r.H
}

func (r rect) empty() bool { return r.W <= 0 || r.H <= 0 }

// inner is the region inside the border.
func (r rect) inner() rect {
	if r.W < 2 || r.H < 2 {
		return rect{}
	}
	return rect{r.X + 1, r.Y + 1, r.W - 2, r.H - 2}
}

// layout is where everything goes. It is the only place that does screen
// arithmetic; it is recomputed when the window or the set of visible parts
// changes.
type layout struct {
	Width, Height int
	TooSmall      bool
	Outline       rect // empty when hidden
	Text          rect
	// Results and Output are the same rect when Tabbed.
	Results, Output rect
	Tabbed          bool
	Prompt          rect // empty when no prompt is open
	// Message holds a status message too long for the status line, in
	// full above it; empty when there is none.
	Message      rect
	Status, Help rect
}

// maxMessageLines is how many lines a long message may take above the
// status line, at most, on a terminal of height h: enough for a long
// Docker error, with the panes still usable.
func maxMessageLines(h int) int { return max(h/4, 2) }

func computeLayout(w, h int, showOutline, prompt bool, messageLines int) layout {
	l := layout{Width: w, Height: h}
	if w < MinWidth || h < MinHeight {
		l.TooSmall = true
		return l
	}
	l.Help = rect{0, h - 1, w, 1}
	l.Status = rect{0, h - 2, w, 1}
	mainH := h - 2
	if n := min(messageLines, maxMessageLines(h)); n > 0 {
		mainH -= n
		l.Message = rect{0, mainH, w, n}
	}
	if prompt {
		mainH--
		l.Prompt = rect{0, mainH, w, 1}
	}
	bottomH := min(max(mainH*35/100, 7), 16)
	topH := mainH - bottomH
	x := 0
	if showOutline {
		ow := min(max(w/4, 24), 36)
		l.Outline = rect{0, 0, ow, topH}
		x = ow
	}
	l.Text = rect{x, 0, w - x, topH}
	if w >= splitWidth {
		rw := w / 2
		l.Results = rect{0, topH, rw, bottomH}
		l.Output = rect{rw, topH, w - rw, bottomH}
	} else {
		l.Tabbed = true
		l.Results = rect{0, topH, w, bottomH}
		l.Output = l.Results
	}
	return l
}

// paneAt is the pane under a screen cell, for the mouse wheel.
func (l layout) paneAt(x, y int, bottomTab paneID) (paneID, bool) {
	switch {
	case l.Outline.contains(x, y):
		return paneOutline, true
	case l.Text.contains(x, y):
		return paneText, true
	case l.Tabbed && l.Results.contains(x, y):
		return bottomTab, true
	case l.Results.contains(x, y):
		return paneResults, true
	case l.Output.contains(x, y):
		return paneOutput, true
	}
	return 0, false
}

// box draws content in a rounded border of exactly w×h cells. title and
// info are already styled; info sits at the right of the top edge and is
// dropped first when space runs out. Content lines are cut or padded to fit.
func box(st Styles, w, h int, focused bool, title, info, content string) string {
	if w < 4 || h < 2 {
		return ""
	}
	bs := st.Border
	if focused {
		bs = st.BorderFocused
	}
	inner := w - 2
	var b strings.Builder
	b.Grow(w * h * 2)

	// Top edge: ╭─ title ───── info ─╮
	avail := inner - 2
	t := ""
	if title != "" {
		t = " " + ansi.Truncate(title, max(avail-2, 0), "…") + " "
	}
	in := ""
	if ansi.StringWidth(info) > 0 {
		in = " " + info + " "
		if ansi.StringWidth(t)+ansi.StringWidth(in)+1 > avail {
			in = ""
		}
	}
	fill := max(avail-ansi.StringWidth(t)-ansi.StringWidth(in), 0)
	b.WriteString(bs.Render("╭─"))
	b.WriteString(t)
	b.WriteString(bs.Render(strings.Repeat("─", fill)))
	b.WriteString(in)
	b.WriteString(bs.Render("─╮"))
	b.WriteByte('\n')

	lines := strings.Split(strings.TrimRight(content, "\n"), "\n")
	side := bs.Render("│")
	for i := 0; i < h-2; i++ {
		line := ""
		if i < len(lines) {
			line = fitLine(lines[i], inner)
		} else {
			line = strings.Repeat(" ", inner)
		}
		b.WriteString(side)
		b.WriteString(line)
		b.WriteString(side)
		b.WriteByte('\n')
	}
	b.WriteString(bs.Render("╰" + strings.Repeat("─", inner) + "╯"))
	return b.String()
}

// fitLine cuts or pads a styled line to exactly width cells.
func fitLine(line string, width int) string {
	line = strings.TrimRight(line, "\r")
	if ansi.StringWidth(line) > width {
		line = ansi.Truncate(line, width, "")
	}
	if pad := width - ansi.StringWidth(line); pad > 0 {
		line += strings.Repeat(" ", pad)
	}
	return line
}

// compose puts blocks of text at their rects on a blank screen of the
// layout's size and returns the screen.
func (l layout) compose(blocks map[rect]string) string {
	type seg struct {
		x    int
		text string
		w    int
	}
	segs := make([][]seg, l.Height)
	for r, s := range blocks {
		if r.empty() {
			continue
		}
		for i, line := range strings.Split(s, "\n") {
			y := r.Y + i
			if i >= r.H || y >= l.Height {
				break
			}
			segs[y] = append(segs[y], seg{r.X, fitLine(line, r.W), r.W})
		}
	}
	var b strings.Builder
	for y, ss := range segs {
		// Few segments per row: a simple insertion sort keeps x order.
		for i := 1; i < len(ss); i++ {
			for j := i; j > 0 && ss[j].x < ss[j-1].x; j-- {
				ss[j], ss[j-1] = ss[j-1], ss[j]
			}
		}
		x := 0
		for _, s := range ss {
			if s.x < x {
				continue // overlapping: the first one wins
			}
			b.WriteString(strings.Repeat(" ", s.x-x))
			b.WriteString(s.text)
			x = s.x + s.w
		}
		if x < l.Width {
			b.WriteString(strings.Repeat(" ", l.Width-x))
		}
		if y < l.Height-1 {
			b.WriteByte('\n')
		}
	}
	return b.String()
}
