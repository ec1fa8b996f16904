package main

import (
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"

	"github.com/dockertutor/dockertutor/exercises/check"
	"github.com/dockertutor/dockertutor/exercises/dockertest"
	"github.com/dockertutor/dockertutor/exercises/labels"
	"github.com/dockertutor/dockertutor/lessons"
)

// learnerObjects are a learner's objects of the built-in course on the
// daemon, made with the course's own names: one image per name the course
// gives, the container the run-with-token step has them start by hand, and
// the one their tutor starts for that step. Objects of those names already
// there (someone is doing the course on this daemon) are taken as they
// are; the ones this makes, it removes when the test ends.
type learnerObjects struct {
	images     map[string]string // name -> image ID
	containers map[string]string // name -> container ID
}

func makeLearnerObjects(t *testing.T, cli *client.Client, c *lessons.Course) learnerObjects {
	t.Helper()
	ctx := context.Background()
	lo := learnerObjects{images: map[string]string{}, containers: map[string]string{}}
	// A learner of its own, named as a learner id names them, so that two
	// runs of the test on one daemon never share an object.
	learner := dockertest.Namespace(t)
	for _, st := range c.Steps() {
		if st.Image == "" || c.SharedImage(st.Image) {
			continue
		}
		name := learner.Image(st.Image)
		if lo.images[name] != "" {
			continue
		}
		// What `docker build -t NAME .` in the step folder leaves: an
		// image of that name on the course's base image.
		build, err := dockertest.TarFiles(map[string][]byte{"Dockerfile": []byte("FROM alpine:3.22\nLABEL learner=" + strings.ReplaceAll(name, "/", "-") + "\nCMD [\"sh\", \"-c\", \"echo token received\"]\n")})
		if err != nil {
			t.Fatal(err)
		}
		resp, err := cli.ImageBuild(ctx, build, client.ImageBuildOptions{Version: "1", Tags: []string{name}, Remove: true, ForceRemove: true, NoCache: true})
		if err != nil {
			t.Fatalf("build %s: %v", name, err)
		}
		out, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		img, err := cli.ImageInspect(ctx, name)
		if err != nil {
			t.Fatalf("build %s: %v\n%s", name, err, out)
		}
		lo.images[name] = img.ID
		t.Cleanup(func() {
			cli.ImageRemove(context.Background(), img.ID, client.ImageRemoveOptions{Force: true, PruneChildren: true})
		})
	}
	run, ok := c.Step("run-with-token")
	if !ok {
		t.Fatal("the course has no run-with-token step")
	}
	for _, tc := range []struct {
		name   string
		labels map[string]string
	}{
		// By hand: docker run --name {{.Learner}}-tokenapp -e APP_TOKEN {{.Image}}
		{learner.String() + "-tokenapp", nil},
		// By the learner's tutor (r on the step): the step's labels in the
		// learner's namespace, and the step's container name.
		{learner.ContainerName(c.ID, run.ID), labels.For(learner, c.ID, run.ID)},
	} {
		created, err := cli.ContainerCreate(ctx, client.ContainerCreateOptions{Name: tc.name, Config: &container.Config{Image: learner.Image(run.Image), Env: []string{"APP_TOKEN=canary-learner"}, Labels: tc.labels}})
		if err != nil {
			t.Fatalf("container %s: %v", tc.name, err)
		}
		t.Cleanup(func() {
			cli.ContainerRemove(context.Background(), created.ID, client.ContainerRemoveOptions{Force: true})
		})
		if _, err := cli.ContainerStart(ctx, created.ID, client.ContainerStartOptions{}); err != nil {
			t.Fatalf("start %s: %v", tc.name, err)
		}
		lo.containers[tc.name] = created.ID
	}
	return lo
}

// untouched fails the test for every learner's object that is gone or
// changed.
func (lo learnerObjects) untouched(t *testing.T, cli *client.Client) {
	t.Helper()
	ctx := context.Background()
	for name, id := range lo.images {
		img, err := cli.ImageInspect(ctx, name)
		if err != nil || img.ID != id {
			t.Errorf("the learner's image %s (%s) is gone or replaced: %v %s", name, id, err, img.ID)
		}
	}
	for name, id := range lo.containers {
		if _, err := cli.ContainerInspect(ctx, id, client.ContainerInspectOptions{}); err != nil {
			t.Errorf("the learner's container %s (%s) is gone: %v", name, id, err)
		}
	}
}

var provingIn = regexp.MustCompile(`private namespace (dtproof-[0-9a-f]+)`)

// TestProveLeavesTheLearnersObjectsAlone: an instructor proves the
// built-in course on the machine where a learner is doing it. The proof
// builds and runs the learner's step, removes what it made, and passes;
// the learner's images and containers are all still there, unchanged.
func TestProveLeavesTheLearnersObjectsAlone(t *testing.T) {
	cli := dockertest.Client(t)
	c := dockertest.BuiltinCourse(t, cli)
	learner := makeLearnerObjects(t, cli, c)

	out, errs, code := newCLI(t).run("course", "prove", "../../lessons/course", "run-with-token")
	if code != 0 {
		t.Errorf("course prove: exit %d\n%s%s", code, out, errs)
	}
	learner.untouched(t, cli)

	// And the proof left nothing of its own behind.
	m := provingIn.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("prove does not name its namespace:\n%s", out)
	}
	ctx := context.Background()
	imgs, err := cli.ImageList(ctx, client.ImageListOptions{All: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, im := range imgs.Items {
		if im.Labels[labels.Namespace] == m[1] || slices.ContainsFunc(im.RepoTags, func(tag string) bool { return strings.HasPrefix(tag, m[1]+"/") }) {
			t.Errorf("the proof left image %s %v behind", im.ID, im.RepoTags)
		}
	}
	cs, err := cli.ContainerList(ctx, client.ContainerListOptions{All: true, Filters: make(client.Filters).Add("label", labels.Namespace+"="+m[1])})
	if err != nil {
		t.Fatal(err)
	}
	for _, ct := range cs.Items {
		t.Errorf("the proof left container %v behind", ct.Names)
	}
}

// TestSolveAllThenCheckAllPasses: solve --all lays out every exercise's
// solution and records every quiz's and free answer's reference answer
// (saying so, without printing the canary), so check --all passes.
func TestSolveAllThenCheckAllPasses(t *testing.T) {
	cli := dockertest.Client(t)
	course := dockertest.BuiltinCourse(t, cli)
	c := newCLI(t)
	t.Cleanup(func() {
		if out, errs, code := c.run("reset", "--all"); code != 0 {
			t.Logf("reset --all: exit %d\n%s%s", code, out, errs)
		}
	})
	// The scan step's solution is trivy's report, which the tutor does not
	// make: solve leaves that step failing, and only that step.
	out, errs, code := c.run("solve", "--all")
	scans := stepsNeedingTrivy(course)
	if code != 0 && (code != 1 || !onlyTheseFail(out, scans)) {
		t.Fatalf("solve --all: exit %d\n%s%s", code, out, errs)
	}
	data, err := os.ReadFile(filepath.Join(os.Getenv("XDG_STATE_HOME"), "dockertutor", "progress-"+course.ID+".json"))
	if err != nil {
		t.Fatal(err)
	}
	var p struct{ Secret string }
	if err := json.Unmarshal(data, &p); err != nil || p.Secret == "" {
		t.Fatalf("no canary in the progress file: %v", err)
	}
	secret := p.Secret
	for _, st := range course.Steps() {
		if st.Kind != lessons.KindQuiz && st.Kind != lessons.KindAnswer {
			continue
		}
		section := out[strings.Index(out, "== "+st.Number+" "):]
		if i := strings.Index(section[3:], "\n== "); i >= 0 {
			section = section[:i+3]
		}
		if !strings.Contains(section, "Recorded the reference answer: ") {
			t.Errorf("solve --all does not say it recorded step %s's answer:\n%s", st.Number, section)
		}
		if st.Kind == lessons.KindAnswer && st.Answer.Expect == "secret" && strings.Contains(section, secret) {
			t.Errorf("step %s: the canary is printed in full:\n%s", st.Number, section)
		}
	}
	// trivy's report of the image as trivy writes it, as a learner's scan.
	for _, st := range scans {
		v := course.Values(st, lessons.Learner{Secret: secret, Workspace: c.workspace, Namespace: c.ns})
		for _, ch := range st.Checks {
			if spec, ok := ch.Spec.(*lessons.TrivyReport); ok {
				report, err := check.TrivyReportOf(context.Background(), check.Env{Step: st, Values: v, Docker: cli}, v.Image)
				if err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(filepath.Join(v.Workdir, spec.File), report, 0o644); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	out, errs, code = c.run("check", "--all")
	if code != 0 {
		t.Fatalf("check --all after solve --all: exit %d\n%s%s", code, out, errs)
	}
}

func stepsNeedingTrivy(c *lessons.Course) []*lessons.Step {
	var steps []*lessons.Step
	for _, st := range c.Steps() {
		if slices.ContainsFunc(st.Checks, func(ch lessons.Check) bool { return ch.Type == "trivy.report" }) {
			steps = append(steps, st)
		}
	}
	return steps
}

// onlyTheseFail reports whether every step that did not pass in the output
// of solve or check --all ("== 2.2 Title" sections) is one of steps.
func onlyTheseFail(out string, steps []*lessons.Step) bool {
	for _, section := range strings.Split(out, "\n== ") {
		if !strings.Contains(section, "\nFAIL: ") {
			continue
		}
		if !slices.ContainsFunc(steps, func(st *lessons.Step) bool {
			return strings.HasPrefix(strings.TrimPrefix(section, "== "), st.Number+" ")
		}) {
			return false
		}
	}
	return true
}
