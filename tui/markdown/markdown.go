// Package markdown renders a step's markdown for the terminal with glamour.
// Building a glamour renderer is costly, so one is kept per width and
// style; rendering is safe from any goroutine.
package markdown

import (
	"fmt"
	"strings"
	"sync"

	"charm.land/glamour/v2"
	gansi "charm.land/glamour/v2/ansi"
	"charm.land/glamour/v2/styles"
	"github.com/charmbracelet/x/ansi"
)

// Style picks the glamour style: colours for a dark or light background,
// plain text for pipes, TERM=dumb and NO_COLOR, or text for a screen
// reader.
type Style string

const (
	Dark  Style = styles.DarkStyle
	Light Style = styles.LightStyle
	Plain Style = styles.NoTTYStyle
	// Reader is glamour's ASCII style without the asterisks of emphasis,
	// the hashes of headings or a left margin, which a screen reader
	// would read out; the plain mode uses it.
	Reader Style = "reader"
)

// styleConfig is the glamour configuration of a style. Headings lose the
// hashes glamour's styles print before them: on screen they read as
// markdown left raw.
func styleConfig(style Style) gansi.StyleConfig {
	var cfg gansi.StyleConfig
	switch style {
	case Dark:
		cfg = styles.DarkStyleConfig
	case Light:
		cfg = styles.LightStyleConfig
	default:
		cfg = styles.ASCIIStyleConfig
	}
	for _, h := range []*gansi.StyleBlock{&cfg.H1, &cfg.H2, &cfg.H3, &cfg.H4, &cfg.H5, &cfg.H6} {
		if strings.HasPrefix(h.Prefix, "#") {
			h.Prefix = ""
		}
	}
	if style == Reader {
		noMargin := uint(0)
		cfg.Document.Margin = &noMargin
		cfg.Emph = gansi.StylePrimitive{}
		cfg.Strong = gansi.StylePrimitive{}
	}
	return cfg
}

// MaxWidth caps the wrap width: long lines are hard to read (glow does the same).
const MaxWidth = 100

// Renderer renders markdown, caching glamour renderers per width and style
// and the last few renderings: a document is often rendered again as it
// was (the outline toggled and back, a refresh that changed nothing), and
// the tutor renders its first screen ahead of the model asking for it.
type Renderer struct {
	mu    sync.Mutex
	cache map[key]*glamour.TermRenderer
	memo  []rendering // most recent last
}

type key struct {
	width int
	style Style
}

type rendering struct {
	key key
	md  string
	out string
}

// memoSize bounds the renderings kept: a step's text is a few kilobytes.
const memoSize = 8

// New returns an empty renderer cache.
func New() *Renderer { return &Renderer{cache: map[key]*glamour.TermRenderer{}} }

// WrapWidth is the width text wraps at in a pane of the given width.
func WrapWidth(paneWidth int) int {
	return max(20, min(paneWidth, MaxWidth))
}

// Render renders md to fit a pane of the given width.
func (r *Renderer) Render(md string, paneWidth int, style Style) (string, error) {
	k := key{WrapWidth(paneWidth), style}
	r.mu.Lock()
	defer r.mu.Unlock() // glamour's renderer is not safe for concurrent use
	for i := len(r.memo) - 1; i >= 0; i-- {
		if m := r.memo[i]; m.key == k && m.md == md {
			return m.out, nil
		}
	}
	tr, ok := r.cache[k]
	if !ok {
		var err error
		tr, err = glamour.NewTermRenderer(glamour.WithStyles(styleConfig(style)), glamour.WithWordWrap(k.width))
		if err != nil {
			return "", fmt.Errorf("markdown renderer: %w", err)
		}
		r.cache[k] = tr
	}
	lifted, code, spans := liftCode(labelBareFences(md), k.width)
	out, err := tr.Render(lifted)
	if err != nil {
		return "", fmt.Errorf("render markdown: %w", err)
	}
	out = putBackCode(strings.Trim(out, "\n"), code, styleConfig(style), style)
	out = putBackSpans(out, spans, k.width)
	if style == Plain || style == Reader {
		// Plain text goes to pipes and screen readers: escapes (glamour
		// makes every link an OSC 8 hyperlink) and the padding glamour
		// adds to fill the width are noise there.
		out = trimLines(ansi.Strip(out))
	}
	out += "\n"
	if len(r.memo) == memoSize {
		r.memo = append(r.memo[:0], r.memo[1:]...)
	}
	r.memo = append(r.memo, rendering{k, md, out})
	return out, nil
}

func trimLines(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " ")
	}
	return strings.Join(lines, "\n")
}
