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

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"

	"github.com/dockertutor/dockertutor/exercises/daemon"
	"github.com/dockertutor/dockertutor/exercises/daemon/fakedaemon"
	"github.com/dockertutor/dockertutor/exercises/dockertest"
	"github.com/dockertutor/dockertutor/exercises/labels"
	"github.com/dockertutor/dockertutor/lessons"
)

func removalNames(rs []Removal) []string {
	var names []string
	for _, r := range rs {
		names = append(names, r.Kind+" "+r.Name)
	}
	return names
}

// A learner who builds the step's image by hand (`docker build -t` pasted
// from the text) makes a name without the tutor's labels: reset untags it,
// and removes the containers of the namespace made from it, however they
// were started; everything else stays.
func TestResetPlanTakesHandBuiltNames(t *testing.T) {
	c := fixture(t)
	d := fakedaemon.New()
	s := openOn(t, c, d)
	build, _ := c.Step("build")
	ns := s.Namespace()
	app := ns.Image("dttest-tutor/app") + ":latest"
	other, _ := lessons.NamedNamespace("someone-0b0b0b")
	d.AddImage(fakedaemon.Image{ID: "sha256:" + strings.Repeat("a", 64), Tags: []string{app}})
	d.AddImage(fakedaemon.Image{ID: "sha256:" + strings.Repeat("b", 64), Tags: []string{other.Image("dttest-tutor/app") + ":latest"}})
	d.AddImage(fakedaemon.Image{ID: "sha256:" + strings.Repeat("c", 64), Tags: []string{"dttest-tutor/unrelated:1"}})
	d.AddContainer(fakedaemon.Container{ID: "by-hand", Name: ns.String() + "-tokenapp", Image: app, Running: true})
	d.AddContainer(fakedaemon.Container{ID: "tutors-other-step", Name: ns.ContainerName(c.ID, "runit"), Image: app, Labels: labels.For(ns, c.ID, "runit")})
	d.AddContainer(fakedaemon.Container{ID: "others", Name: other.String() + "-tokenapp", Image: other.Image("dttest-tutor/app")})

	dry, err := s.CleanDocker(context.Background(), []*lessons.Step{build}, true)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"container " + ns.String() + "-tokenapp", "container " + ns.ContainerName(c.ID, "runit"), "image " + ns.Image("dttest-tutor/app")}
	if got := removalNames(dry); !slices.Equal(got, want) {
		t.Fatalf("dry run lists %q, want %q", got, want)
	}
	if len(d.Removed()) != 0 || len(d.Containers()) != 3 {
		t.Fatalf("a dry run removed %v", d.Removed())
	}
	removed, err := s.CleanDocker(context.Background(), []*lessons.Step{build}, false)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(removed, dry) {
		t.Fatalf("removed %+v, the dry run said %+v", removed, dry)
	}
	if d.Image(app) != nil {
		t.Fatal("the hand-built image of the step is still there")
	}
	for _, id := range []string{"b", "c"} {
		if d.Image("sha256:"+strings.Repeat(id, 64)) == nil {
			t.Fatalf("reset removed image %s, which is not this learner's", strings.Repeat(id, 12))
		}
	}
	if cs := d.Containers(); len(cs) != 1 || cs[0].ID != "others" {
		t.Fatalf("containers left %+v, want only the other learner's", cs)
	}
}

// An image with another name keeps it: reset takes only the step's name,
// and a container elsewhere that uses the image is no reason to stop.
func TestResetPlanUntagsOnlyTheStepsName(t *testing.T) {
	c := fixture(t)
	d := fakedaemon.New()
	s := openOn(t, c, d)
	build, _ := c.Step("build")
	app := s.Namespace().Image("dttest-tutor/app") + ":latest"
	d.AddImage(fakedaemon.Image{ID: "sha256:" + strings.Repeat("a", 64), Tags: []string{app, "dttest-tutor/mine:1"}})
	d.AddContainer(fakedaemon.Container{ID: "web", Name: "web", Image: "dttest-tutor/mine:1", Running: true})

	removed, err := s.CleanDocker(context.Background(), []*lessons.Step{build}, false)
	if err != nil {
		t.Fatal(err)
	}
	if got := removalNames(removed); !slices.Equal(got, []string{"image " + s.Namespace().Image("dttest-tutor/app")}) || removed[0].Err != "" {
		t.Fatalf("removals %+v", removed)
	}
	img := d.Image("dttest-tutor/mine:1")
	if img == nil || !slices.Equal(img.Tags, []string{"dttest-tutor/mine:1"}) {
		t.Fatalf("the image with a second name is %+v, want it kept under that name only", img)
	}
	if cs := d.Containers(); len(cs) != 1 {
		t.Fatalf("containers left %+v", cs)
	}
}

// The tutor's own image of the step that the learner gave a name of their
// own is theirs from then on: reset takes only the step's name, once, even
// when every step naming it is reset.
func TestResetPlanLeavesTheLearnersNameOnTheTutorsImage(t *testing.T) {
	c := fixture(t)
	d := fakedaemon.New()
	s := openOn(t, c, d)
	build, _ := c.Step("build")
	app := s.Namespace().Image("dttest-tutor/app")
	d.AddImage(fakedaemon.Image{ID: "sha256:" + strings.Repeat("a", 64), Tags: []string{app + ":latest", "dttest-tutor/mine:1"}, Labels: labels.For(s.Namespace(), c.ID, build.ID)})

	removed, err := s.CleanDocker(context.Background(), c.Steps(), false)
	if err != nil {
		t.Fatal(err)
	}
	if got := removalNames(removed); !slices.Equal(got, []string{"image " + app}) || removed[0].Err != "" {
		t.Fatalf("removals %+v", removed)
	}
	if img := d.Image("sha256:" + strings.Repeat("a", 64)); img == nil || !slices.Equal(img.Tags, []string{"dttest-tutor/mine:1"}) {
		t.Fatalf("the image is %+v, want it kept under the learner's name", img)
	}
}

// A container the tutor may not remove keeps the step's image: reset says
// so and changes nothing, neither on the daemon nor in the step folder.
func TestResetStopsAtAContainerOfSomeoneElse(t *testing.T) {
	c := fixture(t)
	d := fakedaemon.New()
	s := openOn(t, c, d)
	build, _ := c.Step("build")
	if _, _, err := s.Enter(build); err != nil {
		t.Fatal(err)
	}
	ns := s.Namespace()
	app := ns.Image("dttest-tutor/app") + ":latest"
	d.AddImage(fakedaemon.Image{ID: "sha256:" + strings.Repeat("a", 64), Tags: []string{app}})
	d.AddContainer(fakedaemon.Container{ID: "mine", Name: ns.String() + "-tokenapp", Image: app})
	d.AddContainer(fakedaemon.Container{ID: "theirs", Name: "someone-0b0b0b-web", Image: app, Running: true})
	dockerfile := filepath.Join(s.Work.StepDir(build), "Dockerfile")
	if err := os.WriteFile(dockerfile, []byte("FROM alpine:3.22\n# my work\n"), 0o644); err != nil {
		t.Fatal(err)
	}

	for _, dryRun := range []bool{true, false} {
		plan, err := s.CleanDocker(context.Background(), []*lessons.Step{build}, dryRun)
		var inUse *InUseError
		if !errors.As(err, &inUse) || len(inUse.Uses) != 1 || !slices.Equal(inUse.Uses[0].Containers, []string{"someone-0b0b0b-web"}) {
			t.Fatalf("dry run %v: %v, want the container that keeps the image", dryRun, err)
		}
		if msg := err.Error(); !strings.Contains(msg, ns.Image("dttest-tutor/app")) || !strings.Contains(msg, "no Docker object was removed") || !strings.Contains(msg, ns.String()) {
			t.Fatalf("the message does not say what keeps what: %s", msg)
		}
		if len(plan) != 2 {
			t.Fatalf("dry run %v: the plan %+v", dryRun, plan)
		}
	}
	err := s.ResetStep(context.Background(), build)
	var inUse *InUseError
	if !errors.As(err, &inUse) {
		t.Fatalf("reset: %v, want an *InUseError", err)
	}
	if len(d.Removed()) != 0 || len(d.Containers()) != 2 || d.Image(app) == nil {
		t.Fatalf("removed half-way: images %v, containers %+v", d.Removed(), d.Containers())
	}
	if got, _ := os.ReadFile(dockerfile); !strings.Contains(string(got), "# my work") {
		t.Fatalf("the step folder was reset: %q", got)
	}
}

// handBuild builds an image the way a learner pasting `docker build -t`
// does: without the tutor's labels. The label makes its ID the test's own.
func handBuild(t *testing.T, cli *client.Client, tag, mark string) string {
	t.Helper()
	ctx := context.Background()
	buildCtx, err := dockertest.TarFiles(map[string][]byte{"Dockerfile": []byte("FROM alpine:3.22\nLABEL org.dockertutor.test.hand=" + mark + "\n")})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := cli.ImageBuild(ctx, buildCtx, client.ImageBuildOptions{Version: "1", Tags: []string{tag}, Remove: true, ForceRemove: true})
	if err != nil {
		t.Fatal(err)
	}
	out, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	img, err := cli.ImageInspect(ctx, tag)
	if err != nil {
		t.Fatalf("hand build of %s: %v\n%s", tag, err, out)
	}
	t.Cleanup(func() { cli.ImageRemove(context.Background(), img.ID, client.ImageRemoveOptions{Force: true}) })
	return img.ID
}

// On the real daemon: reset untags the step's image that the learner built
// by hand and removes the learner's container made from it, lists in its
// dry run exactly what it then removes, and leaves the same repository in
// another namespace, an unrelated image, and an image that has another
// name (under that name). A container of someone else's that keeps the
// image stops it before anything is removed.
func TestResetUntagsAHandBuiltImage(t *testing.T) {
	cli := dockertest.Client(t)
	dockertest.StandIn(t, cli, "alpine:3.22")
	ctx := context.Background()
	c := fixture(t)
	s := open(t, c)
	build, _ := c.Step("build")
	ns := s.Namespace()
	app := ns.Image("dttest-tutor/app")
	other := dockertest.Namespace(t)

	handBuilt := handBuild(t, cli, app, ns.String())
	othersApp := other.Image("dttest-tutor/app")
	othersID := handBuild(t, cli, othersApp, other.String())
	unrelated := other.Image("dttest-tutor/unrelated:1")
	if _, err := cli.ImageTag(ctx, client.ImageTagOptions{Source: "alpine:3.22", Target: unrelated}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cli.ImageRemove(context.Background(), unrelated, client.ImageRemoveOptions{}) })
	createContainer := func(name, image string) string {
		t.Helper()
		r, err := cli.ContainerCreate(ctx, client.ContainerCreateOptions{Name: name, Config: &container.Config{Image: image, Cmd: []string{"true"}}})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { cli.ContainerRemove(context.Background(), r.ID, client.ContainerRemoveOptions{Force: true}) })
		return r.ID
	}
	mine := createContainer(ns.String()+"-tokenapp", app)
	othersContainer := createContainer(other.String()+"-tokenapp", othersApp)

	dry, err := s.CleanDocker(ctx, []*lessons.Step{build}, true)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"container " + ns.String() + "-tokenapp", "image " + app}
	if got := removalNames(dry); !slices.Equal(got, want) {
		t.Fatalf("dry run lists %q, want %q", got, want)
	}
	if _, err := cli.ImageInspect(ctx, app); err != nil {
		t.Fatal("a dry run removed the step's image")
	}
	removed, err := s.CleanDocker(ctx, []*lessons.Step{build}, false)
	if err != nil || !slices.Equal(removed, dry) {
		t.Fatalf("removed %+v (%v), the dry run said %+v", removed, err, dry)
	}
	if _, err := cli.ImageInspect(ctx, handBuilt); err == nil {
		t.Fatal("the hand-built image of the step is still there")
	}
	if _, err := cli.ContainerInspect(ctx, mine, client.ContainerInspectOptions{}); err == nil {
		t.Fatal("the learner's container of the step's image is still there")
	}
	for _, ref := range []string{othersID, othersApp, unrelated, "alpine:3.22"} {
		if _, err := cli.ImageInspect(ctx, ref); err != nil {
			t.Fatalf("reset removed %s, which is not this learner's: %v", ref, err)
		}
	}
	if _, err := cli.ContainerInspect(ctx, othersContainer, client.ContainerInspectOptions{}); err != nil {
		t.Fatalf("reset removed another namespace's container: %v", err)
	}

	// Built again, with a second name: only the step's name goes.
	again := handBuild(t, cli, app, ns.String()+"-again")
	second := ns.Image("dttest-tutor/mine:1")
	if _, err := cli.ImageTag(ctx, client.ImageTagOptions{Source: app, Target: second}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cli.ImageRemove(context.Background(), second, client.ImageRemoveOptions{}) })
	if removed, err := s.CleanDocker(ctx, []*lessons.Step{build}, false); err != nil || !slices.Equal(removalNames(removed), []string{"image " + app}) || removed[0].Err != "" {
		t.Fatalf("reset of an image with two names: %+v, %v", removed, err)
	}
	img, err := cli.ImageInspect(ctx, again)
	if err != nil || len(img.RepoTags) != 1 || !daemon.SameImage(img.RepoTags[0], second) {
		t.Fatalf("the image with a second name: %v, tags %q; want it kept under %s only", err, img.RepoTags, second)
	}

	// Named the step's way once more, and someone else's container uses
	// it: nothing goes, not even the learner's own container.
	if _, err := cli.ImageRemove(ctx, second, client.ImageRemoveOptions{}); err != nil {
		t.Fatal(err)
	}
	third := handBuild(t, cli, app, ns.String()+"-third")
	mine = createContainer(ns.String()+"-tokenapp", app)
	theirs := createContainer(other.String()+"-web", app)
	_, err = s.CleanDocker(ctx, []*lessons.Step{build}, false)
	var inUse *InUseError
	if !errors.As(err, &inUse) || len(inUse.Uses) != 1 || !slices.Equal(inUse.Uses[0].Containers, []string{other.String() + "-web"}) {
		t.Fatalf("reset with someone else's container on the image: %v", err)
	}
	for _, id := range []string{mine, theirs} {
		if _, err := cli.ContainerInspect(ctx, id, client.ContainerInspectOptions{}); err != nil {
			t.Fatalf("container %s was removed half-way: %v", id, err)
		}
	}
	if img, err := cli.ImageInspect(ctx, app); err != nil || img.ID != third {
		t.Fatalf("the step's image was removed half-way: %v", err)
	}
}

// A step that only reads or runs an image another step builds leaves it
// alone: resetting the run step of the fixture (or find-the-leak in the
// course) does not send the learner back to build the step before it.
func TestResetLeavesTheImageOfTheStepBefore(t *testing.T) {
	c := fixture(t)
	d := fakedaemon.New()
	s := openOn(t, c, d)
	runit, _ := c.Step("runit")
	app := s.Namespace().Image("dttest-tutor/app") + ":latest"
	d.AddImage(fakedaemon.Image{ID: "sha256:" + strings.Repeat("a", 64), Tags: []string{app}})

	removed, err := s.CleanDocker(context.Background(), []*lessons.Step{runit}, false)
	if err != nil {
		t.Fatal(err)
	}
	if len(removed) != 0 || d.Image(app) == nil {
		t.Fatalf("resetting the run step removed %+v; the image is the build step's", removed)
	}
}
