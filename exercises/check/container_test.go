package check

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/dockertutor/dockertutor/exercises/daemon/fakedaemon"
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
	d.AddImage(fakedaemon.Image{ID: appID, Tags: []string{app}})
	d.AddContainer(fakedaemon.Container{ID: "abcdef0123456789abcdef", Image: app, ExitCode: 0})
	r := checkOne(t, context.Background(), env, &lessons.ContainerExitCode{})
	expect(t, r, Pass, "abcdef012345 exited with code 0.", Evidence{Where: "container abcdef012345", Detail: "exited"})
}
