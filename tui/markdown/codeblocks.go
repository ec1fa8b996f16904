package markdown

import (
	"regexp"
	"strconv"
	"strings"
	"sync"

	gansi "charm.land/glamour/v2/ansi"
	"github.com/alecthomas/chroma/v2"
	"github.com/alecthomas/chroma/v2/formatters"
	"github.com/alecthomas/chroma/v2/lexers"
	"github.com/charmbracelet/x/ansi"
	"github.com/dockertutor/dockertutor/lessons"
)

// A learner pastes the commands of a step as they are, so a code block is
// never wrapped. glamour wraps the whole document, code included, so the
// code is lifted out before glamour sees it (each block keeps its fence,
// with one marker line for a body) and put back, line for line and
// coloured the way glamour colours code, in place of the marker. Prose
// still wraps; a pane shows code wider than itself by scrolling sideways.

// codeBlock is the body of one fenced code block.
type codeBlock struct {
	lang  string
	lines []string
}

// codeMarker is the body that stands for block i while glamour renders:
// one short word that nothing wraps or splits.
func codeMarker(i int) string { return "dtcode" + strconv.Itoa(i) + "z" }

var codeMarkerPattern = regexp.MustCompile(`dtcode([0-9]+)z`)

// spanMarker stands for inline code span i while glamour renders: one
// word, which glamour styles as code. It is padded to the span's width
// when the span fits a line, so that glamour wraps the prose around it as
// it will be shown; a span wider than a line gets the bare marker, and
// breakAroundCommands gives it a line of its own.
func spanMarker(i int, span string, width int) string {
	m := "dtspan" + strconv.Itoa(i) + "z"
	if w := ansi.StringWidth(span); w > len(m) && w <= width-spanMargin {
		m += strings.Repeat("q", w-len(m))
	}
	return m
}

// spanMarkerPattern matches a span marker with its padding.
var spanMarkerPattern = regexp.MustCompile(`dtspan([0-9]+)zq*`)

// spanMargin is what glamour's margins and a code span's padding may take
// of a line.
const spanMargin = 6

// codeSpan is an inline code span, its backticks paired from the left.
var codeSpan = regexp.MustCompile("`[^`]*`")

// breakable is the characters glamour breaks a line at: a span with one
// of them (a command in prose, "run `docker history --no-trunc app`", or
// a path) is lifted out so that it stays whole.
const breakable = " ,.;+|-/"

// inlineLink is a markdown link to a web address: [text](url).
var inlineLink = regexp.MustCompile(`\[([^\]]+)\]\((https?://[^)\s]+)\)`)

// webAddress is a web address in prose.
var webAddress = regexp.MustCompile(`https?://[^\s<>()\x60]+`)

// liftCode replaces the body of every fenced code block of md with its
// marker and returns the bodies; outside the blocks, it replaces each
// inline code span glamour would break with its marker and returns the
// spans. A body loses up to the indentation of its opening fence, as
// CommonMark reads it.
func liftCode(md string, width int) (string, []codeBlock, []string) {
	if !strings.Contains(md, "`") && !strings.Contains(md, "~~~") && !strings.Contains(md, "://") {
		return md, nil, nil
	}
	var spans []string
	liftSpans := func(line string) string {
		if strings.Contains(line, "``") {
			return line // double-backtick spans: left to glamour
		}
		// Spans pair their backticks from the left: a pattern over the
		// whole line would also take the prose between two spans
		// ("`r`) and look: `") for one.
		line = codeSpan.ReplaceAllStringFunc(line, func(span string) string {
			body := span[1 : len(span)-1]
			if !strings.ContainsAny(body, breakable) {
				return span
			}
			spans = append(spans, body)
			return "`" + spanMarker(len(spans)-1, body, width) + "`"
		})
		// A link reads "text (url)" everywhere, and a web address is never
		// broken either: a learner copies it whole.
		line = inlineLink.ReplaceAllString(line, "$1 ($2)")
		return webAddress.ReplaceAllStringFunc(line, func(url string) string {
			trimmed := strings.TrimRight(url, ".,;:!?")
			spans = append(spans, trimmed)
			return spanMarker(len(spans)-1, trimmed, width) + url[len(trimmed):]
		})
	}
	var (
		out    strings.Builder
		blocks []codeBlock
		open   bool
		char   byte
		length int
		indent int
	)
	closeBlock := func() {
		out.WriteString(strings.Repeat(" ", indent) + codeMarker(len(blocks)-1) + "\n")
	}
	for _, line := range strings.SplitAfter(md, "\n") {
		body := strings.TrimRight(line, "\r\n")
		trimmed := strings.TrimLeft(body, " \t")
		run := lessons.FenceLength(trimmed)
		if open {
			if run >= length && trimmed[0] == char && strings.TrimSpace(trimmed[run:]) == "" {
				open = false
				closeBlock()
				out.WriteString(line)
				continue
			}
			b := &blocks[len(blocks)-1]
			b.lines = append(b.lines, dedent(body, indent))
			continue
		}
		if run == 0 {
			out.WriteString(liftSpans(line))
			continue
		}
		out.WriteString(line)
		open, char, length, indent = true, trimmed[0], run, len(body)-len(trimmed)
		lang, _, _ := strings.Cut(strings.TrimSpace(trimmed[run:]), " ")
		blocks = append(blocks, codeBlock{lang: lang})
	}
	if open {
		if !strings.HasSuffix(out.String(), "\n") {
			out.WriteString("\n")
		}
		closeBlock()
	}
	return out.String(), blocks, spans
}

// dedent removes up to n leading spaces.
func dedent(s string, n int) string {
	for i := 0; i < n && strings.HasPrefix(s, " "); i++ {
		s = s[1:]
	}
	return s
}

// putBackCode replaces each marker line of glamour's output with its
// block's lines, each after what glamour put before the marker (margins,
// a list's indent).
func putBackCode(rendered string, blocks []codeBlock, cfg gansi.StyleConfig, style Style) string {
	if len(blocks) == 0 {
		return rendered
	}
	lines := strings.Split(rendered, "\n")
	out := make([]string, 0, len(lines))
	for _, line := range lines {
		plain := ansi.Strip(line)
		loc := codeMarkerPattern.FindStringSubmatchIndex(plain)
		if loc == nil {
			out = append(out, line)
			continue
		}
		i, err := strconv.Atoi(plain[loc[2]:loc[3]])
		if err != nil || i >= len(blocks) {
			out = append(out, line)
			continue
		}
		prefix := ansi.Cut(line, 0, ansi.StringWidth(plain[:loc[0]]))
		if strings.Contains(prefix, "\x1b") {
			prefix += "\x1b[0m"
		}
		for _, code := range colourCode(blocks[i], cfg, style) {
			out = append(out, prefix+code)
		}
	}
	return strings.Join(out, "\n")
}

// putBackSpans replaces each span marker of glamour's output with its
// command, inside the code styling glamour gave the marker. A line that
// grows wider than width breaks before and after a command rather than in
// it: a command longer than the line stays whole and overflows, and the
// pane scrolls sideways to it.
func putBackSpans(rendered string, spans []string, width int) string {
	if len(spans) == 0 {
		return rendered
	}
	lines := strings.Split(rendered, "\n")
	out := make([]string, 0, len(lines))
	for _, line := range lines {
		if !strings.Contains(line, "dtspan") {
			out = append(out, line)
			continue
		}
		var commands []string
		line = spanMarkerPattern.ReplaceAllStringFunc(line, func(m string) string {
			i, err := strconv.Atoi(m[len("dtspan"):strings.IndexByte(m, 'z')])
			if err != nil || i >= len(spans) {
				return m
			}
			commands = append(commands, spans[i])
			return spans[i]
		})
		out = append(out, breakAroundCommands(line, commands, width)...)
	}
	return strings.Join(out, "\n")
}

// breakAroundCommands breaks a styled line wider than width at the spaces
// before and after its commands, and nowhere else; the lines after the
// first keep the first's indentation.
func breakAroundCommands(line string, commands []string, width int) []string {
	plain := strings.TrimRight(ansi.Strip(line), " ")
	if ansi.StringWidth(plain) <= width {
		return []string{line}
	}
	indent := len(plain) - len(strings.TrimLeft(plain, " "))
	col := func(byteAt int) int { return ansi.StringWidth(plain[:byteAt]) }
	// The columns where a line may break: the space before a command, the
	// space after it.
	var breaks []int
	from := 0
	for _, c := range commands {
		at := strings.Index(plain[from:], c)
		if at < 0 {
			continue
		}
		start, end := from+at, from+at+len(c)
		if sp := strings.LastIndex(plain[:start], " "); sp >= indent {
			breaks = append(breaks, col(sp))
		}
		if sp := strings.Index(plain[end:], " "); sp >= 0 {
			breaks = append(breaks, col(end+sp))
		}
		from = end
	}
	total := ansi.StringWidth(plain)
	breaks = append(breaks, total)
	var out []string
	lineStart, last := 0, 0
	emit := func(a, b int) {
		if a == 0 {
			out = append(out, ansi.Cut(line, a, b))
			return
		}
		// a is the space the line breaks at: it goes, the indent comes.
		out = append(out, strings.Repeat(" ", indent)+ansi.Cut(line, a+1, b))
	}
	for _, b := range breaks {
		if b-lineStart > width && last > lineStart {
			emit(lineStart, last)
			lineStart = last
		}
		last = b
	}
	emit(lineStart, total)
	return out
}

// colourCode colours a block's lines the way glamour's style colours code,
// each line closing its own escapes; a style without colours for code
// leaves them as they are.
func colourCode(b codeBlock, cfg gansi.StyleConfig, style Style) []string {
	if cfg.CodeBlock.Chroma == nil || len(b.lines) == 0 {
		return b.lines
	}
	lexer := lexers.Get(b.lang)
	if lexer == nil {
		lexer = lexers.Fallback
	}
	it, err := chroma.Coalesce(lexer).Tokenise(nil, strings.Join(b.lines, "\n")+"\n")
	if err != nil {
		return b.lines
	}
	theme := chromaTheme(style, cfg.CodeBlock.Chroma)
	var out []string
	for _, tokens := range chroma.SplitTokensIntoLines(it.Tokens()) {
		var s strings.Builder
		if err := formatters.TTY256.Format(&s, theme, chroma.Literator(tokens...)); err != nil {
			return b.lines
		}
		out = append(out, strings.ReplaceAll(s.String(), "\n", ""))
	}
	if len(out) != len(b.lines) {
		return b.lines // a lexer that dropped or added a line: show the code as written
	}
	return out
}

var (
	themesMu sync.Mutex
	themes   = map[Style]*chroma.Style{}
)

// chromaTheme is the chroma style made of a glamour style's code colours,
// built once per style.
func chromaTheme(style Style, c *gansi.Chroma) *chroma.Style {
	themesMu.Lock()
	defer themesMu.Unlock()
	if t, ok := themes[style]; ok {
		return t
	}
	t, err := chroma.NewStyle("dockertutor-"+string(style), chroma.StyleEntries{
		chroma.Text:                chromaEntry(c.Text),
		chroma.Error:               chromaEntry(c.Error),
		chroma.Comment:             chromaEntry(c.Comment),
		chroma.CommentPreproc:      chromaEntry(c.CommentPreproc),
		chroma.Keyword:             chromaEntry(c.Keyword),
		chroma.KeywordReserved:     chromaEntry(c.KeywordReserved),
		chroma.KeywordNamespace:    chromaEntry(c.KeywordNamespace),
		chroma.KeywordType:         chromaEntry(c.KeywordType),
		chroma.Operator:            chromaEntry(c.Operator),
		chroma.Punctuation:         chromaEntry(c.Punctuation),
		chroma.Name:                chromaEntry(c.Name),
		chroma.NameBuiltin:         chromaEntry(c.NameBuiltin),
		chroma.NameTag:             chromaEntry(c.NameTag),
		chroma.NameAttribute:       chromaEntry(c.NameAttribute),
		chroma.NameClass:           chromaEntry(c.NameClass),
		chroma.NameConstant:        chromaEntry(c.NameConstant),
		chroma.NameDecorator:       chromaEntry(c.NameDecorator),
		chroma.NameException:       chromaEntry(c.NameException),
		chroma.NameFunction:        chromaEntry(c.NameFunction),
		chroma.NameOther:           chromaEntry(c.NameOther),
		chroma.Literal:             chromaEntry(c.Literal),
		chroma.LiteralNumber:       chromaEntry(c.LiteralNumber),
		chroma.LiteralDate:         chromaEntry(c.LiteralDate),
		chroma.LiteralString:       chromaEntry(c.LiteralString),
		chroma.LiteralStringEscape: chromaEntry(c.LiteralStringEscape),
		chroma.GenericDeleted:      chromaEntry(c.GenericDeleted),
		chroma.GenericEmph:         chromaEntry(c.GenericEmph),
		chroma.GenericInserted:     chromaEntry(c.GenericInserted),
		chroma.GenericStrong:       chromaEntry(c.GenericStrong),
		chroma.GenericSubheading:   chromaEntry(c.GenericSubheading),
		chroma.Background:          chromaEntry(c.Background),
	})
	if err != nil {
		// The entries come from glamour's own styles; a bad one means no
		// colour, not a lost command.
		t = chroma.MustNewStyle("dockertutor-plain", chroma.StyleEntries{})
	}
	themes[style] = t
	return t
}

// chromaEntry is glamour's translation of a style primitive into a chroma
// style entry.
func chromaEntry(p gansi.StylePrimitive) string {
	var parts []string
	if p.Color != nil {
		parts = append(parts, *p.Color)
	}
	if p.BackgroundColor != nil {
		parts = append(parts, "bg:"+*p.BackgroundColor)
	}
	for _, f := range []struct {
		on   *bool
		word string
	}{{p.Italic, "italic"}, {p.Bold, "bold"}, {p.Underline, "underline"}} {
		if f.on != nil && *f.on {
			parts = append(parts, f.word)
		}
	}
	return strings.Join(parts, " ")
}
