package runner

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/api/types/system"
	"github.com/moby/moby/client"

	"github.com/dockertutor/dockertutor/exercises/daemon/fakedaemon"
	"github.com/dockertutor/dockertutor/exercises/labels"
	"github.com/dockertutor/dockertutor/lessons"
)

func TestRunStreamsLinesAndReturnsExitCode(t *testing.T) {
	fake := newFake(t)
	fake.Run(fakedaemon.Program{Frames: []fakedaemon.Frame{
		{Stream: 1, Text: "hel"},
		{Stream: 1, Text: "lo\nsecond line\r\n"},
		{Stream: 2, Text: "warn"},
		{Stream: 2, Text: "ing\n"},
		{Stream: 1, Text: "no line end"},
	}, ExitCode: 3})
	var got lines
	res, err := Run(context.Background(), fake, Options{
		Course: "security", Step: "runtime-env", Image: "envtest:1",
		Env: []EnvVar{{Name: "API_TOKEN", Value: "t0k3n", Secret: true}, {Name: "MODE", Value: "demo"}},
		Cmd: []string{"sh", "-c", "env"},
	}, got.add)
	if err != nil {
		t.Fatal(err)
	}
	want := []Line{{"hello", false}, {"second line", false}, {"warning", true}, {"no line end", false}}
	if !slices.Equal(got.all(), want) {
		t.Errorf("lines %+v, want %+v", got.all(), want)
	}
	if res.ExitCode != 3 || res.Stdout != "hello\nsecond line\r\nno line end" || res.Stderr != "warning\n" || res.Removed {
		t.Errorf("result %+v", res)
	}
	cs := fake.Containers()
	if len(cs) != 1 || res.Name != "dockertutor-security-runtime-env" || res.ContainerID != cs[0].ID {
		t.Fatalf("name %q id %q, containers %+v", res.Name, res.ContainerID, cs)
	}
	c := cs[0]
	if c.Name != res.Name || c.Image != "envtest:1" || !slices.Equal(c.Env, []string{"API_TOKEN=t0k3n", "MODE=demo"}) || !slices.Equal(c.Cmd, []string{"sh", "-c", "env"}) {
		t.Errorf("created %+v", c)
	}
	if !labels.OwnedBy(c.Labels, lessons.Namespace{}, "security", "runtime-env") {
		t.Errorf("labels %v", c.Labels)
	}
	if c.Running || c.ExitCode != 3 {
		t.Errorf("kept container running %v, exit code %d", c.Running, c.ExitCode)
	}
	// The lookup for the step's earlier containers filters by all three labels.
	labelFilter := fake.ListFilters()[0]["label"]
	for _, l := range []string{labels.Tool + "=" + labels.ToolName, labels.Course + "=security", labels.Step + "=runtime-env"} {
		if !labelFilter[l] {
			t.Errorf("list filter %v lacks %s", labelFilter, l)
		}
	}
}

func TestRunRemovesWhenAsked(t *testing.T) {
	fake := newFake(t)
	res, err := Run(context.Background(), fake, Options{Course: "c", Step: "s", Image: "i", Remove: true}, nil)
	if err != nil || !res.Removed || !slices.Equal(fake.Removed(), []string{res.ContainerID}) || len(fake.Containers()) != 0 {
		t.Errorf("res %+v err %v removed %v", res, err, fake.Removed())
	}
}

func TestRunTimeoutKillsAndKeeps(t *testing.T) {
	fake := newFake(t)
	fake.Run(fakedaemon.Program{Frames: []fakedaemon.Frame{{Stream: 1, Text: "working\n"}}, Hang: true})
	start := time.Now()
	res, err := Run(context.Background(), fake, Options{Course: "c", Step: "s", Image: "i", Timeout: 100 * time.Millisecond}, nil)
	if !errors.Is(err, ErrTimeout) {
		t.Fatalf("err = %v, want ErrTimeout", err)
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("returned after %v", took)
	}
	if fake.Called("ContainerKill") != 1 || len(fake.Removed()) != 0 || len(fake.Containers()) != 1 {
		t.Errorf("calls %v, want killed and kept", fake.Calls())
	}
	if res.ExitCode != 137 || res.Stdout != "working\n" {
		t.Errorf("result %+v, want the kill's exit code and the output so far", res)
	}
}

func TestRunCancelRemovesContainer(t *testing.T) {
	fake := newFake(t)
	fake.Run(fakedaemon.Program{Frames: []fakedaemon.Frame{{Stream: 1, Text: "started\n"}}, Hang: true})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	res, err := Run(ctx, fake, Options{Course: "c", Step: "s", Image: "i"}, func(l Line) {
		if l.Text == "started" {
			cancel()
		}
	})
	if !errors.Is(err, ErrAborted) || !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want ErrAborted", err)
	}
	if !res.Removed || !slices.Equal(fake.Removed(), []string{res.ContainerID}) {
		t.Errorf("res %+v removed %v", res, fake.Removed())
	}
}

func TestRunCancelDuringStartRemovesContainer(t *testing.T) {
	fake := newFake(t)
	fake.Run(fakedaemon.Program{BlockStart: true})
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	res, err := Run(ctx, fake, Options{Course: "c", Step: "s", Image: "i"}, nil)
	if !errors.Is(err, ErrAborted) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want ErrAborted", err)
	}
	if !res.Removed || !slices.Equal(fake.Removed(), []string{res.ContainerID}) || len(fake.Containers()) != 0 {
		t.Errorf("res %+v removed %v", res, fake.Removed())
	}
}

func TestPreviousContainerOfTheStep(t *testing.T) {
	mine := labels.For(lessons.Namespace{}, "c", "s")
	other := labels.For(lessons.Namespace{}, "c", "other-step")
	proof, err := lessons.NamedNamespace("dtproof-1")
	if err != nil {
		t.Fatal(err)
	}
	provers := labels.For(proof, "c", "s")
	for _, tc := range []struct {
		name          string
		there         fakedaemon.Container
		ignoresLabels bool
		wantErr       string
		wantRemoved   []string
	}{
		{
			name:        "labelled for the step: removed",
			there:       fakedaemon.Container{ID: "old1", Labels: mine},
			wantRemoved: []string{"old1"},
		},
		{
			name:        "holding the name, labelled for the step: removed",
			there:       fakedaemon.Container{ID: "old2", Name: "dockertutor-c-s", Labels: mine},
			wantRemoved: []string{"old2"},
		},
		{
			name:    "holding the name, not the tutor's: left alone",
			there:   fakedaemon.Container{ID: "learners", Name: "dockertutor-c-s", Labels: map[string]string{"x": "y"}},
			wantErr: "dockertutor did not make it for this step; remove it (docker rm -f dockertutor-c-s)",
		},
		{
			name:    "holding the name, the tutor's for another step: left alone",
			there:   fakedaemon.Container{ID: "another", Name: "dockertutor-c-s", Labels: other},
			wantErr: "did not make it for this step",
		},
		{
			name:          "listed by a daemon that ignores a label term: checked again",
			there:         fakedaemon.Container{ID: "another", Labels: other},
			ignoresLabels: true,
		},
		{
			name:  "labelled for the step in a proof's namespace: left alone",
			there: fakedaemon.Container{ID: "provers", Labels: provers},
		},
		{
			name:    "holding the name, the step's in a proof's namespace: left alone",
			there:   fakedaemon.Container{ID: "provers", Name: "dockertutor-c-s", Labels: provers},
			wantErr: "did not make it for this step",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fake := newFake(t)
			fake.IgnoreLabelFilters = tc.ignoresLabels
			tc.there.Image = "i"
			fake.AddContainer(tc.there)
			_, err := Run(context.Background(), fake, Options{Course: "c", Step: "s", Image: "i"}, nil)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Errorf("err = %v, want %q", err, tc.wantErr)
				}
				if fake.Called("ContainerCreate") != 0 {
					t.Errorf("a container was created despite the conflict")
				}
			} else if err != nil {
				t.Fatal(err)
			}
			// The new container itself is not removed (kept by default).
			if !slices.Equal(fake.Removed(), tc.wantRemoved) {
				t.Errorf("removed %v, want %v", fake.Removed(), tc.wantRemoved)
			}
		})
	}
}

func TestRunRefusesBadOptions(t *testing.T) {
	for _, tc := range []struct {
		opts Options
		want string
	}{
		{Options{Step: "s", Image: "i"}, "course and step"},
		{Options{Course: "c", Step: "s"}, "no image"},
		{Options{Course: "c", Step: "s", Image: "i", Name: "-bad"}, "container name"},
		{Options{Course: "c", Step: "s", Image: "i", Env: []EnvVar{{Name: "1X"}}}, "environment variable name"},
		{Options{Course: "c", Step: "s", Image: "i", Env: []EnvVar{{Name: "A=B"}}}, "environment variable name"},
	} {
		fake := newFake(t)
		_, err := Run(context.Background(), fake, tc.opts, nil)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: err = %v, want %q", tc.opts, err, tc.want)
		}
		if len(fake.Calls()) != 0 {
			t.Errorf("%+v: the daemon was called", tc.opts)
		}
	}
}

func TestMissingImageIsClear(t *testing.T) {
	fake := fakedaemon.New()
	_, err := Run(context.Background(), fake, Options{Course: "c", Step: "s", Image: "envtest:1"}, nil)
	if err == nil || !strings.Contains(err.Error(), `image "envtest:1" is not on this Docker daemon (build it first)`) {
		t.Errorf("err = %v", err)
	}
}

func TestOutputIsBounded(t *testing.T) {
	fake := newFake(t)
	big := strings.Repeat("x", 1000) + "\n"
	var frames []fakedaemon.Frame
	for range MaxOutput/len(big) + 10 {
		frames = append(frames, fakedaemon.Frame{Stream: 1, Text: big})
	}
	fake.Run(fakedaemon.Program{Frames: frames})
	n := 0
	res, err := Run(context.Background(), fake, Options{Course: "c", Step: "s", Image: "i"}, func(Line) { n++ })
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Stdout) != MaxOutput || !res.Truncated || n != len(frames) {
		t.Errorf("kept %d bytes (truncated %v), streamed %d of %d lines", len(res.Stdout), res.Truncated, n, len(frames))
	}
}

func TestContainerName(t *testing.T) {
	for in, want := range map[[2]string]string{
		{"security-caveats", "runtime-env"}:  "dockertutor-security-caveats-runtime-env",
		{"Security Caveats", "Step 3: Env!"}: "dockertutor-security-caveats-step-3-env",
		{"a.b", "c_d"}:                       "dockertutor-a.b-c_d",
	} {
		if got := ContainerName(in[0], in[1]); got != want || !containerName.MatchString(got) {
			t.Errorf("ContainerName(%q, %q) = %q, want %q", in[0], in[1], got, want)
		}
	}
}

func TestCommand(t *testing.T) {
	for _, tc := range []struct {
		opts Options
		want string
	}{
		{
			Options{Course: "security", Step: "runtime-env", Image: "envtest:1",
				Env: []EnvVar{{Name: "API_TOKEN", Value: "t0k3n", Secret: true}, {Name: "GREETING", Value: "hello world"}}},
			"docker run --name dockertutor-security-runtime-env -e API_TOKEN -e 'GREETING=hello world' envtest:1",
		},
		{
			Options{Course: "c", Step: "s", Name: "mine", Image: "alpine:3.22", Remove: true, Cmd: []string{"sh", "-c", "echo $API_TOKEN"}},
			`docker run --name mine --rm alpine:3.22 sh -c 'echo $API_TOKEN'`,
		},
	} {
		if got := Command(tc.opts); got != tc.want {
			t.Errorf("Command:\n got %s\nwant %s", got, tc.want)
		}
		if got, want := PodmanCommand(tc.opts), "podman"+strings.TrimPrefix(tc.want, "docker"); got != want {
			t.Errorf("PodmanCommand:\n got %s\nwant %s", got, want)
		}
	}
}

// A run in a private namespace names its container and labels it with the
// namespace, looks only for the namespace's earlier containers, and leaves
// the learner's container of the same step alone.
func TestRunInANamespace(t *testing.T) {
	ns, err := lessons.NamedNamespace("dtproof-1")
	if err != nil {
		t.Fatal(err)
	}
	fake := newFake(t)
	learners := labels.For(lessons.Namespace{}, "c", "s")
	fake.AddContainer(fakedaemon.Container{ID: "learners", Name: "dockertutor-c-s", Image: "i", Labels: learners})
	res, err := Run(context.Background(), fake, Options{Namespace: ns, Course: "c", Step: "s", Image: "i"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Name != "dockertutor-dtproof-1-c-s" {
		t.Errorf("name %q", res.Name)
	}
	var made *fakedaemon.Container
	for _, c := range fake.Containers() {
		if c.ID != "learners" {
			made = &c
		}
	}
	if made == nil {
		t.Fatal("no container was made")
	}
	if l := made.Labels; !labels.OwnedBy(l, ns, "c", "s") || labels.OwnedBy(l, lessons.Namespace{}, "c", "s") {
		t.Errorf("labels %v", l)
	}
	if f := fake.ListFilters()[0]["label"]; !f[labels.Namespace+"=dtproof-1"] {
		t.Errorf("list filter %v lacks the namespace", f)
	}
	if len(fake.Removed()) != 0 {
		t.Errorf("removed %v: the learner's container", fake.Removed())
	}
	if cmd := Command(Options{Namespace: ns, Course: "c", Step: "s", Image: "i"}); !strings.Contains(cmd, "--name dockertutor-dtproof-1-c-s ") {
		t.Errorf("command %q", cmd)
	}
}

// Podman refuses an attach before the start: there the output comes from
// the logs, followed once the container started, and nothing attaches.
func TestOnPodmanRunFollowsTheLogs(t *testing.T) {
	fake := newFake(t)
	fake.SetVersion(client.ServerVersionResult{Version: "4.3.1", APIVersion: "1.41", Os: "linux",
		Components: []system.ComponentVersion{{Name: "Podman Engine", Version: "4.3.1"}}})
	fake.Run(fakedaemon.Program{Frames: []fakedaemon.Frame{
		{Stream: 1, Text: "one\n"},
		{Stream: 2, Text: "two\n"},
		{Stream: 1, Text: "three"},
	}, ExitCode: 2})
	var got lines
	res, err := Run(context.Background(), fake, Options{Course: "c", Step: "s", Image: "i"}, got.add)
	if err != nil {
		t.Fatal(err)
	}
	if res.ExitCode != 2 || res.Stdout != "one\nthree" || res.Stderr != "two\n" {
		t.Errorf("result %+v", res)
	}
	if len(got.all()) != 3 {
		t.Errorf("lines %+v", got.all())
	}
	if n := fake.Called("ContainerAttach"); n != 0 {
		t.Errorf("attached %d times on Podman", n)
	}
	if fake.Called("ContainerLogs") != 1 {
		t.Errorf("calls %v: want the logs followed once", fake.Calls())
	}
}
