package tui

import (
	"fmt"
	"image/color"
	"os"
	"path/filepath"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/golden"

	"github.com/dockertutor/dockertutor/exercises/progress"
	"github.com/dockertutor/dockertutor/tui/internal/fake"
	"github.com/dockertutor/dockertutor/tui/internal/fixture"
)

// The main screens, drawn at the smallest supported size and a common
// larger one, on dark and light backgrounds. Update with
// `go test ./tui -run TestGolden -update` and look at the result with
// `cat tui/testdata/TestGolden/.../*.golden`.

type screenCase struct {
	name  string
	setup func(t *testing.T, b *fake.Session)
	keys  func(h *harness)
}

var goldenScreens = []screenCase{
	{name: "welcome"},
	{
		name:  "exercise-after-run",
		setup: func(t *testing.T, b *fake.Session) { fixture.ReturningTo(t, b, "leak-build") },
		keys:  func(h *harness) { h.press("r") },
	},
	{
		name:  "exercise-failing-with-hint",
		setup: func(t *testing.T, b *fake.Session) { fixture.ReturningTo(t, b, "fix") },
		keys:  func(h *harness) { h.press("h", "c") },
	},
	{
		name:  "quiz-answering",
		setup: func(t *testing.T, b *fake.Session) { fixture.ReturningTo(t, b, "pick") },
		keys: func(h *harness) {
			h.press("a")
			h.typeText("b")
		},
	},
	{
		name:  "solution",
		setup: func(t *testing.T, b *fake.Session) { fixture.ReturningTo(t, b, "fix") },
		keys:  func(h *harness) { h.press("s", "y") },
	},
	{
		name: "docker-unreachable",
		setup: func(t *testing.T, b *fake.Session) {
			fixture.ReturningTo(t, b, "leak-build")
			b.Daemon.Stop()
		},
		keys: func(h *harness) { h.press("c") },
	},
	{
		name: "summary",
		setup: func(t *testing.T, b *fake.Session) {
			fixture.ReturningTo(t, b, "fix")
			b.SetProgress(t, func(p *progress.Progress) {
				for _, id := range []string{"intro", "pick", "leak-build"} {
					p.Record(id, true, p.Created)
				}
				p.Step("pick").HintsUsed = 1
			})
		},
		keys: func(h *harness) { h.press("n") },
	},
	{
		// Two stages, but the final one still takes the secret: the check
		// that passed (stages, first in the step) comes after the one that
		// failed.
		name:  "failing-first",
		setup: func(t *testing.T, b *fake.Session) { fixture.ReturningTo(t, b, "fix") },
		keys: func(h *harness) {
			dockerfile := filepath.Join(h.m.info.Values.Workdir, "Dockerfile")
			leaky := "FROM alpine:3.22 AS build\nRUN echo build\nFROM alpine:3.22\nARG BUILD_REPO_SECRET\nRUN echo \"token has ${#BUILD_REPO_SECRET} characters\"\n"
			if err := os.WriteFile(dockerfile, []byte(leaky), 0o644); err != nil {
				h.t.Fatal(err)
			}
			h.press("r")
		},
	},
	{
		// A long error is shown in full above the status line, not cut.
		name:  "long-error",
		setup: func(t *testing.T, b *fake.Session) { fixture.ReturningTo(t, b, "leak-build") },
		keys: func(h *harness) {
			h.exec(h.m.setFlash(longResetError, flashError))
			h.settle(settled)
		},
	},
	{
		// The command the action stands for is never wrapped: the output
		// pane shows its start and arrows that say it scrolls sideways.
		name:  "output-command",
		setup: func(t *testing.T, b *fake.Session) { fixture.ReturningTo(t, b, "leak-build") },
		keys: func(h *harness) {
			for h.m.focus != paneOutput {
				h.press("tab")
			}
		},
	},
	{
		name:  "all-keys",
		setup: func(t *testing.T, b *fake.Session) { fixture.ReturningTo(t, b, "leak-build") },
		keys:  func(h *harness) { h.press("?") },
	},
	{
		name:  "search",
		setup: func(t *testing.T, b *fake.Session) { fixture.ReturningTo(t, b, "intro") },
		keys: func(h *harness) {
			h.press("/")
			h.typeText("leak")
		},
	},
}

// longResetError is what a reset that hits a running container says.
const longResetError = "reset step 2.1: remove container dockertutor-leak-build: Error response from daemon: " +
	"You cannot remove a running container 4f1c0a9b2e7d3c5a6b8e9f0a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b0c. " +
	"Stop the container before attempting removal or force remove"

func TestGolden(t *testing.T) {
	for _, sc := range goldenScreens {
		for _, size := range [][2]int{{80, 24}, {120, 40}} {
			for _, theme := range []struct {
				name string
				bg   color.Color
			}{{"dark", color.Black}, {"light", color.White}} {
				t.Run(fmt.Sprintf("%s/%dx%d/%s", sc.name, size[0], size[1], theme.name), func(t *testing.T) {
					b, shown := goldenSession(t)
					if sc.setup != nil {
						sc.setup(t, b)
					}
					h := newHarness(t, b, size[0], size[1])
					h.send(tea.BackgroundColorMsg{Color: theme.bg})
					if sc.keys != nil {
						sc.keys(h)
					}
					screen := shown(h.screen())
					requireSize(t, screen, size[0], size[1])
					golden.RequireEqual(t, screen)
				})
			}
		}
	}
}

func TestGoldenTooSmall(t *testing.T) {
	b, shown := goldenSession(t)
	h := newHarness(t, b, 60, 20)
	screen := shown(h.screen())
	requireSize(t, screen, 60, 20)
	golden.RequireEqual(t, screen)
}

// The folders a golden screen shows, whatever machine draws it.
const (
	shownRoot  = "/home/learner/dockertutor"
	shownState = "/home/learner/.local/state/dockertutor"
)

// goldenSession is a session whose screens read the same on every machine
// and run: its workspace and state folders are real folders with paths
// exactly as long as the shown ones, so text wraps where it would at the
// shown paths, and shown replaces them in a drawn screen. The daemon's
// address is fixed too, as DOCKER_HOST is what the session resolves.
func goldenSession(t *testing.T) (*fake.Session, func(screen string) string) {
	t.Helper()
	t.Setenv("DOCKER_HOST", "unix:///var/run/docker.sock")
	t.Setenv("DOCKER_CONFIG", t.TempDir())
	base := os.TempDir()
	if fi, err := os.Stat("/tmp"); err == nil && fi.IsDir() {
		base = "/tmp" // short on every Unix, where TMPDIR may not be
	}
	dir, err := os.MkdirTemp(base, "dt")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	sameLength := func(shown, fill string) string {
		n := len(shown) - len(dir) - 1
		if n < 1 {
			t.Fatalf("the temporary folder %s is too long to stand for %s", dir, shown)
		}
		return filepath.Join(dir, strings.Repeat(fill, n))
	}
	root, state := sameLength(shownRoot, "w"), sameLength(shownState, "s")
	b := fake.OpenIn(t, fixture.Course(t), root, state)
	return b, func(screen string) string {
		screen = strings.ReplaceAll(screen, root, shownRoot)
		screen = strings.ReplaceAll(screen, state, shownState)
		if strings.Contains(screen, dir) || strings.Contains(screen, filepath.Base(dir)) {
			t.Fatalf("the screen shows the temporary folder %s where its wrapping split it:\n%s", dir, screen)
		}
		return screen
	}
}

// requireSize fails unless the screen is exactly w×h cells: a line too
// long would wrap and shift everything below it.
func requireSize(t *testing.T, screen string, w, h int) {
	t.Helper()
	lines := strings.Split(screen, "\n")
	if len(lines) != h {
		t.Fatalf("%d lines, want %d", len(lines), h)
	}
	for i, l := range lines {
		if got := ansi.StringWidth(l); got != w {
			t.Fatalf("line %d is %d cells wide, want %d: %q", i+1, got, w, ansi.Strip(l))
		}
	}
}
