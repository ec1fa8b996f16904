// Package pullview shows image pulls in a terminal: one progress bar per
// image, replaced by the image's result line when it is done. The pulls
// themselves run in the caller's work function; Ctrl+C cancels its
// context and the view waits for it to return, so what it says at the end
// is what was done.
package pullview

import (
	"context"
	"fmt"
	"io"
	"strings"

	"charm.land/bubbles/v2/progress"
	tea "charm.land/bubbletea/v2"
)

// Progress is one image's pull so far.
type Progress struct {
	Ref string
	// Phase is a word for where the pull is ("downloading", …).
	Phase string
	// Done and Total are bytes; Total 0 when not known yet.
	Done, Total int64
	// Fraction is the bar's fill, 0 to 1.
	Fraction float64
}

// Reporter is how the work tells the view what happens. Its methods may
// be called from any goroutine.
type Reporter interface {
	// Progress moves an image's bar.
	Progress(p Progress)
	// Finished replaces an image's bar by its result line.
	Finished(ref, line string)
}

// Run shows a bar for each of refs while work runs, and returns work's
// error. Ctrl+C cancels work's context; the view stays until work
// returns.
func Run(ctx context.Context, in io.Reader, out io.Writer, width int, refs []string, work func(ctx context.Context, r Reporter) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	m := newModel(refs, width, cancel)
	p := tea.NewProgram(m, tea.WithInput(in), tea.WithOutput(out), tea.WithoutSignalHandler())
	workErr := make(chan error, 1)
	go func() {
		workErr <- work(ctx, reporter{p})
		p.Send(workDone{})
	}()
	if _, err := p.Run(); err != nil {
		cancel()
		<-workErr // nothing is left running behind the caller's back
		return fmt.Errorf("progress view: %w", err)
	}
	return <-workErr
}

type reporter struct{ p *tea.Program }

func (r reporter) Progress(p Progress)       { r.p.Send(p) }
func (r reporter) Finished(ref, line string) { r.p.Send(finished{ref: ref, line: line}) }

type finished struct{ ref, line string }

type workDone struct{}

type row struct {
	ref  string
	last Progress
	line string // set once finished
}

type model struct {
	rows        []*row
	bar         progress.Model
	width       int
	cancel      context.CancelFunc
	interrupted bool
}

func newModel(refs []string, width int, cancel context.CancelFunc) *model {
	m := &model{width: max(40, width), cancel: cancel}
	for _, r := range refs {
		m.rows = append(m.rows, &row{ref: r})
	}
	m.bar = progress.New(progress.WithDefaultBlend(), progress.WithWidth(min(40, m.width/3)))
	return m
}

func (m *model) Init() tea.Cmd { return nil }

func (m *model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case Progress:
		if r := m.row(msg.Ref); r != nil {
			r.last = msg
		}
	case finished:
		if r := m.row(msg.ref); r != nil {
			r.line = msg.line
		}
	case workDone:
		m.interrupted = false // the rows say what the interruption left
		return m, tea.Quit
	case tea.WindowSizeMsg:
		m.width = max(40, msg.Width)
		m.bar.SetWidth(min(40, m.width/3))
	case tea.KeyPressMsg:
		if s := msg.String(); s == "ctrl+c" || s == "q" || s == "esc" {
			m.interrupted = true
			m.cancel()
		}
	}
	return m, nil
}

func (m *model) row(ref string) *row {
	for _, r := range m.rows {
		if r.ref == ref {
			return r
		}
	}
	return nil
}

func (m *model) View() tea.View {
	var b strings.Builder
	refWidth := 0
	for _, r := range m.rows {
		refWidth = max(refWidth, len(r.ref))
	}
	refWidth = min(refWidth, m.width/3)
	for _, r := range m.rows {
		switch {
		case r.line != "":
			b.WriteString(r.line)
		case r.last.Phase == "":
			fmt.Fprintf(&b, "%-*s  waiting", refWidth, cut(r.ref, refWidth))
		default:
			fmt.Fprintf(&b, "%-*s  %s  %s", refWidth, cut(r.ref, refWidth), m.bar.ViewAs(r.last.Fraction), figures(r.last))
		}
		b.WriteString("\n")
	}
	if m.interrupted {
		b.WriteString("Interrupting: the pull stops, nothing is tagged half way…\n")
	}
	return tea.NewView(b.String())
}

// figures are the phase and the bytes so far ("downloading 3.1/16.8 MB").
func figures(p Progress) string {
	if p.Total == 0 {
		return p.Phase
	}
	return fmt.Sprintf("%s %s/%s", p.Phase, megabytes(p.Done), megabytes(p.Total)+" MB")
}

func megabytes(n int64) string { return fmt.Sprintf("%.1f", float64(n)/1e6) }

// cut shortens a name to width runes, keeping its end (the tag).
func cut(s string, width int) string {
	r := []rune(s)
	if len(r) <= width || width < 2 {
		return s
	}
	return "…" + string(r[len(r)-width+1:])
}
