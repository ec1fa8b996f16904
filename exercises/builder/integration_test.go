package builder_test

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dockertutor/dockertutor/exercises/builder"
	"github.com/dockertutor/dockertutor/exercises/dockertest"
)

func TestBuildArgLandsInHistory(t *testing.T) {
	cli := daemon(t)
	for _, kind := range bothBuilders {
		t.Run(string(kind), func(t *testing.T) {
			t.Parallel()
			base := newBase(t, cli)
			canary := unique(t) + "-canary"
			dir := dockertest.WriteFiles(t, map[string]string{"Dockerfile": "FROM " + base + "\nARG BUILD_REPO_SECRET\nRUN echo built > /built\n"})
			res, err := build(t, cli, builder.Options{Dir: dir, Builder: kind, BuildArgs: []builder.BuildArg{{Name: "BUILD_REPO_SECRET", Value: canary, Secret: true}}}, nil)
			if err != nil {
				t.Fatal(err)
			}
			if res.Builder != kind {
				t.Errorf("built with %s, want %s", res.Builder, kind)
			}
			want := "|1 BUILD_REPO_SECRET=" + canary + " /bin/sh -c echo built > /built"
			if kind == builder.BuildKit {
				want = "RUN " + want + " # buildkit"
			}
			h := history(t, cli, res.ImageID)
			if !slices.Contains(h, want) {
				t.Errorf("history lacks %q:\n%s", want, strings.Join(h, "\n"))
			}
		})
	}
}

func TestSecretMountLeavesNoTrace(t *testing.T) {
	cli := daemon(t)
	base := newBase(t, cli)
	values := map[string]string{
		"mem":  unique(t) + "-from-memory",
		"env":  unique(t) + "-from-env",
		"file": unique(t) + "-from-file",
	}
	t.Setenv("DTTEST_BUILDER_SECRET", values["env"])
	dir := dockertest.WriteFiles(t, map[string]string{
		"Dockerfile": "FROM " + base + "\n" +
			"RUN --mount=type=secret,id=mem --mount=type=secret,id=env --mount=type=secret,id=file \\\n" +
			"    sha256sum < /run/secrets/mem > /mem.sum && sha256sum < /run/secrets/env > /env.sum && sha256sum < /run/secrets/file > /file.sum\n",
	})
	secretFile := dockertest.WriteFiles(t, map[string]string{"token": values["file"]}) + "/token"
	tag := unique(t) + ":1"
	// The build cache keys a RUN on its text and inputs, not on the
	// secrets it mounts: without NoCache an earlier run's result is reused.
	res, err := build(t, cli, builder.Options{Dir: dir, Tags: []string{tag}, Builder: builder.Auto, NoCache: true, Secrets: []builder.Secret{
		{ID: "mem", Value: []byte(values["mem"])},
		{ID: "env", Env: "DTTEST_BUILDER_SECRET"},
		{ID: "file", File: secretFile},
	}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Builder != builder.BuildKit {
		t.Errorf("Auto chose %s on a daemon with BuildKit", res.Builder)
	}
	// The RUN read each secret: the checksums it wrote match.
	for id, v := range values {
		got, ok := fileInImage(t, cli, tag, "/"+id+".sum")
		want := fmt.Sprintf("%x", sha256.Sum256([]byte(v)))
		if !ok || strings.Fields(got + " -")[0] != want {
			t.Errorf("/%s.sum = %q (found %v), want %s", id, got, ok, want)
		}
	}
	h := strings.Join(history(t, cli, tag), "\n")
	raw := rawInspect(t, cli, tag)
	for id, v := range values {
		if strings.Contains(h, v) {
			t.Errorf("secret %s is in the history", id)
		}
		if strings.Contains(raw, v) {
			t.Errorf("secret %s is in the inspect JSON", id)
		}
		if savedImageHolds(t, cli, tag, v) {
			t.Errorf("secret %s is in docker save's output", id)
		}
	}
	// The same check does find a value that is there, so the absence above
	// means something.
	if !savedImageHolds(t, cli, tag, "run/secrets/mem") {
		t.Errorf("docker save's output does not even hold the RUN line")
	}
}

func TestClassicBuilderRefusesMount(t *testing.T) {
	cli := daemon(t)
	dir := dockertest.WriteFiles(t, map[string]string{"Dockerfile": "FROM alpine:3.22\nRUN --mount=type=secret,id=repo cat /run/secrets/repo\n"})
	_, err := build(t, cli, builder.Options{Dir: dir, Builder: builder.Classic}, nil)
	if !errors.Is(err, builder.ErrNeedsBuildKit) || !strings.Contains(err.Error(), "RUN --mount on Dockerfile line 2") {
		t.Errorf("err = %v, want ErrNeedsBuildKit naming line 2", err)
	}
}

func TestMultiStageTargetAndLabels(t *testing.T) {
	cli := daemon(t)
	for _, kind := range bothBuilders {
		t.Run(string(kind), func(t *testing.T) {
			t.Parallel()
			base := newBase(t, cli)
			dir := dockertest.WriteFiles(t, map[string]string{"Dockerfile": "FROM " + base + " AS build\nRUN echo build-stage > /stage\n\nFROM " + base + " AS final\nRUN echo final-stage > /stage\n"})
			tag := unique(t) + ":1"
			_, err := build(t, cli, builder.Options{
				Course: "security", Step: "multistage", Dir: dir, Tags: []string{tag}, Builder: kind, Target: "build",
				Labels: map[string]string{"org.example.team": "blue"},
			}, nil)
			if err != nil {
				t.Fatal(err)
			}
			if got, _ := fileInImage(t, cli, tag, "/stage"); got != "build-stage\n" {
				t.Errorf("/stage = %q, want the target stage's", got)
			}
			l := imageLabels(t, cli, tag)
			if !tutorLabelsPresent(l, "security", "multistage") || l["org.example.team"] != "blue" {
				t.Errorf("labels = %v", l)
			}
		})
	}
}

func TestDockerignoreIsHonoured(t *testing.T) {
	cli := daemon(t)
	for _, kind := range bothBuilders {
		t.Run(string(kind), func(t *testing.T) {
			t.Parallel()
			base := newBase(t, cli)
			dir := dockertest.WriteFiles(t, map[string]string{
				"Dockerfile":        "FROM " + base + "\nCOPY . /ctx/\n",
				".dockerignore":     "secret.txt\nnode_modules\n",
				"keep.txt":          "keep",
				"secret.txt":        "s3cr3t",
				"node_modules/x.js": "x",
			})
			tag := unique(t) + ":1"
			if _, err := build(t, cli, builder.Options{Dir: dir, Tags: []string{tag}, Builder: kind}, nil); err != nil {
				t.Fatal(err)
			}
			if got, ok := fileInImage(t, cli, tag, "/ctx/keep.txt"); !ok || got != "keep" {
				t.Errorf("/ctx/keep.txt = %q (found %v)", got, ok)
			}
			for _, p := range []string{"/ctx/secret.txt", "/ctx/node_modules"} {
				if _, ok := fileInImage(t, cli, tag, p); ok {
					t.Errorf("%s is in the image despite .dockerignore", p)
				}
			}
		})
	}
}

func TestFailingStepNamesStepLineAndOutput(t *testing.T) {
	cli := daemon(t)
	for _, kind := range bothBuilders {
		t.Run(string(kind), func(t *testing.T) {
			t.Parallel()
			base := newBase(t, cli)
			dir := dockertest.WriteFiles(t, map[string]string{"Dockerfile": "FROM " + base + "\nRUN echo out && echo err >&2\nRUN exit 3\n"})
			var mu sync.Mutex
			var logs []builder.Event
			_, err := build(t, cli, builder.Options{Dir: dir, Builder: kind, NoCache: true}, func(e builder.Event) {
				if e.Kind == builder.StepLog {
					mu.Lock()
					logs = append(logs, e)
					mu.Unlock()
				}
			})
			var be *builder.BuildError
			if !errors.As(err, &be) {
				t.Fatalf("err = %v, want a BuildError", err)
			}
			if be.Line != 3 || !strings.Contains(be.Step, "RUN exit 3") || !strings.Contains(be.Message, "3") {
				t.Errorf("BuildError = %+v", be)
			}
			var sawOut, sawErr bool
			for _, e := range logs {
				sawOut = sawOut || (e.Text == "out" && !e.Stderr)
				sawErr = sawErr || (e.Text == "err" && e.Stderr)
			}
			if !sawOut || !sawErr {
				t.Errorf("log events %+v, want out on stdout and err on stderr", logs)
			}
		})
	}
}

func TestSyntaxErrorNamesLine(t *testing.T) {
	cli := daemon(t)
	for _, kind := range bothBuilders {
		t.Run(string(kind), func(t *testing.T) {
			t.Parallel()
			dir := dockertest.WriteFiles(t, map[string]string{"Dockerfile": "FROM alpine:3.22\n\nRUNN true\n"})
			_, err := build(t, cli, builder.Options{Dir: dir, Builder: kind}, nil)
			var be *builder.BuildError
			if !errors.As(err, &be) || be.Line != 3 || !strings.Contains(err.Error(), "Dockerfile line 3") || !strings.Contains(err.Error(), "RUNN") {
				t.Errorf("err = %v, want a BuildError at line 3", err)
			}
		})
	}
}

func TestMissingBaseImageIsClear(t *testing.T) {
	cli := daemon(t)
	for _, kind := range bothBuilders {
		t.Run(string(kind), func(t *testing.T) {
			t.Parallel()
			ref := unique(t) + "-missing:1"
			dir := dockertest.WriteFiles(t, map[string]string{"Dockerfile": "FROM " + ref + "\nRUN true\n"})
			_, err := build(t, cli, builder.Options{Dir: dir, Builder: kind}, nil)
			var be *builder.BuildError
			if !errors.As(err, &be) || be.MissingImage != ref || be.Line != 1 {
				t.Fatalf("err = %v, want a BuildError naming %s", err, ref)
			}
			if want := fmt.Sprintf("base image %q is not on this Docker daemon and could not be pulled", ref); !strings.Contains(err.Error(), want) {
				t.Errorf("message %q lacks %q", err, want)
			}
		})
	}
}

func TestCancelAbortsAndLeavesNoContainer(t *testing.T) {
	cli := daemon(t)
	for _, kind := range bothBuilders {
		t.Run(string(kind), func(t *testing.T) {
			t.Parallel()
			base := newBase(t, cli)
			if before := containersFrom(t, cli, base); len(before) != 0 {
				t.Fatalf("containers from a fresh base: %v", before)
			}
			dir := dockertest.WriteFiles(t, map[string]string{"Dockerfile": "FROM " + base + "\nRUN sleep 30\n"})
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			done := startUntil(t, 60*time.Second, func(onEvent func(builder.Event)) error {
				_, err := buildCtx(ctx, t, cli, builder.Options{Dir: dir, Builder: kind, NoCache: true}, onEvent)
				return err
			}, func(e builder.Event) bool {
				// Classic: the step's container exists once the daemon
				// says "Running in"; BuildKit: the step has started.
				return (kind == builder.Classic && e.Kind == builder.Info && strings.Contains(e.Text, "Running in")) ||
					(kind == builder.BuildKit && e.Kind == builder.StepStarted && strings.Contains(e.Step, "RUN sleep 30"))
			})
			if kind == builder.Classic {
				// The filter does see the build's container while it runs.
				if during := containersFrom(t, cli, base); len(during) != 1 {
					t.Errorf("containers during the build: %v, want the step's one", during)
				}
			}
			time.Sleep(500 * time.Millisecond) // let the step really run
			cancelAt := time.Now()
			cancel()
			var err error
			select {
			case err = <-done:
			case <-time.After(10 * time.Second):
				t.Fatal("Build did not return within 10s of the cancel")
			}
			took := time.Since(cancelAt)
			t.Logf("%s build returned %v after the cancel", kind, took.Round(time.Millisecond))
			// Removing the classic step's running container takes the
			// daemon 1.5s when idle, 2-5s on a loaded machine.
			if took > 10*time.Second {
				t.Errorf("Build took %v to return after the cancel", took)
			}
			if !errors.Is(err, builder.ErrAborted) || !errors.Is(err, context.Canceled) {
				t.Errorf("err = %v, want ErrAborted", err)
			}
			if after := containersFrom(t, cli, base); len(after) != 0 {
				t.Errorf("containers left behind: %v", after)
			}
		})
	}
}
