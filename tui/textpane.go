package tui

import (
	"strconv"
	"strings"

	"charm.land/bubbles/v2/viewport"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/dockertutor/dockertutor/tui/markdown"
)

// scrollTo says where the text pane should stand once the new rendering
// arrives.
type scrollTo int

const (
	scrollKeep scrollTo = iota
	scrollTop
	scrollEnd
)

// textPane shows a markdown document (the welcome, a step, a solution, the
// summary), rendered with glamour in a command and cached per width.
type textPane struct {
	vp    viewport.Model
	doc   string
	gen   int       // bumps when doc changes
	want  renderKey // the rendering asked for last
	have  renderKey // the rendering shown
	after scrollTo  // applied when the wanted rendering arrives
	// wide says a line is wider than the pane: code is never wrapped (a
	// learner pastes it as it is), so the pane scrolls sideways instead.
	wide bool
}

// sidewaysStep is how many columns a sideways scroll moves.
const sidewaysStep = 8

func newTextPane() textPane {
	vp := viewport.New()
	vp.MouseWheelEnabled = false // the model routes the wheel by position
	vp.SetHorizontalStep(sidewaysStep)
	return textPane{vp: vp, want: renderKey{gen: -1}, have: renderKey{gen: -1}}
}

// setDoc replaces the document; the caller then asks for a rendering.
func (t *textPane) setDoc(doc string, after scrollTo) {
	if doc != t.doc {
		t.doc = doc
		t.gen++
	}
	if after != scrollKeep {
		t.after = after
	}
}

// resize sets the viewport to the pane's inner size.
func (t *textPane) resize(w, h int) {
	t.vp.SetWidth(max(w, 0))
	t.vp.SetHeight(max(h, 0))
	t.measure()
}

// measure notes whether the content is wider than the pane, and goes
// back to the left edge when it no longer is.
func (t *textPane) measure() {
	widest := 0
	for _, l := range strings.Split(t.vp.GetContent(), "\n") {
		// Padding glamour adds to fill a line is not worth scrolling to.
		widest = max(widest, ansi.StringWidth(strings.TrimRight(ansi.Strip(l), " ")))
	}
	t.wide = widest > t.vp.Width()
	if !t.wide {
		t.vp.SetXOffset(0)
	}
}

// scrollSideways moves the text by n columns (negative is left).
func (t *textPane) scrollSideways(n int) {
	if n < 0 {
		t.vp.ScrollLeft(-n)
	} else {
		t.vp.ScrollRight(n)
	}
}

// render returns the command that renders the document for the current
// width and style, or nil when that rendering is shown or on its way.
func (t *textPane) render(r *markdown.Renderer, style markdown.Style) tea.Cmd {
	if t.vp.Width() <= 0 {
		return nil
	}
	key := renderKey{gen: t.gen, width: t.vp.Width(), style: style}
	if key == t.want {
		return nil
	}
	t.want = key
	return renderCmd(r, t.doc, key)
}

// rendered takes a finished rendering if it is the one wanted last, and
// reports whether it did.
func (t *textPane) rendered(msg renderedMsg) bool {
	if msg.key != t.want {
		return false
	}
	t.have = msg.key
	if msg.err != nil {
		// Unrenderable markdown is still readable as it is.
		t.vp.SetContent(t.doc)
	} else {
		t.vp.SetContent(msg.out)
	}
	t.measure()
	switch t.after {
	case scrollTop:
		t.vp.GotoTop()
		t.vp.SetXOffset(0)
	case scrollEnd:
		t.vp.GotoBottom()
	}
	t.after = scrollKeep
	return true
}

// ready reports whether the rendering on screen is the last one asked for
// (the current document at the current width and style).
func (t textPane) ready() bool { return t.have == t.want && t.have.gen == t.gen }

func (t textPane) view() string { return t.vp.View() }

// scrollInfo is the position shown in the pane's border: how far down,
// and arrows where lines go on past the pane's edges.
func (t textPane) scrollInfo() string {
	var parts []string
	if t.wide {
		parts = append(parts, sidewaysArrows(t.vp.XOffset() > 0, t.vp.HorizontalScrollPercent() < 1))
	}
	if t.vp.TotalLineCount() > t.vp.Height() {
		switch {
		case t.vp.AtTop():
			parts = append(parts, "top")
		case t.vp.AtBottom():
			parts = append(parts, "end")
		default:
			parts = append(parts, strconv.Itoa(int(t.vp.ScrollPercent()*100))+"%")
		}
	}
	return strings.Join(parts, " ")
}

// sidewaysArrows are the arrows a pane's border shows where its lines go
// on past its left or right edge.
func sidewaysArrows(left, right bool) string {
	var arrows string
	if left {
		arrows += "←"
	}
	if right {
		arrows += "→"
	}
	return arrows
}
