package check

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/dockertutor/dockertutor/exercises/daemon/fakedaemon"
	"github.com/dockertutor/dockertutor/exercises/labels"
	"github.com/dockertutor/dockertutor/lessons"
)

// withContainers is a daemon holding app, built without API_TOKEN, an
// older container of it and the newest one, web, and a container of
// another image made later still.
func withContainers(t *testing.T, web fakedaemon.Container) (Env, *fakedaemon.Daemon) {
	t.Helper()
	env, d := testEnv(t)
	d.AddImage(fakedaemon.Image{ID: appID, Tags: []string{app}, Env: []string{"PATH=/bin"}})
	d.AddImage(fakedaemon.Image{Tags: []string{"dttest/other:latest"}})
	now := time.Now()
	env.Began = now.Add(-10 * time.Minute)
	d.AddContainer(fakedaemon.Container{Name: "old", Image: app, Created: now.Add(-time.Hour), Env: []string{"API_TOKEN=x"}, ExitCode: 0, Stdout: "hello\n"})
	web.Name, web.Image, web.Created = "web", app, now.Add(-time.Minute)
	d.AddContainer(web)
	d.AddContainer(fakedaemon.Container{Name: "other", Image: "dttest/other:latest", Created: now, Env: []string{"API_TOKEN=x"}, Stdout: "hello\n"})
	return env, d
}

func TestContainerNeedsImageAndContainer(t *testing.T) {
	env, d := testEnv(t)
	for _, spec := range []lessons.CheckSpec{&lessons.ContainerRuntimeEnv{Var: "X"}, &lessons.ContainerExitCode{}, &lessons.ContainerLog{Contains: "x"}} {
		expect(t, checkOne(t, context.Background(), env, spec), Fail, "There is no image dttest/app:latest yet: build it first.")
	}
	d.AddImage(fakedaemon.Image{ID: appID, Tags: []string{app}})
	d.AddContainer(fakedaemon.Container{Name: "other", Image: "dttest/other:latest"})
	for _, spec := range []lessons.CheckSpec{&lessons.ContainerRuntimeEnv{Var: "X"}, &lessons.ContainerExitCode{}, &lessons.ContainerLog{Contains: "x"}} {
		expect(t, checkOne(t, context.Background(), env, spec), Fail,
			"No container of dttest/app:latest exists yet: run one (r in the tutor, or the docker run command in the text).")
	}
	d.FailOn("ContainerList", errors.New("list failed"))
	expect(t, checkOne(t, context.Background(), env, &lessons.ContainerExitCode{}), Error, "list failed")
}

func TestContainerRuntimeEnv(t *testing.T) {
	env, d := withContainers(t, fakedaemon.Container{Env: []string{"PATH=/bin", "API_TOKEN=" + secret}})
	expect(t, checkOne(t, context.Background(), env, &lessons.ContainerRuntimeEnv{Var: "API_TOKEN"}), Pass,
		"web had API_TOKEN at run time, and the image does not carry it.",
		Evidence{Where: "container web", Detail: "API_TOKEN=… (set at run time)"})

	env, _ = withContainers(t, fakedaemon.Container{Env: []string{"PATH=/bin"}})
	expect(t, checkOne(t, context.Background(), env, &lessons.ContainerRuntimeEnv{Var: "API_TOKEN"}), Fail,
		"The newest container of dttest/app:latest (web) was started without API_TOKEN: run it with -e API_TOKEN.",
		Evidence{Where: "container web", Detail: "no API_TOKEN in its environment"})

	env, d = withContainers(t, fakedaemon.Container{Env: []string{"API_TOKEN=" + secret}})
	d.Image(app).Env = []string{"API_TOKEN=" + secret}
	expect(t, checkOne(t, context.Background(), env, &lessons.ContainerRuntimeEnv{Var: "API_TOKEN"}), Fail,
		"API_TOKEN is baked into the image config: remove the ENV from the Dockerfile and pass it with docker run -e API_TOKEN.",
		Evidence{Where: "dttest/app:latest Config.Env", Detail: "API_TOKEN=…"})

	d.FailOn("ContainerInspect", errors.New("inspect failed"))
	expect(t, checkOne(t, context.Background(), env, &lessons.ContainerRuntimeEnv{Var: "API_TOKEN"}), Error, "inspect failed")
}

// With a value to expect, a container given someone else's value fails,
// and the message shows neither value.
func TestContainerRuntimeEnvValue(t *testing.T) {
	env, _ := withContainers(t, fakedaemon.Container{Env: []string{"API_TOKEN=" + secret}})
	expect(t, checkOne(t, context.Background(), env, &lessons.ContainerRuntimeEnv{Var: "API_TOKEN", Value: "{{.Secret}}"}), Pass,
		"web had API_TOKEN at run time, and the image does not carry it.",
		Evidence{Where: "container web", Detail: "API_TOKEN=… (set at run time)"})

	env, _ = withContainers(t, fakedaemon.Container{Env: []string{"API_TOKEN=canary-someone-else"}})
	r := checkOne(t, context.Background(), env, &lessons.ContainerRuntimeEnv{Var: "API_TOKEN", Value: "{{.Secret}}"})
	expect(t, r, Fail,
		"The newest container of dttest/app:latest (web) had a different value for API_TOKEN than the one this step gives you: export the value from the text, then run it again.",
		Evidence{Where: "container web", Detail: "API_TOKEN=… (another value)"})
}

// Only containers started since the step opened count: one from before
// is not this step's work, and a step never opened has none.
func TestContainerMustBeNewerThanTheStep(t *testing.T) {
	env, _ := withContainers(t, fakedaemon.Container{Env: []string{"API_TOKEN=" + secret}})
	env.Began = time.Now()
	r := checkOne(t, context.Background(), env, &lessons.ContainerRuntimeEnv{Var: "API_TOKEN"})
	if r.Outcome != Fail || r.Message != "The newest container of dttest/app:latest (web) was started before you opened this step: run a new one." {
		t.Fatalf("a container from before the step: %s %q", r.Outcome, r.Message)
	}
	env.Began = time.Time{}
	r = checkOne(t, context.Background(), env, &lessons.ContainerExitCode{})
	if r.Outcome != Fail || !strings.Contains(r.Message, "has not been opened yet") {
		t.Fatalf("a step never opened: %s %q", r.Outcome, r.Message)
	}
}

// Another learner's container of an image with the same content (same
// ID, their own name for it) never counts; the tutor's own container in
// this learner's namespace does, whatever name it was started by.
func TestContainerOfAnotherLearnerDoesNotCount(t *testing.T) {
	env, d := testEnv(t)
	mine, err := lessons.NamedNamespace("ann-0a0a0a")
	if err != nil {
		t.Fatal(err)
	}
	c := &lessons.Course{ID: "c1"}
	st := &lessons.Step{ID: "s1", Image: "dttest/app", Lesson: &lessons.Lesson{ID: "l1"}}
	env.Values = c.Values(st, lessons.Learner{Secret: secret, Workspace: t.TempDir(), Namespace: mine})
	env.Step = st
	ref := env.Values.Image
	env.Began = time.Now().Add(-time.Minute)
	d.AddImage(fakedaemon.Image{ID: appID, Tags: []string{ref + ":latest", "bob-0b0b0b/dttest/app:latest"}})
	d.AddContainer(fakedaemon.Container{Name: "bobs", Image: "bob-0b0b0b/dttest/app:latest", ImageID: appID, Created: time.Now(),
		Env: []string{"API_TOKEN=" + secret}, Labels: labels.For(lessons.Namespace{}, "c1", "s1")})
	r := checkOne(t, context.Background(), env, &lessons.ContainerRuntimeEnv{Var: "API_TOKEN"})
	if r.Outcome != Fail || !strings.Contains(r.Message, "No container of "+ref) {
		t.Fatalf("another learner's container counted: %s %q", r.Outcome, r.Message)
	}
	d.AddContainer(fakedaemon.Container{Name: "tutors", Image: appID, ImageID: appID, Created: time.Now(),
		Env: []string{"API_TOKEN=" + secret}, Labels: labels.For(mine, "c1", "s1")})
	expect(t, checkOne(t, context.Background(), env, &lessons.ContainerRuntimeEnv{Var: "API_TOKEN"}), Pass,
		"tutors had API_TOKEN at run time, and the image does not carry it.",
		Evidence{Where: "container tutors", Detail: "API_TOKEN=… (set at run time)"})
}

func TestContainerExitCode(t *testing.T) {
	env, _ := withContainers(t, fakedaemon.Container{ExitCode: 3})
	expect(t, checkOne(t, context.Background(), env, &lessons.ContainerExitCode{Code: 3}), Pass,
		"web exited with code 3.", Evidence{Where: "container web", Detail: "exited"})
	expect(t, checkOne(t, context.Background(), env, &lessons.ContainerExitCode{}), Fail,
		"web exited with code 3, not 0.", Evidence{Where: "container web", Detail: "exited"})
	env, _ = withContainers(t, fakedaemon.Container{Running: true})
	expect(t, checkOne(t, context.Background(), env, &lessons.ContainerExitCode{}), Fail,
		"web is still running.", Evidence{Where: "container web", Detail: "running"})
}

func TestContainerLog(t *testing.T) {
	env, d := withContainers(t, fakedaemon.Container{Stdout: "starting\nlistening on :8080\n", Stderr: "token " + secret + " loaded\n"})
	expect(t, checkOne(t, context.Background(), env, &lessons.ContainerLog{Contains: "listening on"}), Pass,
		`web logged "listening on".`, Evidence{Where: "logs of web", Detail: "listening on :8080"})
	// The secret never shows as evidence, even when the line is the one
	// looked for.
	expect(t, checkOne(t, context.Background(), env, &lessons.ContainerLog{Contains: "loaded"}), Pass,
		`web logged "loaded".`, Evidence{Where: "logs of web", Detail: "token dt… loaded"})
	expect(t, checkOne(t, context.Background(), env, &lessons.ContainerLog{Contains: "ready"}), Fail,
		`The newest container of dttest/app:latest (web) never logged "ready".`,
		Evidence{Where: "logs of web", Detail: "62 bytes of output"})
	// The old container said hello, web did not.
	if r := checkOne(t, context.Background(), env, &lessons.ContainerLog{Contains: "hello"}); r.Outcome != Fail {
		t.Errorf("an older container's log counted: %s %q", r.Outcome, r.Message)
	}
	d.FailOn("ContainerLogs", errors.New("logs failed"))
	expect(t, checkOne(t, context.Background(), env, &lessons.ContainerLog{Contains: "x"}), Error, "logs failed")
}

// A container with a terminal logs one raw stream, without stdcopy
// frames.
func TestContainerLogTTY(t *testing.T) {
	env, _ := withContainers(t, fakedaemon.Container{Tty: true, Stdout: "ready\r\n"})
	expect(t, checkOne(t, context.Background(), env, &lessons.ContainerLog{Contains: "ready"}), Pass,
		`web logged "ready".`, Evidence{Where: "logs of web", Detail: "ready"})
}

func TestContainerNameFallsBackToShortID(t *testing.T) {
	env, d := testEnv(t)
	env.Began = time.Now().Add(-time.Minute)
	d.AddImage(fakedaemon.Image{ID: appID, Tags: []string{app}})
	d.AddContainer(fakedaemon.Container{ID: "abcdef0123456789abcdef", Image: app, Created: time.Now(), ExitCode: 0})
	r := checkOne(t, context.Background(), env, &lessons.ContainerExitCode{})
	expect(t, r, Pass, "abcdef012345 exited with code 0.", Evidence{Where: "container abcdef012345", Detail: "exited"})
}
