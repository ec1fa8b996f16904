package tutor

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dockertutor/dockertutor/exercises/check"
	"github.com/dockertutor/dockertutor/exercises/daemon"
	"github.com/dockertutor/dockertutor/exercises/daemon/fakedaemon"
	"github.com/dockertutor/dockertutor/exercises/labels"
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
	app := s.Namespace().Image("dttest-tutor/app")
	if imgs := s.StepImages(st, s.Values(st, progress.Progress{})); !slices.Equal(imgs, []string{app}) || !strings.HasPrefix(app, s.Learner()+"/") {
		t.Fatalf("step images %q, want the learner's (%s)", imgs, s.Learner())
	}

	v, err := s.Check(context.Background(), st)
	if err != nil || v.Passed || v.Results[0].Outcome != check.Fail || v.Results[0].Message != "There is no image "+app+" yet: build it first." {
		t.Fatalf("no image: %+v, %v", v, err)
	}
	p, _ := s.Progress()
	d.AddImage(fakedaemon.Image{Tags: []string{app + ":latest"}})
	d.AddContainer(fakedaemon.Container{Name: "dockertutor-tutortest-runit", Image: app + ":latest", Created: time.Now(),
		Env: []string{"APP_TOKEN=" + p.Secret}, Stdout: "token received\n"})
	if v, err := s.Check(context.Background(), st); err != nil || !v.Passed {
		t.Fatalf("after the run: %+v, %v", v, err)
	}
	if p, _ := s.Progress(); p.StatusOf(st.ID) != progress.Passed {
		t.Fatalf("status %v after a pass", p.StatusOf(st.ID))
	}

	// A newer container without the token: the verdict on screen fails,
	// and so does the step in progress (what list and the outline show),
	// which still knows when it first passed.
	d.AddContainer(fakedaemon.Container{Name: "again", Image: app + ":latest", Created: time.Now().Add(time.Second), Stdout: "no token\n"})
	if v, err := s.Check(context.Background(), st); err != nil || v.Passed {
		t.Fatalf("a container without the token: %+v, %v", v, err)
	}
	if p, _ := s.Progress(); p.StatusOf(st.ID) != progress.Failed || p.Steps[st.ID].PassedAt.IsZero() {
		t.Fatalf("after a failing check the step is %v (%+v), want failed, passed once", p.StatusOf(st.ID), p.Steps[st.ID])
	}
	d.AddContainer(fakedaemon.Container{Name: "fixed", Image: app + ":latest", Created: time.Now().Add(2 * time.Second),
		Env: []string{"APP_TOKEN=" + p.Secret}, Stdout: "token received\n"})
	if v, err := s.Check(context.Background(), st); err != nil || !v.Passed {
		t.Fatalf("fixed again: %+v, %v", v, err)
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

// Reset removes the tutor's objects of the step and the images the step
// names, and nothing a learner made: on the fake daemon, without a
// daemon's timing.
func TestCleanDockerOnTheFakeDaemon(t *testing.T) {
	c := fixture(t)
	d := fakedaemon.New()
	s := openOn(t, c, d)
	st, _ := c.Step("build")
	mine := labels.For(s.Namespace(), c.ID, st.ID)
	app := s.Namespace().Image("dttest-tutor/app")
	other, _ := lessons.NamedNamespace("someone-0b0b0b")
	d.AddImage(fakedaemon.Image{ID: "sha256:" + strings.Repeat("1", 64), Tags: []string{app + ":latest"}})
	d.AddImage(fakedaemon.Image{ID: "sha256:" + strings.Repeat("2", 64), Labels: mine})
	d.AddImage(fakedaemon.Image{ID: "sha256:" + strings.Repeat("3", 64), Tags: []string{"dttest-tutor/decoy:1"}, Labels: map[string]string{"x": "y"}})
	d.AddImage(fakedaemon.Image{ID: "sha256:" + strings.Repeat("4", 64), Labels: labels.For(s.Namespace(), c.ID, "runit")})
	// Another learner's objects of the same step, and ones made before
	// learners had ids: never this learner's to remove.
	d.AddImage(fakedaemon.Image{ID: "sha256:" + strings.Repeat("5", 64), Tags: []string{other.Image("dttest-tutor/app") + ":latest"}, Labels: labels.For(other, c.ID, st.ID)})
	d.AddImage(fakedaemon.Image{ID: "sha256:" + strings.Repeat("6", 64), Tags: []string{"dttest-tutor/app:latest"}, Labels: labels.For(lessons.Namespace{}, c.ID, st.ID)})
	d.AddContainer(fakedaemon.Container{ID: "c-step", Name: "tutors", Image: "dttest-tutor/decoy:1", Labels: mine})
	d.AddContainer(fakedaemon.Container{ID: "c-learner", Name: "learners", Image: "dttest-tutor/decoy:1"})
	d.AddContainer(fakedaemon.Container{ID: "c-other", Name: "others", Image: "dttest-tutor/decoy:1", Labels: labels.For(other, c.ID, st.ID)})

	dry, err := s.CleanDocker(context.Background(), []*lessons.Step{st}, true)
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Removed()) != 0 {
		t.Fatalf("a dry run removed %v", d.Removed())
	}
	removals, err := s.CleanDocker(context.Background(), []*lessons.Step{st}, false)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(removals, dry) {
		t.Fatalf("removed %+v, the dry run said %+v", removals, dry)
	}
	var names []string
	for _, r := range removals {
		if r.Err != "" {
			t.Errorf("%s %s: %s", r.Kind, r.Name, r.Err)
		}
		names = append(names, r.Kind+" "+r.Name)
	}
	want := []string{"container tutors", "image sha256:" + strings.Repeat("2", 64), "image " + app}
	if !slices.Equal(names, want) {
		t.Fatalf("removals %q, want %q", names, want)
	}
	for _, id := range []string{"3", "4", "5", "6"} {
		if d.Image("sha256:"+strings.Repeat(id, 64)) == nil {
			t.Fatalf("reset removed image %s, which it does not own for this step", strings.Repeat(id, 12))
		}
	}
	if cs := d.Containers(); len(cs) != 2 || cs[0].ID != "c-learner" || cs[1].ID != "c-other" {
		t.Fatalf("containers left %+v", cs)
	}
}

// The status line asks every few seconds: once the connection remembers
// what the daemon is, it must still see the daemon go away and come back.
func TestDockerStatusSeesTheDaemonGoAndReturn(t *testing.T) {
	d := fakedaemon.New()
	s := openOn(t, fixture(t), d)
	if st := s.DockerStatus(context.Background()); !st.Reachable {
		t.Fatalf("status %+v of a running daemon", st)
	}
	d.Stop()
	if st := s.DockerStatus(context.Background()); st.Reachable {
		t.Fatalf("status %+v of a stopped daemon, with nothing else asked in between", st)
	}
	d.Start()
	if st := s.DockerStatus(context.Background()); !st.Reachable {
		t.Fatalf("status %+v of a daemon that came back", st)
	}
}
