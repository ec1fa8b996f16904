package tui

import (
	"fmt"
	"image/color"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/golden"

	"github.com/dockertutor/dockertutor/exercises/progress"
	"github.com/dockertutor/dockertutor/exercises/tutor"
	"github.com/dockertutor/dockertutor/tui/internal/fake"
	"github.com/dockertutor/dockertutor/tui/internal/fixture"
)

// The main screens, drawn at the smallest supported size and a common
// larger one, on dark and light backgrounds. Update with
// `go test ./tui -run TestGolden -update` and look at the result with
// `cat tui/testdata/TestGolden/.../*.golden`.

type screenCase struct {
	name  string
	setup func(b *fake.Backend)
	keys  func(h *harness)
}

var goldenScreens = []screenCase{
	{name: "welcome"},
	{
		name:  "exercise-after-run",
		setup: func(b *fake.Backend) { fixture.Returning(b, "leak-build") },
		keys:  func(h *harness) { h.press("r") },
	},
	{
		name:  "exercise-failing-with-hint",
		setup: func(b *fake.Backend) { fixture.Returning(b, "fix") },
		keys:  func(h *harness) { h.press("h", "c") },
	},
	{
		name:  "quiz-answering",
		setup: func(b *fake.Backend) { fixture.Returning(b, "pick") },
		keys: func(h *harness) {
			h.press("a")
			h.typeText("b")
		},
	},
	{
		name:  "solution",
		setup: func(b *fake.Backend) { fixture.Returning(b, "fix") },
		keys:  func(h *harness) { h.press("s", "y") },
	},
	{
		name: "docker-unreachable",
		setup: func(b *fake.Backend) {
			fixture.Returning(b, "leak-build")
			b.SetDocker(tutor.DockerStatus{Endpoint: "unix:///var/run/docker.sock", Source: "default",
				Problem: "Nothing listens on /var/run/docker.sock: the Docker daemon is not running.",
				Fix:     "Start it: sudo systemctl start docker"})
		},
		keys: func(h *harness) { h.press("c") },
	},
	{
		name: "summary",
		setup: func(b *fake.Backend) {
			fixture.Returning(b, "fix")
			b.SetProgress(func(p *progress.Progress) {
				for _, id := range []string{"intro", "pick", "leak-build"} {
					p.Record(id, true, p.Created)
				}
				p.Step("pick").HintsUsed = 1
			})
		},
		keys: func(h *harness) { h.press("n") },
	},
	{
		name:  "all-keys",
		setup: func(b *fake.Backend) { fixture.Returning(b, "leak-build") },
		keys:  func(h *harness) { h.press("?") },
	},
	{
		name:  "search",
		setup: func(b *fake.Backend) { fixture.Returning(b, "intro") },
		keys: func(h *harness) {
			h.press("/")
			h.typeText("leak")
		},
	},
}

func TestGolden(t *testing.T) {
	for _, sc := range goldenScreens {
		for _, size := range [][2]int{{80, 24}, {120, 40}} {
			for _, theme := range []struct {
				name string
				bg   color.Color
			}{{"dark", color.Black}, {"light", color.White}} {
				t.Run(fmt.Sprintf("%s/%dx%d/%s", sc.name, size[0], size[1], theme.name), func(t *testing.T) {
					b := fixture.Scripted(t)
					if sc.setup != nil {
						sc.setup(b)
					}
					h := newHarness(t, b, size[0], size[1])
					h.send(tea.BackgroundColorMsg{Color: theme.bg})
					if sc.keys != nil {
						sc.keys(h)
					}
					screen := h.screen()
					requireSize(t, screen, size[0], size[1])
					golden.RequireEqual(t, screen)
				})
			}
		}
	}
}

func TestGoldenTooSmall(t *testing.T) {
	h := newHarness(t, fixture.Scripted(t), 60, 20)
	screen := h.screen()
	requireSize(t, screen, 60, 20)
	golden.RequireEqual(t, screen)
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
