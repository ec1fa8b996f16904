package tui

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/dockertutor/dockertutor/lessons"
	"github.com/dockertutor/dockertutor/tui/internal/fake"
	"github.com/dockertutor/dockertutor/tui/markdown"
)

var _ Backend = (*fake.Session)(nil)

// testConfig turns every timer off and keeps the spinner still, so a test
// sees exactly the messages its keys cause.
func testConfig() config {
	return config{
		getenv:   func(string) string { return "" },
		now:      func() time.Time { return time.Date(2026, 3, 14, 15, 9, 26, 0, time.UTC) },
		renderer: markdown.New(),
	}
}

// harness drives the model the way the program does: it runs the commands
// Update returns, each in its own goroutine, and feeds their messages back.
// Commands that wait (a watcher, a held build) stay pending and deliver
// when they can.
type harness struct {
	t      testing.TB
	m      Model
	b      *fake.Session
	msgs   chan tea.Msg
	quit   bool
	cancel context.CancelFunc
	// patience is how long settle waits, 5 s unless set: a real daemon
	// on a loaded machine builds slower.
	patience time.Duration
	// clipboard is the text the model last asked the terminal to put on
	// the clipboard (bubbletea turns that message into OSC 52).
	clipboard string

	mu      sync.Mutex
	running map[int]time.Time // commands not returned yet, by when they started
	nextCmd int
}

// busyFor is how long a command may run before settle takes it for one
// that waits (a watcher, a held build) rather than one about to answer:
// the session's commands touch the disk, which on a loaded machine takes
// longer than a quiet moment.
const busyFor = 250 * time.Millisecond

// busy reports whether a command that started recently is still running.
func (h *harness) busy() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, started := range h.running {
		if time.Since(started) < busyFor {
			return true
		}
	}
	return false
}

func newHarness(t testing.TB, b *fake.Session, w, h int) *harness {
	t.Helper()
	hs := newHarnessOn(t, b, b.Course, w, h)
	hs.b = b
	return hs
}

// newHarnessOn drives the model on any session, a real one on a real
// daemon too (then b is nil).
func newHarnessOn(t testing.TB, b Backend, course *lessons.Course, w, h int) *harness {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	hs := &harness{t: t, msgs: make(chan tea.Msg, 1024), cancel: cancel}
	hs.m = newModel(ctx, b, course, testConfig())
	hs.exec(hs.m.Init())
	hs.send(tea.WindowSizeMsg{Width: w, Height: h})
	return hs
}

func (h *harness) exec(cmd tea.Cmd) {
	if cmd == nil {
		return
	}
	h.mu.Lock()
	if h.running == nil {
		h.running = map[int]time.Time{}
	}
	h.nextCmd++
	id := h.nextCmd
	h.running[id] = time.Now()
	h.mu.Unlock()
	go func() {
		msg := cmd()
		if msg != nil {
			h.msgs <- msg
		}
		h.mu.Lock()
		delete(h.running, id)
		h.mu.Unlock()
	}()
}

func (h *harness) update(msg tea.Msg) {
	switch msg := msg.(type) {
	case tea.BatchMsg:
		for _, c := range msg {
			h.exec(c)
		}
		return
	case tea.QuitMsg:
		h.quit = true
		return
	}
	if fmt.Sprintf("%T", msg) == "tea.setClipboardMsg" {
		h.clipboard = fmt.Sprint(msg)
	}
	m, cmd := h.m.Update(msg)
	h.m = m.(Model)
	h.exec(cmd)
}

// send delivers a message and waits until the model has settled.
func (h *harness) send(msg tea.Msg) {
	h.t.Helper()
	h.update(msg)
	h.settle(settled)
}

// press sends key presses: "n", "enter", "esc", "ctrl+c", or text.
func (h *harness) press(keys ...string) {
	h.t.Helper()
	for _, k := range keys {
		h.send(keyPress(k))
	}
}

// typeText sends each rune of s as a key press.
func (h *harness) typeText(s string) {
	h.t.Helper()
	for _, r := range s {
		h.send(tea.KeyPressMsg{Code: r, Text: string(r)})
	}
}

// settle processes messages until cond holds, nothing more arrives for a
// moment and no command that just started is still running, or fails the
// test after a few seconds.
func (h *harness) settle(cond func(Model) bool) {
	h.t.Helper()
	patience := h.patience
	if patience == 0 {
		patience = 5 * time.Second
	}
	deadline := time.After(patience)
	for {
		quiet := time.After(30 * time.Millisecond)
		select {
		case msg := <-h.msgs:
			h.update(msg)
			continue
		case <-quiet:
			if cond(h.m) && !h.busy() {
				return
			}
		case <-deadline:
			h.t.Fatalf("the model did not settle; screen:\n%s", h.plainScreen())
		}
	}
}

// settled is the usual wait: the progress is loaded, the daemon's state
// known, the text rendered, no check and no action running.
func settled(m Model) bool {
	loaded := m.page != pageLoading || m.loadErr != nil
	return loaded && m.dockerKnown && (m.width == 0 || m.lay.TooSmall || m.text.ready()) && !m.checking.active && !m.job.active
}

func (h *harness) screen() string { return h.m.View().Content }

func (h *harness) plainScreen() string { return ansi.Strip(h.screen()) }

func keyPress(k string) tea.KeyPressMsg {
	switch k {
	case "enter":
		return tea.KeyPressMsg{Code: tea.KeyEnter}
	case "esc":
		return tea.KeyPressMsg{Code: tea.KeyEscape}
	case "tab":
		return tea.KeyPressMsg{Code: tea.KeyTab}
	case "shift+tab":
		return tea.KeyPressMsg{Code: tea.KeyTab, Mod: tea.ModShift}
	case "up":
		return tea.KeyPressMsg{Code: tea.KeyUp}
	case "down":
		return tea.KeyPressMsg{Code: tea.KeyDown}
	case "pgdown":
		return tea.KeyPressMsg{Code: tea.KeyPgDown}
	case "pgup":
		return tea.KeyPressMsg{Code: tea.KeyPgUp}
	case "ctrl+c":
		return tea.KeyPressMsg{Code: 'c', Mod: tea.ModCtrl}
	}
	r := []rune(k)
	return tea.KeyPressMsg{Code: r[0], Text: k}
}

func contains(t testing.TB, screen string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(screen, w) {
			t.Errorf("screen lacks %q:\n%s", w, screen)
		}
	}
}
