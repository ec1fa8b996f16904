package tutor

import (
	"context"
	"path"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/moby/moby/api/types/system"
	"github.com/moby/moby/client"

	"github.com/dockertutor/dockertutor/exercises/daemon"
	"github.com/dockertutor/dockertutor/exercises/daemon/fakedaemon"
	"github.com/dockertutor/dockertutor/exercises/engine"
	"github.com/dockertutor/dockertutor/lessons"
)

// The session finds the learner's docker build once, and its checks word
// their advice for it.
func TestChecksKnowTheLearnersDockerBuild(t *testing.T) {
	c := mountCourse(t, nil)
	calls := 0
	s, err := Open(Options{Course: c, WorkspaceRoot: t.TempDir(), StateDir: t.TempDir(),
		DetectDockerBuild: func(context.Context) engine.DockerBuild {
			calls++
			return engine.DockerBuild{Builder: engine.LocalLegacy}
		}})
	if err != nil {
		t.Fatal(err)
	}
	st, _ := c.Step("mount")
	if _, _, err := s.Enter(st); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		v, err := s.Check(context.Background(), st)
		if err != nil || v.Passed || !strings.Contains(v.Results[0].Message, "legacy builder") || !strings.Contains(v.Results[0].Message, "dockertutor run 1.1") {
			t.Fatalf("%+v, %v", v, err)
		}
	}
	if calls != 1 {
		t.Errorf("the docker build was found %d times, want once a session", calls)
	}
}

// A step whose checks advise no build by hand does not run the plugin.
func TestOnlyStepsThatAdviseABuildFindTheDockerBuild(t *testing.T) {
	c, ps := lessons.Load(fstest.MapFS{
		"course.yaml":    {Data: []byte("format: 1\nid: buildtest\ntitle: T\nlessons: [l]\n")},
		"l/lesson.yaml":  {Data: []byte("title: L\nsteps: [pick]\n")},
		"l/pick/step.md": {Data: []byte("---\ntitle: Pick\nkind: quiz\nquiz:\n  choices:\n    - {id: a, text: A, correct: true}\n    - {id: b, text: B}\n---\nWhich?\n")},
	})
	if len(ps) > 0 {
		t.Fatal(ps.Error())
	}
	calls := 0
	s, err := Open(Options{Course: c, WorkspaceRoot: t.TempDir(), StateDir: t.TempDir(),
		DetectDockerBuild: func(context.Context) engine.DockerBuild {
			calls++
			return engine.DockerBuild{Builder: engine.LocalLegacy}
		}})
	if err != nil {
		t.Fatal(err)
	}
	st, _ := c.Step("pick")
	if _, err := s.Check(context.Background(), st); err != nil {
		t.Fatal(err)
	}
	if calls != 0 {
		t.Errorf("a quiz's check found the docker build %d times", calls)
	}
}

// On Podman the advice to build a secret mount by hand is Podman's own
// --secret, whatever the docker CLI has: no docker build can there.
func TestOnPodmanTheAdviceIsPodmanBuild(t *testing.T) {
	c := mountCourse(t, fstest.MapFS{
		"l/run/starter/Dockerfile":  {Data: []byte("FROM alpine:3.22\n")},
		"l/run/solution/Dockerfile": {Data: []byte("FROM alpine:3.22\nCMD [\"env\"]\n")},
		"l/run/step.md": {Data: []byte("---\ntitle: Run\nkind: exercise\nmain: Dockerfile\nimage: buildtest/run\nsecret-needed-at: run\n" +
			"action:\n  build: {}\n  run:\n    env:\n      APP_TOKEN: \"{{.Secret}}\"\n" +
			"checks:\n  - id: env\n    type: container.runtime-env\n    var: APP_TOKEN\n    value: \"{{.Secret}}\"\n" +
			"attempts:\n  - name: none\n    no-action: true\n    fails: [env]\n---\nRun it.\n")},
	})
	d := podmanDaemon()
	s, err := Open(Options{Course: c, WorkspaceRoot: t.TempDir(), StateDir: t.TempDir(),
		Connect: func(context.Context) (daemon.Client, error) { return d, nil },
		DetectDockerBuild: func(context.Context) engine.DockerBuild {
			return engine.DockerBuild{Builder: engine.LocalBuildKit}
		}})
	if err != nil {
		t.Fatal(err)
	}
	st, _ := c.Step("mount")
	if _, _, err := s.Enter(st); err != nil {
		t.Fatal(err)
	}
	if cmd := s.ActionCommand(st); !strings.Contains(cmd, "docker buildx build") {
		t.Errorf("before the engine is known, the command is docker's: %s", cmd)
	}
	if b := s.DockerBuild(context.Background()); b.Builder != engine.LocalPodman || !strings.Contains(b.Basis, "Podman 4.3.1") {
		t.Errorf("docker build = %+v, want Podman's", b)
	}
	// Once known, the command to type is Podman's, with the secret set in
	// the shell before the process substitution reads it.
	p, _ := s.Progress()
	if cmd, want := s.ActionCommand(st), "REPO_TOKEN="+p.Secret+"; podman build "; !strings.HasPrefix(cmd, want) || !strings.Contains(cmd, `--secret id=repo,src=<(printf %s "$REPO_TOKEN")`) {
		t.Errorf("the command on Podman: %s, want it to begin %s", cmd, want)
	}
	v, err := s.Check(context.Background(), st)
	if err != nil || v.Passed || !strings.Contains(v.Results[0].Message, `podman build --secret id=repo,src=<(printf %s "$REPO_TOKEN")`) || !strings.Contains(v.Results[0].Message, "Buildah") {
		t.Fatalf("%+v, %v", v, err)
	}
	// A run is Podman's too.
	run, _ := c.Step("run")
	if cmd, want := s.ActionCommand(run), "podman run --name "; !strings.Contains(cmd, " && APP_TOKEN="+p.Secret+" "+want) || !strings.HasSuffix(cmd, " -e APP_TOKEN "+s.Values(run, p).Image) {
		t.Errorf("the run step's command on Podman: %s, want a %s… -e APP_TOKEN", cmd, want)
	}
}

// mountCourse is a course of one lesson: a step that builds with a
// secret mounted (mount), then the steps of more (their files), in the
// order of their folders' names after it.
func mountCourse(t *testing.T, more fstest.MapFS) *lessons.Course {
	t.Helper()
	fsys := fstest.MapFS{
		"course.yaml":                 {Data: []byte("format: 1\nid: buildtest\ntitle: T\nlessons: [l]\n")},
		"l/mount/starter/Dockerfile":  {Data: []byte("FROM alpine:3.22\nRUN true\n")},
		"l/mount/solution/Dockerfile": {Data: []byte("FROM alpine:3.22\nRUN --mount=type=secret,id=repo true\n")},
		"l/mount/step.md": {Data: []byte("---\ntitle: Mount\nkind: exercise\nmain: Dockerfile\nimage: buildtest/mount\nsecret-needed-at: build\n" +
			"action:\n  build:\n    secrets:\n      repo: \"{{.Secret}}\"\n    builder: buildkit\n" +
			"checks:\n  - id: mount\n    type: dockerfile.secret-mount\n    secret: repo\n" +
			"attempts:\n  - name: none\n    no-action: true\n    fails: [mount]\n---\nMount it.\n")},
	}
	steps := []string{"mount"}
	for name, f := range more {
		fsys[name] = f
		if dir, file := path.Split(name); file == "step.md" {
			steps = append(steps, path.Base(dir))
		}
	}
	slices.Sort(steps[1:])
	fsys["l/lesson.yaml"] = &fstest.MapFile{Data: []byte("title: L\nsteps: [" + strings.Join(steps, ", ") + "]\n")}
	c, ps := lessons.Load(fsys)
	if len(ps) > 0 {
		t.Fatal(ps.Error())
	}
	return c
}

// The status line names Podman and its builder on Podman's Docker API.
func TestDockerStatusNamesPodman(t *testing.T) {
	c := mountCourse(t, nil)
	d := podmanDaemon()
	s, err := Open(Options{Course: c, WorkspaceRoot: t.TempDir(), StateDir: t.TempDir(),
		Connect: func(context.Context) (daemon.Client, error) { return d, nil }})
	if err != nil {
		t.Fatal(err)
	}
	if st := s.DockerStatus(context.Background()); !st.Reachable || st.Engine != "Podman" || st.Version != "4.3.1" || st.Builder != "Buildah" {
		t.Errorf("DockerStatus on Podman = %+v, want Podman 4.3.1 with Buildah", st)
	}
}

// podmanDaemon is an in-memory daemon that answers as Podman 4.3.1's
// Docker API does.
func podmanDaemon() *fakedaemon.Daemon {
	d := fakedaemon.New()
	d.SetVersion(client.ServerVersionResult{Version: "4.3.1", APIVersion: "1.41", Os: "linux",
		Components: []system.ComponentVersion{{Name: "Podman Engine", Version: "4.3.1"}}})
	return d
}
