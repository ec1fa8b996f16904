package tutor

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/dockertutor/dockertutor/exercises/check"
	"github.com/dockertutor/dockertutor/exercises/daemon"
	"github.com/dockertutor/dockertutor/exercises/daemon/fakedaemon"
	"github.com/dockertutor/dockertutor/exercises/progress"
	"github.com/dockertutor/dockertutor/lessons"
)

// openOn opens a session on a fake daemon.
func openOn(t *testing.T, c *lessons.Course, d *fakedaemon.Daemon) *Session {
	t.Helper()
	s, err := Open(Options{Course: c, WorkspaceRoot: t.TempDir(), StateDir: t.TempDir(),
		Connect: func(context.Context) (daemon.Client, error) { return d, nil }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// The session checks what the daemon it connected to holds, and records
// nothing when that daemon goes away.
func TestCheckOnTheFakeDaemon(t *testing.T) {
	c := fixture(t)
	d := fakedaemon.New()
	s := openOn(t, c, d)
	st, _ := c.Step("runit")
	if _, _, err := s.Enter(st); err != nil {
		t.Fatal(err)
	}
	if imgs := s.StepImages(st, s.Values(st, progress.Progress{})); !slices.Equal(imgs, []string{"dttest-tutor/app"}) {
		t.Fatalf("step images %q", imgs)
	}

	v, err := s.Check(context.Background(), st)
	if err != nil || v.Passed || v.Results[0].Outcome != check.Fail || v.Results[0].Message != "There is no image dttest-tutor/app yet: build it first." {
		t.Fatalf("no image: %+v, %v", v, err)
	}
	p, _ := s.Progress()
	d.AddImage(fakedaemon.Image{Tags: []string{"dttest-tutor/app:latest"}})
	d.AddContainer(fakedaemon.Container{Name: "dockertutor-tutortest-runit", Image: "dttest-tutor/app:latest", Created: time.Now(),
		Env: []string{"APP_TOKEN=" + p.Secret}, Stdout: "token received\n"})
	if v, err := s.Check(context.Background(), st); err != nil || !v.Passed {
		t.Fatalf("after the run: %+v, %v", v, err)
	}
	if p, _ := s.Progress(); p.StatusOf(st.ID) != progress.Passed {
		t.Fatalf("status %v after a pass", p.StatusOf(st.ID))
	}

	d.Stop()
	v, err = s.Check(context.Background(), st)
	if err != nil || !v.Unreachable() || v.Passed {
		t.Fatalf("daemon gone: %+v, %v", v, err)
	}
	if p, _ := s.Progress(); p.StatusOf(st.ID) != progress.Passed {
		t.Fatalf("an unreachable daemon changed the recorded status to %v", p.StatusOf(st.ID))
	}
	if st := s.DockerStatus(context.Background()); st.Reachable {
		t.Fatalf("status %+v of a stopped daemon", st)
	}
}
