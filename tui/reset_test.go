package tui

import (
	"slices"
	"strings"
	"testing"

	"github.com/dockertutor/dockertutor/exercises/daemon/fakedaemon"
	"github.com/dockertutor/dockertutor/tui/internal/fixture"
)

// Before asking to reset, the screen says what goes from Docker: the
// step's image the learner built by hand and their container of it. When
// someone else's container keeps the image, it says so and asks nothing.
func TestResetSaysWhatGoesFromDocker(t *testing.T) {
	b := fixture.Session(t)
	fixture.ReturningTo(t, b, "fix")
	st, _ := b.Course.Step("fix")
	p, _ := b.Progress()
	images := b.StepImages(st, b.Values(st, p))
	if len(images) == 0 {
		t.Fatal("the step names no image: the test proves nothing")
	}
	app := images[0]
	mine := b.Namespace().String() + "-app"
	b.Daemon.AddImage(fakedaemon.Image{Tags: []string{app + ":latest"}})
	b.Daemon.AddContainer(fakedaemon.Container{Name: mine, Image: app + ":latest"})
	h := newHarness(t, b, 80, 24)

	h.press("x")
	contains(t, h.plainScreen(), "Reset step "+st.Number+"?", "y yes", "n no")
	contains(t, h.m.flash.text, "Reset also removes container "+mine+", image "+app)
	h.press("y")
	if !slices.Contains(b.Calls(), "ResetStep fix") {
		t.Fatalf("no reset: %v", b.Calls())
	}
	if b.Daemon.Image(app) != nil || len(b.Daemon.Containers()) != 0 {
		t.Fatalf("after the reset: image %v, containers %+v", b.Daemon.Image(app), b.Daemon.Containers())
	}

	b.Daemon.AddImage(fakedaemon.Image{Tags: []string{app + ":latest"}})
	b.Daemon.AddContainer(fakedaemon.Container{Name: "someone-0b0b0b-web", Image: app + ":latest", Running: true})
	h.press("x")
	if h.m.prompt.kind != promptNone {
		t.Fatalf("a reset that cannot be done asks %q", h.m.prompt.question)
	}
	contains(t, h.m.flash.text, "Cannot reset step "+st.Number, "someone-0b0b0b-web")
	if strings.Count(strings.Join(b.Calls(), "\n"), "ResetStep fix") != 1 || b.Daemon.Image(app) == nil {
		t.Fatalf("reset went ahead: %v", b.Calls())
	}
}
