package check

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dockertutor/dockertutor/exercises/daemon/fakedaemon"
	"github.com/dockertutor/dockertutor/lessons"
)

const (
	secret = "dt-canary-0123456789"
	app    = "dttest/app:latest"
	appID  = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
)

// testEnv is the environment of a check on an empty fake daemon, with a
// step folder of its own.
func testEnv(t *testing.T) (Env, *fakedaemon.Daemon) {
	t.Helper()
	d := fakedaemon.New()
	return Env{
		Step:   &lessons.Step{ID: "s1"},
		Values: lessons.Values{Secret: secret, Workdir: t.TempDir(), Image: app, Step: "s1", Course: "c1"},
		Docker: d,
	}, d
}

// checkOne runs spec as the step's only check and returns its result.
func checkOne(t *testing.T, ctx context.Context, env Env, spec lessons.CheckSpec) Result {
	t.Helper()
	ct, ok := lessons.TypeOfSpec(spec)
	if !ok {
		t.Fatalf("%T is no check type", spec)
	}
	st := *env.Step
	st.Checks = []lessons.Check{{ID: "c", Type: ct.Name, Spec: spec}}
	env.Step = &st
	v := Run(ctx, env)
	if len(v.Results) != 1 {
		t.Fatalf("%d results", len(v.Results))
	}
	if v.Passed != (v.Results[0].Outcome == Pass) {
		t.Fatalf("verdict passed=%v with a %s result", v.Passed, v.Results[0].Outcome)
	}
	return v.Results[0]
}

// expect holds r to an outcome, a message and the evidence, exactly.
func expect(t *testing.T, r Result, outcome Outcome, message string, evidence ...Evidence) {
	t.Helper()
	if r.Outcome != outcome || r.Message != message {
		t.Errorf("got %s %q\nwant %s %q", r.Outcome, r.Message, outcome, message)
	}
	if !slices.Equal(r.Evidence, evidence) {
		t.Errorf("evidence %q\nwant %q", r.Evidence, evidence)
	}
}

// writeFile puts a file in the step folder.
func writeFile(t *testing.T, env Env, name, content string) {
	t.Helper()
	p := filepath.Join(env.Values.Workdir, filepath.FromSlash(name))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// daemonSpecs is one spec of every check type that needs the daemon,
// about the image app.
var daemonSpecs = []lessons.CheckSpec{
	&lessons.ImageExists{}, &lessons.ImageFresh{}, &lessons.ImageFile{Path: "/app"},
	&lessons.ImageEnv{Name: "X"}, &lessons.ImageLabel{Key: "k"}, &lessons.ImageUser{},
	&lessons.ImageSize{Max: "1MB"}, &lessons.LeakAbsent{}, &lessons.LeakFound{},
	&lessons.ContainerRuntimeEnv{Var: "X"}, &lessons.ContainerExitCode{}, &lessons.ContainerLog{Contains: "x"},
	&lessons.TrivyReport{File: "report.json"},
}

func TestDaemonSpecsCoverTheVocabulary(t *testing.T) {
	var want, got []string
	for _, ct := range lessons.CheckTypes() {
		if ct.Daemon == lessons.DaemonNeeded {
			want = append(want, ct.Name)
		}
	}
	for _, s := range daemonSpecs {
		ct, _ := lessons.TypeOfSpec(s)
		got = append(got, ct.Name)
	}
	if !slices.Equal(got, want) {
		t.Fatalf("daemon specs %v, want one of each of %v", got, want)
	}
}

// With no daemon at all, every check that needs one is an error that
// says so, and the verdict is "unreachable", not a failure.
func TestNoDaemon(t *testing.T) {
	for _, spec := range daemonSpecs {
		env, _ := testEnv(t)
		env.Docker, env.DockerErr = nil, errors.New("dial unix /nonexistent.sock: connect: no such file or directory")
		r := checkOne(t, context.Background(), env, spec)
		expect(t, r, Error, "Docker is not reachable: dial unix /nonexistent.sock: connect: no such file or directory")
		if v := (Verdict{Results: []Result{r}}); !v.Unreachable() {
			t.Errorf("%T: not unreachable", spec)
		}
	}
}

// A daemon that goes away between the connection and the check gives the
// same: an error, unreachable.
func TestDaemonGone(t *testing.T) {
	for _, spec := range daemonSpecs {
		env, d := testEnv(t)
		d.AddImage(fakedaemon.Image{ID: appID, Tags: []string{app}})
		d.Stop()
		r := checkOne(t, context.Background(), env, spec)
		if r.Outcome != Error || !strings.HasPrefix(r.Message, "Docker is not reachable: ") || len(r.Evidence) != 0 {
			t.Errorf("%T: %s %q %v", spec, r.Outcome, r.Message, r.Evidence)
		}
		if v := (Verdict{Results: []Result{r}}); !v.Unreachable() {
			t.Errorf("%T: not unreachable", spec)
		}
	}
}

// A cancelled check is an error, never a pass or a failure, and not a
// lost daemon either.
func TestCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for _, spec := range daemonSpecs {
		env, d := testEnv(t)
		d.AddImage(fakedaemon.Image{ID: appID, Tags: []string{app}})
		r := checkOne(t, ctx, env, spec)
		if r.Outcome != Error || !strings.Contains(r.Message, "context canceled") {
			t.Errorf("%T: %s %q", spec, r.Outcome, r.Message)
		}
		if v := (Verdict{Results: []Result{r}}); v.Unreachable() {
			t.Errorf("%T: a cancelled check reads as unreachable", spec)
		}
	}
}

func TestRunVerdict(t *testing.T) {
	env, d := testEnv(t)
	d.AddImage(fakedaemon.Image{ID: appID, Tags: []string{app}, User: "app"})
	env.Step = &lessons.Step{ID: "s1", Checks: []lessons.Check{
		{ID: "exists", Type: "image.exists", Spec: &lessons.ImageExists{}},
		{ID: "user", Type: "image.user", Spec: &lessons.ImageUser{}},
	}}
	v := Run(context.Background(), env)
	if !v.Passed || len(v.Results) != 2 || v.Results[0].ID != "exists" || v.Results[1].Type != "image.user" || v.Step != "s1" {
		t.Fatalf("verdict %+v", v)
	}
	env.Step.Checks = append(env.Step.Checks, lessons.Check{ID: "label", Type: "image.label", Spec: &lessons.ImageLabel{Key: "k"}})
	if v := Run(context.Background(), env); v.Passed || v.Results[2].Outcome != Fail || v.Unreachable() {
		t.Fatalf("verdict %+v", v)
	}
}

// A template the values cannot fill is the course pack's error.
func TestUnfillableSpec(t *testing.T) {
	env, _ := testEnv(t)
	r := checkOne(t, context.Background(), env, &lessons.ImageExists{Image: "{{.Nope}}"})
	if r.Outcome != Error || !strings.HasPrefix(r.Message, `the course pack's check "c" cannot be filled: Image: `) {
		t.Fatalf("%s %q", r.Outcome, r.Message)
	}
}

// A check that panics is an error result, and the tutor goes on.
func TestPanicIsAnError(t *testing.T) {
	env, _ := testEnv(t)
	env.Docker = (*fakedaemon.Daemon)(nil)
	r := checkOne(t, context.Background(), env, &lessons.ImageExists{})
	if r.Outcome != Error || !strings.HasPrefix(r.Message, `internal error in check "c": `) {
		t.Fatalf("%s %q", r.Outcome, r.Message)
	}
}

func TestFmtTime(t *testing.T) {
	if got := fmtTime(time.Time{}); got != "never" {
		t.Errorf("zero time: %q", got)
	}
	at := time.Date(2026, 3, 4, 5, 6, 7, 0, time.Local)
	if got := fmtTime(at); got != "05:06:07 Mar 4" {
		t.Errorf("fmtTime = %q", got)
	}
}
