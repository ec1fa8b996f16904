package tui

import (
	"context"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/dockertutor/dockertutor/exercises/check"
	"github.com/dockertutor/dockertutor/exercises/progress"
	"github.com/dockertutor/dockertutor/exercises/tutor"
	"github.com/dockertutor/dockertutor/lessons"
	"github.com/dockertutor/dockertutor/tui/internal/fake"
	"github.com/dockertutor/dockertutor/tui/markdown"
)

var _ Backend = (*fake.Backend)(nil)

// testCourse loads the fixture pack with the real loader.
func testCourse(t testing.TB) *lessons.Course {
	t.Helper()
	c, ps := lessons.FromDir("testdata/course")
	if len(ps) > 0 {
		t.Fatalf("fixture course: %v", ps)
	}
	return c
}

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
	b      *fake.Backend
	msgs   chan tea.Msg
	quit   bool
	cancel context.CancelFunc
}

func newHarness(t testing.TB, b *fake.Backend, w, h int) *harness {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	hs := &harness{t: t, b: b, msgs: make(chan tea.Msg, 1024), cancel: cancel}
	hs.m = newModel(ctx, b, b.Course, testConfig())
	hs.exec(hs.m.Init())
	hs.send(tea.WindowSizeMsg{Width: w, Height: h})
	return hs
}

func (h *harness) exec(cmd tea.Cmd) {
	if cmd == nil {
		return
	}
	go func() {
		if msg := cmd(); msg != nil {
			h.msgs <- msg
		}
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

// settle processes messages until cond holds and nothing more arrives for
// a moment, or fails the test after a few seconds.
func (h *harness) settle(cond func(Model) bool) {
	h.t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		quiet := time.After(30 * time.Millisecond)
		select {
		case msg := <-h.msgs:
			h.update(msg)
			continue
		case <-quiet:
			if cond(h.m) {
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

// scripted is a fake session with build output and verdicts for the
// fixture's exercises.
func scripted(t testing.TB) *fake.Backend {
	b := fake.New(testCourse(t))
	b.Events["leak-build"] = []tutor.Event{
		{Kind: tutor.EventStep, Text: "[1/2] FROM alpine:3.22"},
		{Kind: tutor.EventStep, Text: "[2/2] RUN echo \"token has ${#BUILD_REPO_SECRET} characters\""},
		{Kind: tutor.EventOutput, Text: "token has 13 characters"},
		{Kind: tutor.EventWarning, Text: "SecretsUsedInArgOrEnv: Do not use ARG or ENV instructions for sensitive data (ARG \"BUILD_REPO_SECRET\")"},
	}
	b.Verdicts["leak-build"] = check.Verdict{Step: "leak-build", Passed: true, Results: []check.Result{
		{ID: "built", Type: "image.exists", Outcome: check.Pass, Message: "The image dockertutor/buildargtest exists.",
			Evidence: []check.Evidence{{Where: "image", Detail: "dockertutor/buildargtest:latest, built 2 seconds ago"}}},
		{ID: "leaked", Type: "leak.found", Outcome: check.Pass, Message: "Your secret is in the image, as expected: anyone who pulls it can read it.",
			Evidence: []check.Evidence{{Where: "history entry 3", Detail: "RUN |1 BUILD_REPO_SECRET=canary-5f3a9c /bin/sh -c echo \"token has ${#BUILD_REPO_SECRET} characters\""}}},
	}}
	b.Verdicts["fix"] = check.Verdict{Step: "fix", Passed: false, Results: []check.Result{
		{ID: "stages", Type: "dockerfile.stages", Outcome: check.Fail, Message: "The Dockerfile has 1 stage; it needs at least 2.",
			Evidence: []check.Evidence{{Where: "Dockerfile:1", Detail: "FROM alpine:3.22"}}},
		{ID: "clean", Type: "leak.absent", Outcome: check.Fail, Message: "Your secret is still in the image.",
			Evidence: []check.Evidence{{Where: "history entry 2", Detail: "RUN |1 BUILD_REPO_SECRET=canary-5f3a9c /bin/sh -c echo …"}}},
	}}
	b.Solutions["fix"] = map[string]string{"Dockerfile": "FROM alpine:3.22 AS build\nARG BUILD_REPO_SECRET\nRUN echo build > /artifact\n\nFROM alpine:3.22\nCOPY --from=build /artifact /artifact\n"}
	b.Solutions["leak-build"] = map[string]string{"Dockerfile": "FROM alpine:3.22\nARG BUILD_REPO_SECRET\n"}
	return b
}

// returning makes the fake a learner who stopped at a step.
func returning(b *fake.Backend, at string) {
	b.SetProgress(func(p *progress.Progress) {
		p.Current = at
		p.Begin(at, time.Date(2026, 3, 14, 15, 0, 0, 0, time.UTC))
	})
}

func contains(t testing.TB, screen string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(screen, w) {
			t.Errorf("screen lacks %q:\n%s", w, screen)
		}
	}
}
