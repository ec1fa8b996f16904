package tutor

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"

	"github.com/dockertutor/dockertutor/exercises/check"
	"github.com/dockertutor/dockertutor/exercises/daemon"
	"github.com/dockertutor/dockertutor/exercises/dockertest"
	"github.com/dockertutor/dockertutor/exercises/progress"
	"github.com/dockertutor/dockertutor/lessons"
)

// fixture is a small course whose image names no other test uses.
func fixture(t *testing.T) *lessons.Course {
	t.Helper()
	c, ps := lessons.Load(fstest.MapFS{
		"course.yaml":                       {Data: []byte("format: 1\nid: tutortest\ntitle: T\nimages: [{ref: alpine:3.22}]\nlessons: [l]\n")},
		"l/lesson.yaml":                     {Data: []byte("title: L\nsteps: [build, runit]\n")},
		"l/build/step.md":                   {Data: []byte("---\ntitle: Build\nkind: exercise\nmain: Dockerfile\nimage: dttest-tutor/app\naction:\n  build:\n    args: {TOKEN: \"{{.Secret}}\"}\nchecks:\n  - {id: fresh, type: image.fresh}\n  - {id: clean, type: leak.absent}\nattempts:\n  - {name: leaky, fails: [clean]}\n  - {name: unbuilt, no-action: true, fails: [fresh]}\n---\nBuild.\n")},
		"l/build/starter/Dockerfile":        {Data: []byte("FROM alpine:3.22\nARG TOKEN\nRUN echo $TOKEN > /t\n")},
		"l/build/solution/Dockerfile":       {Data: []byte("FROM alpine:3.22\nRUN echo built > /t\n")},
		"l/build/attempts/leaky/Dockerfile": {Data: []byte("FROM alpine:3.22\nARG TOKEN\nRUN echo $TOKEN > /t\n")},
		"l/runit/step.md":                   {Data: []byte("---\ntitle: Run\nkind: exercise\nimage: dttest-tutor/app\naction:\n  run:\n    env: {APP_TOKEN: \"{{.Secret}}\"}\n    cmd: [sh, -c, 'test -n \"$APP_TOKEN\" && echo token received']\nchecks:\n  - {id: env, type: container.runtime-env, var: APP_TOKEN}\n  - {id: log, type: container.log, contains: token received}\nattempts:\n  - {name: none, no-action: true, fails: [env, log]}\n---\nRun.\n")},
	})
	if len(ps) > 0 {
		t.Fatal(ps)
	}
	return c
}

// open opens a session in a private namespace: nothing it makes or
// removes is a learner's, or another test's.
func open(t *testing.T, c *lessons.Course) *Session {
	t.Helper()
	s, err := Open(Options{Course: c, WorkspaceRoot: t.TempDir(), StateDir: t.TempDir(), Namespace: dockertest.Namespace(t),
		Connect: func(ctx context.Context) (daemon.Client, error) { return client.New(client.FromEnv) }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestSolveRunCheckAndResetLeavesDecoys(t *testing.T) {
	cli := dockertest.Client(t)
	dockertest.StandIn(t, cli, "alpine:3.22")
	ctx := context.Background()

	// Decoys: things a learner made that look like the course's.
	decoyImage := "dttest-tutor/decoy:1"
	if _, err := cli.ImageTag(ctx, client.ImageTagOptions{Source: "alpine:3.22", Target: decoyImage}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cli.ImageRemove(ctx, decoyImage, client.ImageRemoveOptions{}) })
	decoy, err := cli.ContainerCreate(ctx, client.ContainerCreateOptions{Config: &container.Config{Image: "alpine:3.22", Cmd: []string{"true"}, Labels: map[string]string{"org.dockertutor.step": "build"}}, Name: "dttest-tutor-decoy"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cli.ContainerRemove(ctx, decoy.ID, client.ContainerRemoveOptions{Force: true}) })
	vol, err := cli.VolumeCreate(ctx, client.VolumeCreateOptions{Name: "dttest-tutor-decoy"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cli.VolumeRemove(ctx, vol.Volume.Name, client.VolumeRemoveOptions{}) })

	c := fixture(t)
	s := open(t, c)
	build, _ := c.Step("build")
	runit, _ := c.Step("runit")

	// Decoys in the learner's namespace: the step's image under the
	// course's own name, and a container the learner's tutor made for the
	// step, labelled as its own.
	learnersImage := "dttest-tutor/app:latest"
	if _, err := cli.ImageInspect(ctx, learnersImage); err == nil {
		t.Fatalf("%s is on the daemon already: this test would not know whose it is", learnersImage)
	}
	if _, err := cli.ImageTag(ctx, client.ImageTagOptions{Source: "alpine:3.22", Target: learnersImage}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cli.ImageRemove(ctx, learnersImage, client.ImageRemoveOptions{}) })
	learnersLabels := map[string]string{"org.dockertutor.tool": "dockertutor", "org.dockertutor.course": c.ID, "org.dockertutor.step": "runit"}
	learners, err := cli.ContainerCreate(ctx, client.ContainerCreateOptions{Config: &container.Config{Image: learnersImage, Cmd: []string{"true"}, Labels: learnersLabels}, Name: "dockertutor-" + s.Namespace().String() + "-learner"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cli.ContainerRemove(ctx, learners.ID, client.ContainerRemoveOptions{Force: true}) })

	var events []Event
	ch := make(chan Event, 256)
	done := make(chan struct{})
	go func() {
		for e := range ch {
			events = append(events, e)
		}
		close(done)
	}()
	if err := s.Solve(ctx, build, ch); err != nil {
		t.Fatal(err)
	}
	if err := s.Run(ctx, runit, ch); err != nil {
		t.Fatal(err)
	}
	close(ch)
	<-done
	if events[0].Kind != EventCommand || !strings.Contains(events[0].Text, "docker build") {
		t.Fatalf("the first event must be the equivalent command: %+v", events[0])
	}
	p, _ := s.Progress()
	for _, e := range events {
		if strings.Contains(e.Text, p.Secret) && e.Kind != EventCommand {
			t.Fatalf("the secret must not be shown in output: %+v", e)
		}
	}
	for _, st := range []*lessons.Step{build, runit} {
		v, err := s.Check(ctx, st)
		if err != nil || !v.Passed {
			t.Fatalf("%s: %v %+v", st.ID, err, v)
		}
	}

	plan, err := s.CleanDocker(ctx, c.Steps(), true)
	if err != nil || len(plan) < 2 {
		t.Fatalf("dry run: %v %+v", err, plan)
	}
	p, _ = s.Progress()
	app := s.Values(build, p).Image
	if !strings.HasPrefix(app, s.Namespace().String()+"/dttest-tutor/app") {
		t.Fatalf("the step's image %q is not in the session's namespace", app)
	}
	if _, err := cli.ImageInspect(ctx, app); err != nil {
		t.Fatal("a dry run removed the image")
	}
	removed, err := s.CleanDocker(ctx, c.Steps(), false)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range removed {
		if r.Err != "" {
			t.Fatalf("removal failed: %+v", r)
		}
	}
	if _, err := cli.ImageInspect(ctx, app); err == nil {
		t.Fatal("the course image is still there")
	}
	if _, err := cli.ContainerInspect(ctx, s.Namespace().ContainerName(c.ID, runit.ID), client.ContainerInspectOptions{}); err == nil {
		names, _ := cli.ContainerList(ctx, client.ContainerListOptions{All: true})
		t.Fatalf("the tutor's container is still there: %+v", names)
	}
	if _, err := cli.ImageInspect(ctx, decoyImage); err != nil {
		t.Fatal("the decoy image was removed")
	}
	if _, err := cli.ContainerInspect(ctx, decoy.ID, client.ContainerInspectOptions{}); err != nil {
		t.Fatal("the decoy container was removed")
	}
	if _, err := cli.VolumeInspect(ctx, vol.Volume.Name, client.VolumeInspectOptions{}); err != nil {
		t.Fatal("the decoy volume was removed")
	}
	if _, err := cli.ImageInspect(ctx, learnersImage); err != nil {
		t.Fatal("the learner's image of the step was removed")
	}
	if _, err := cli.ContainerInspect(ctx, learners.ID, client.ContainerInspectOptions{}); err != nil {
		t.Fatal("the learner's tutor-made container of the step was removed")
	}
}

func TestUnreachableDaemonIsAnErrorNotAFailure(t *testing.T) {
	c := fixture(t)
	s, err := Open(Options{Course: c, WorkspaceRoot: t.TempDir(), StateDir: t.TempDir(),
		Connect: func(ctx context.Context) (daemon.Client, error) {
			return nil, errors.New("dial unix /nonexistent.sock: connect: no such file or directory")
		}})
	if err != nil {
		t.Fatal(err)
	}
	st, _ := c.Step("build")
	s.Enter(st)
	v, err := s.Check(context.Background(), st)
	if err != nil {
		t.Fatal(err)
	}
	if v.Passed || !v.Unreachable() {
		t.Fatalf("want an unreachable verdict: %+v", v)
	}
	for _, r := range v.Results {
		if r.Outcome != check.Error {
			t.Fatalf("%s: %s", r.ID, r.Outcome)
		}
	}
	p, _ := s.Progress()
	if p.Steps[st.ID].Checks != 0 {
		t.Fatal("an unreachable check must not be recorded as an attempt")
	}
	if err := s.Run(context.Background(), st, nil); !errors.Is(err, ErrUnreachable) {
		t.Fatalf("run: %v", err)
	}
}

func TestRunCancelReadsAborted(t *testing.T) {
	cli := dockertest.Client(t)
	dockertest.StandIn(t, cli, "alpine:3.22")
	c := fixture(t)
	s := open(t, c)
	st, _ := c.Step("build")
	s.Enter(st)
	os.WriteFile(filepath.Join(s.Work.StepDir(st), "Dockerfile"), []byte("FROM alpine:3.22\nRUN sleep 30\n"), 0o644)
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(2*time.Second, cancel)
	start := time.Now()
	err := s.Run(ctx, st, nil)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("want a cancelled error, got %v", err)
	}
	if time.Since(start) > 10*time.Second {
		t.Fatalf("cancel took %s", time.Since(start))
	}
}

func TestWatchSeesFileAndDaemonChanges(t *testing.T) {
	cli := dockertest.Client(t)
	dockertest.StandIn(t, cli, "alpine:3.22")
	for _, poll := range []bool{false, true} {
		c := fixture(t)
		s, err := Open(Options{Course: c, WorkspaceRoot: t.TempDir(), StateDir: t.TempDir(), Poll: poll, Namespace: dockertest.Namespace(t),
			Connect: func(ctx context.Context) (daemon.Client, error) { return client.New(client.FromEnv) }})
		if err != nil {
			t.Fatal(err)
		}
		st, _ := c.Step("build")
		s.Enter(st)
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		changes, err := s.Watch(ctx, st)
		if err != nil {
			t.Fatal(err)
		}
		time.Sleep(300 * time.Millisecond) // let the watchers start
		os.WriteFile(filepath.Join(s.Work.StepDir(st), "Dockerfile"), []byte("FROM alpine:3.22\n"), 0o644)
		select {
		case ch := <-changes:
			if !strings.Contains(ch.Reason, "Dockerfile") {
				t.Fatalf("poll=%v: reason %q", poll, ch.Reason)
			}
		case <-ctx.Done():
			t.Fatalf("poll=%v: no change seen after a file write", poll)
		}
		if !poll {
			// The daemon side: tag the step's image from another client.
			p, _ := s.Progress()
			app := s.Values(st, p).Image + ":latest"
			cli.ImageTag(ctx, client.ImageTagOptions{Source: "alpine:3.22", Target: app})
			select {
			case ch := <-changes:
				if !strings.Contains(ch.Reason, s.Namespace().String()+"/dttest-tutor/app") {
					t.Fatalf("reason %q", ch.Reason)
				}
			case <-ctx.Done():
				t.Fatal("no change seen after an image was tagged")
			}
			cli.ImageRemove(context.Background(), app, client.ImageRemoveOptions{})
		}
		cancel()
		for range changes {
		}
		s.Close()
	}
}

// TestResetRemovesClassicBuildLeftovers: a classic multi-stage build
// leaves its build stage behind as untagged images, one of them holding
// the build arg (the canary) in its history. No label marks them, so the
// tutor remembers them, and reset removes them, and nothing else: not the
// untagged images of a build the learner ran themselves, not one the
// learner tagged.
func TestResetRemovesClassicBuildLeftovers(t *testing.T) {
	cli := dockertest.Client(t)
	dockertest.StandIn(t, cli, "alpine:3.22")
	ctx := context.Background()

	// The learner's own classic multi-stage build, untagged: its stage
	// images are dangling too, and not the tutor's.
	learnerCtx, err := dockertest.TarFiles(map[string][]byte{"Dockerfile": []byte("FROM alpine:3.22 AS b\nRUN echo learner > /l\nFROM alpine:3.22\nCOPY --from=b /l /l\n")})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := cli.ImageBuild(ctx, learnerCtx, client.ImageBuildOptions{Version: "1", Remove: true, ForceRemove: true, NoCache: true})
	if err != nil {
		t.Fatal(err)
	}
	learnerOut, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	// The learner's images are this test's to remove.
	dockertest.RemoveBuiltOnCleanup(t, cli, string(learnerOut))
	// What was there before the tutor built and is not the tutor's: the
	// learner's images and the base image. (Not every image on the
	// daemon: other tests come and go meanwhile.)
	before := map[string]bool{}
	for _, ref := range append(dockertest.BuiltImages(string(learnerOut)), "alpine:3.22") {
		im, err := cli.ImageInspect(ctx, ref)
		if err != nil {
			t.Fatalf("%s: %v", ref, err)
		}
		before[im.ID] = true
	}
	if len(before) < 3 {
		t.Fatalf("the learner's build left %d images: the test proves nothing", len(before)-1)
	}

	c, ps := lessons.Load(fstest.MapFS{
		"course.yaml":                  {Data: []byte("format: 1\nid: tutorclassic\ntitle: T\nimages: [{ref: alpine:3.22}]\nlessons: [l]\n")},
		"l/lesson.yaml":                {Data: []byte("title: L\nsteps: [stages]\n")},
		"l/stages/step.md":             {Data: []byte("---\ntitle: Stages\nkind: exercise\nmain: Dockerfile\nimage: dttest-tutorclassic/app\naction:\n  build:\n    builder: classic\n    args: {TOKEN: \"{{.Secret}}\"}\nchecks:\n  - {id: clean, type: leak.absent}\n  - {id: fresh, type: image.fresh}\nattempts:\n  - {name: unbuilt, no-action: true, fails: [clean, fresh]}\n---\nBuild.\n")},
		"l/stages/starter/Dockerfile":  {Data: []byte("FROM alpine:3.22 AS build\nARG TOKEN\nRUN echo \"$TOKEN\" > /t\nRUN echo artifact > /a\nFROM alpine:3.22\nCOPY --from=build /a /a\n")},
		"l/stages/solution/Dockerfile": {Data: []byte("FROM alpine:3.22 AS build\nARG TOKEN\nRUN echo \"$TOKEN\" > /t\nRUN echo artifact > /a\nFROM alpine:3.22\nCOPY --from=build /a /a\n")},
	})
	if len(ps) > 0 {
		t.Fatal(ps)
	}
	s := open(t, c)
	st, _ := c.Step("stages")
	t.Cleanup(func() { s.CleanDocker(context.WithoutCancel(ctx), c.Steps(), false) })
	if err := s.Solve(ctx, st, nil); err != nil {
		t.Fatal(err)
	}
	p, _ := s.Progress()
	built := p.Built[st.ID]
	if len(built) < 2 {
		t.Fatalf("the tutor remembered %v of its classic build", built)
	}
	// The build stage's images are dangling, and hold the canary (every
	// RUN after the ARG records it in its history).
	final, err := cli.ImageInspect(ctx, s.Values(st, p).Image)
	if err != nil {
		t.Fatal(err)
	}
	var holding []string
	for _, id := range built {
		h, err := cli.ImageHistory(ctx, id)
		if err != nil {
			t.Fatalf("remembered image %s: %v", id, err)
		}
		if strings.HasPrefix(final.ID, "sha256:"+id) {
			continue
		}
		for _, e := range h.Items {
			if strings.Contains(e.CreatedBy, p.Secret) {
				holding = append(holding, id)
				break
			}
		}
	}
	if len(holding) < 2 {
		t.Fatalf("%d remembered images hold the build arg (of %v): the test needs two", len(holding), built)
	}
	// The first the learner tags: it is theirs from then on.
	mine := holding[0]
	if _, err := cli.ImageTag(ctx, client.ImageTagOptions{Source: mine, Target: "dttest-tutorclassic/mine:1"}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cli.ImageRemove(ctx, "dttest-tutorclassic/mine:1", client.ImageRemoveOptions{}) })

	removed, err := s.CleanDocker(ctx, c.Steps(), false)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range removed {
		if r.Err != "" {
			t.Fatalf("removal failed: %+v", r)
		}
	}
	for _, id := range holding[1:] {
		if _, err := cli.ImageInspect(ctx, id); err == nil {
			t.Fatalf("the build stage's image %s, holding the canary, is still there; removed: %+v", id, removed)
		}
	}
	if _, err := cli.ImageInspect(ctx, "dttest-tutorclassic/mine:1"); err != nil {
		t.Fatal("the image the learner tagged was removed")
	}
	for id := range before {
		if _, err := cli.ImageInspect(ctx, id); err != nil && id != mine {
			t.Fatalf("image %s, there before the tutor built, was removed", id)
		}
	}
	// What the tutor still remembers is what it had to keep: images that
	// exist, untagged, under the one the learner tagged (its parents).
	p, _ = s.Progress()
	for _, id := range p.Built[st.ID] {
		im, err := cli.ImageInspect(ctx, id)
		if err != nil || len(im.RepoTags) > 0 || slices.Contains(holding, id) {
			t.Errorf("the tutor still remembers %s (%v, tags %v): gone, tagged or removed ones are forgotten", id, err, im.RepoTags)
		}
	}
}

// Solving a quiz or free-answer step records its reference answer, which
// then passes; the event says so without showing the canary in full. No
// daemon is needed.
func TestSolveRecordsTheReferenceAnswer(t *testing.T) {
	c, ps := lessons.Load(fstest.MapFS{
		"course.yaml":   {Data: []byte("format: 1\nid: tutoranswers\ntitle: T\nlessons: [l]\n")},
		"l/lesson.yaml": {Data: []byte("title: L\nsteps: [pick, found, intro]\n")},
		"l/pick/step.md": {Data: []byte("---\ntitle: Pick\nkind: quiz\nquiz:\n  multiple: true\n  choices:\n" +
			"    - {id: a, text: A, correct: true}\n    - {id: b, text: B}\n    - {id: c, text: C, correct: true}\n---\nWhich?\n")},
		"l/found/step.md": {Data: []byte("---\ntitle: Found\nkind: answer\nanswer: {expect: secret}\n---\nWhat?\n")},
		"l/intro/step.md": {Data: []byte("---\ntitle: Intro\nkind: read\n---\nRead.\n")},
	})
	if len(ps) > 0 {
		t.Fatal(ps)
	}
	s, err := Open(Options{Course: c, WorkspaceRoot: t.TempDir(), StateDir: t.TempDir(),
		Connect: func(ctx context.Context) (daemon.Client, error) { return nil, errors.New("no daemon in this test") }})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	p, _ := s.Progress()
	for id, want := range map[string]string{"pick": "Recorded the reference answer: a,c.", "found": "Recorded the reference answer: your canary secret (" + p.Secret[:2] + "…)."} {
		st, _ := c.Step(id)
		events := make(chan Event, 4)
		if err := s.Solve(ctx, st, events); err != nil {
			t.Fatalf("%s: %v", id, err)
		}
		close(events)
		var said []string
		for e := range events {
			said = append(said, e.Text)
		}
		if !slices.Equal(said, []string{want}) {
			t.Errorf("%s: said %q, want %q", id, said, want)
		}
		v, err := s.Check(ctx, st)
		if err != nil || !v.Passed {
			t.Errorf("%s after solve: %v %+v", id, err, v)
		}
		p, _ := s.Progress()
		if sp := p.Steps[id]; sp == nil || !sp.SolutionSeen || sp.Status != progress.Passed {
			t.Errorf("%s: progress %+v", id, sp)
		}
	}
	intro, _ := c.Step("intro")
	if err := s.Solve(ctx, intro, nil); err != nil {
		t.Errorf("a read step: %v", err)
	}
}
