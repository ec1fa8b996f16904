package builder

import (
	"context"
	"errors"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	controlapi "github.com/moby/buildkit/api/services/control"
	"github.com/moby/moby/client"

	"github.com/dockertutor/dockertutor/exercises/daemon/fakedaemon"
	"github.com/dockertutor/dockertutor/exercises/dockertest"
	"github.com/dockertutor/dockertutor/exercises/labels"
)

const threeSteps = "FROM alpine:3.22\nRUN echo hi\nRUN false\n"

func TestBuildKitStreamsStepsAndReturnsImage(t *testing.T) {
	fake := newFake(t,
		traceLine(t, &controlapi.StatusResponse{Vertexes: []*controlapi.Vertex{
			{Digest: "d1", Name: "[1/3] FROM docker.io/library/alpine:3.22", Cached: true},
			{Digest: "d2", Name: "[2/3] RUN echo hi", Started: ts(0)},
		}}),
		traceLine(t, &controlapi.StatusResponse{Logs: []*controlapi.VertexLog{
			{Vertex: "d2", Stream: 1, Msg: []byte("hel")},
			{Vertex: "d2", Stream: 1, Msg: []byte("lo\nwor")},
			{Vertex: "d2", Stream: 2, Msg: []byte("oops\n")},
		}}),
		traceLine(t, &controlapi.StatusResponse{Logs: []*controlapi.VertexLog{
			{Vertex: "d2", Stream: 1, Msg: []byte("ld")},
		}}),
		// BuildKit resends a vertex whenever it changes; the start must
		// not be reported twice.
		traceLine(t, &controlapi.StatusResponse{Vertexes: []*controlapi.Vertex{
			{Digest: "d2", Name: "[2/3] RUN echo hi", Started: ts(0), Completed: ts(1500 * time.Millisecond)},
		}}),
		traceLine(t, &controlapi.StatusResponse{Warnings: []*controlapi.VertexWarning{
			{Vertex: "d2", Short: []byte("SecretsUsedInArgOrEnv: Do not use ARG or ENV instructions for sensitive data")},
		}}),
		`{"stream":"Successfully tagged dttest:1\n"}`,
		`{"id":"moby.image.id","aux":{"ID":"sha256:0123"}}`,
	)
	dir := dockertest.WriteFiles(t, map[string]string{"Dockerfile": threeSteps})
	var got collect
	res, err := Build(context.Background(), fake, Options{
		Course: "security", Step: "buildarg", Dir: dir, Tags: []string{"dttest:1"},
		BuildArgs: []BuildArg{{Name: "KEY", Value: "v"}},
		Target:    "final", NoCache: true,
		Labels:  map[string]string{"team": "blue", labels.Step: "forged"},
		Builder: BuildKit,
	}, got.add)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"cached [1/3] FROM docker.io/library/alpine:3.22: cached",
		"started [2/3] RUN echo hi",
		"log   hello",
		"log   oops",
		"log   world",
		"done [2/3] RUN echo hi: done in 1.5s",
		"warning warning: SecretsUsedInArgOrEnv: Do not use ARG or ENV instructions for sensitive data",
		"info Successfully tagged dttest:1",
	}
	if !slices.Equal(got.lines(), want) {
		t.Errorf("events:\n%s\nwant:\n%s", strings.Join(got.lines(), "\n"), strings.Join(want, "\n"))
	}
	if !got.events[3].Stderr || got.events[2].Stderr {
		t.Errorf("stderr marks wrong: %+v", got.events[2:4])
	}
	if res.ImageID != "sha256:0123" || res.Builder != BuildKit || len(res.Warnings) != 1 {
		t.Errorf("result = %+v", res)
	}

	if len(fake.Builds()) != 1 {
		t.Fatalf("%d build requests", len(fake.Builds()))
	}
	o := fake.Builds()[0]
	if o.Version != "2" || o.SessionID == "" || o.BuildID == "" || o.RemoteContext != "client-session" || o.Dockerfile != "Dockerfile" {
		t.Errorf("BuildKit request options: version %q session %q build %q remote %q dockerfile %q", o.Version, o.SessionID, o.BuildID, o.RemoteContext, o.Dockerfile)
	}
	if o.Target != "final" || !o.NoCache || *o.BuildArgs["KEY"] != "v" || !slices.Equal(o.Tags, []string{"dttest:1"}) {
		t.Errorf("options not passed: %+v", o)
	}
	if o.Labels["team"] != "blue" || o.Labels[labels.Step] != "buildarg" || o.Labels[labels.Course] != "security" || o.Labels[labels.Tool] != labels.ToolName {
		t.Errorf("labels = %v, want the tutor's (winning over a forged one) and the caller's", o.Labels)
	}
	if fake.Called("DialHijack") != 1 {
		t.Errorf("session dialled %d times", fake.Called("DialHijack"))
	}
}

func TestBuildKitFailureNamesStepAndLine(t *testing.T) {
	fake := newFake(t,
		traceLine(t, &controlapi.StatusResponse{Vertexes: []*controlapi.Vertex{
			{Digest: "d3", Name: "[3/3] RUN false", Started: ts(0), Completed: ts(time.Second), Error: "executor failed running [/bin/sh -c false]: exit code: 1"},
			{Digest: "d9", Name: "[other 2/2] RUN sleep 9", Started: ts(0), Completed: ts(time.Second), Error: "context canceled"},
		}}),
		`{"errorDetail":{"message":"executor failed running [/bin/sh -c false]: exit code: 1"},"error":"executor failed running [/bin/sh -c false]: exit code: 1"}`,
	)
	dir := dockertest.WriteFiles(t, map[string]string{"Dockerfile": threeSteps})
	_, err := Build(context.Background(), fake, Options{Course: "c", Step: "s", Dir: dir}, nil)
	var be *BuildError
	if !errors.As(err, &be) {
		t.Fatalf("err = %v, want a BuildError", err)
	}
	if be.Step != "[3/3] RUN false" || be.Line != 3 || be.Builder != BuildKit || !strings.Contains(be.Message, "exit code: 1") {
		t.Errorf("BuildError = %+v", be)
	}
	if want := "build failed at Dockerfile line 3 in [3/3] RUN false: executor failed"; !strings.HasPrefix(err.Error(), want) {
		t.Errorf("message %q, want prefix %q", err, want)
	}
}

func TestMissingBaseImageIsNamed(t *testing.T) {
	dockerfile := "ARG BASE=alpine\nFROM ${BASE}:1 AS build\nRUN true\nFROM build\n"
	msg := `failed to solve with frontend dockerfile.v0: failed to create LLB definition: failed to do request: Head "https://registry-1.docker.io/v2/library/nosuch/manifests/1": dial tcp: lookup registry-1.docker.io: no such host`
	for _, tc := range []struct {
		name, missing string
		present       bool
	}{
		{name: "missing locally", missing: "nosuch:1"},
		{name: "present locally, so the cause is elsewhere", present: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fake := newFake(t,
				traceLine(t, &controlapi.StatusResponse{Vertexes: []*controlapi.Vertex{
					{Digest: "m", Name: "[internal] load metadata for docker.io/library/nosuch:1", Started: ts(0), Completed: ts(time.Second), Error: "failed to do request"},
				}}),
				`{"errorDetail":{"message":`+quote(msg)+`}}`,
			)
			if tc.present {
				fake.AddImage(fakedaemon.Image{Tags: []string{"nosuch:1"}})
			}
			dir := dockertest.WriteFiles(t, map[string]string{"Dockerfile": dockerfile})
			_, err := Build(context.Background(), fake, Options{Course: "c", Step: "s", Dir: dir, BuildArgs: []BuildArg{{Name: "BASE", Value: "nosuch"}}}, nil)
			var be *BuildError
			if !errors.As(err, &be) {
				t.Fatalf("err = %v", err)
			}
			if be.MissingImage != tc.missing {
				t.Errorf("MissingImage = %q, want %q", be.MissingImage, tc.missing)
			}
			if tc.missing != "" {
				if be.Line != 2 || !strings.Contains(err.Error(), `base image "nosuch:1" is not on this Docker daemon and could not be pulled (Dockerfile line 2)`) {
					t.Errorf("line %d, message %q", be.Line, err)
				}
			}
		})
	}
}

func TestBuildKitCancelStopsBuildAndReadsAborted(t *testing.T) {
	fake := newFake(t)
	started := make(chan struct{})
	fake.OnBuild(func(ctx context.Context, _ client.ImageBuildOptions) (io.ReadCloser, error) {
		pr, pw := io.Pipe()
		go func() {
			pw.Write([]byte(traceLine(t, &controlapi.StatusResponse{Vertexes: []*controlapi.Vertex{{Digest: "s", Name: "[2/2] RUN sleep 30", Started: ts(0)}}}) + "\n"))
			<-ctx.Done() // the daemon keeps building until told otherwise
			pw.CloseWithError(ctx.Err())
		}()
		return pr, nil
	})
	dir := dockertest.WriteFiles(t, map[string]string{"Dockerfile": "FROM alpine:3.22\nRUN sleep 30\n"})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		_, err := Build(ctx, fake, Options{Course: "c", Step: "s", Dir: dir}, func(e Event) {
			if e.Kind == StepStarted {
				close(started)
			}
		})
		done <- err
	}()
	<-started
	cancel()
	var err error
	select {
	case err = <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Build did not return after cancel")
	}
	if !errors.Is(err, ErrAborted) || !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want ErrAborted and context.Canceled", err)
	}
	if len(fake.Cancelled()) != 1 || fake.Cancelled()[0] != fake.Builds()[0].BuildID {
		t.Errorf("BuildCancel calls %v, want the build id %q", fake.Cancelled(), fake.Builds()[0].BuildID)
	}
}

func TestAutoFallsBackToClassicWhenSessionIsRefused(t *testing.T) {
	fake := newFake(t,
		`{"stream":"Step 1/1 : FROM alpine:3.22\n"}`,
		`{"aux":{"ID":"sha256:c1a55"}}`,
		`{"stream":"Successfully built c1a55\n"}`,
	)
	fake.FailOn("DialHijack", errors.New("404 page not found"))
	dir := dockertest.WriteFiles(t, map[string]string{"Dockerfile": "FROM alpine:3.22\n"})
	var got collect
	res, err := Build(context.Background(), fake, Options{Course: "c", Step: "s", Dir: dir}, got.add)
	if err != nil {
		t.Fatal(err)
	}
	if res.Builder != Classic || res.ImageID != "sha256:c1a55" {
		t.Errorf("result = %+v", res)
	}
	if len(res.Warnings) == 0 || !strings.Contains(res.Warnings[0], "the classic builder ran this build") || !strings.Contains(res.Warnings[0], "404 page not found") {
		t.Errorf("warnings = %q, want the fallback and why", res.Warnings)
	}
	if len(fake.Builds()) != 1 || fake.Builds()[0].Version != "1" {
		t.Errorf("builds = %+v, want one classic build", fake.Builds())
	}
	if got.events[0].Kind != Warning {
		t.Errorf("first event %v, want the fallback warning", got.events[0])
	}

	t.Run("a Dockerfile that needs BuildKit is refused", func(t *testing.T) {
		fake := newFake(t)
		fake.FailOn("DialHijack", errors.New("404 page not found"))
		dir := dockertest.WriteFiles(t, map[string]string{"Dockerfile": "FROM alpine:3.22\n\nRUN --mount=type=secret,id=repo cat /run/secrets/repo\n"})
		_, err := Build(context.Background(), fake, Options{Course: "c", Step: "s", Dir: dir}, nil)
		if !errors.Is(err, ErrNeedsBuildKit) || !strings.Contains(err.Error(), "line 3") || !strings.Contains(err.Error(), "404 page not found") {
			t.Errorf("err = %v, want ErrNeedsBuildKit naming line 3 and why BuildKit is missing", err)
		}
		if len(fake.Builds()) != 0 {
			t.Errorf("a build was sent: %+v", fake.Builds())
		}
	})
	t.Run("BuildKit asked for explicitly", func(t *testing.T) {
		fake := newFake(t)
		fake.FailOn("DialHijack", errors.New("404 page not found"))
		_, err := Build(context.Background(), fake, Options{Course: "c", Step: "s", Dir: dir, Builder: BuildKit}, nil)
		if !errors.Is(err, ErrBuildKitUnavailable) {
			t.Errorf("err = %v, want ErrBuildKitUnavailable", err)
		}
	})
	t.Run("Windows daemon", func(t *testing.T) {
		fake := newFake(t, `{"aux":{"ID":"sha256:w"}}`)
		fake.SetPing(client.PingResult{APIVersion: "1.41", OSType: "windows"})
		res, err := Build(context.Background(), fake, Options{Course: "c", Step: "s", Dir: dir}, nil)
		if err != nil || res.Builder != Classic || fake.Called("DialHijack") != 0 {
			t.Errorf("res %+v err %v dialled %d, want classic without a session", res, err, fake.Called("DialHijack"))
		}
	})
}

func TestClassicContextHonoursDockerignore(t *testing.T) {
	fake := newFake(t, `{"aux":{"ID":"sha256:c"}}`)
	dir := dockertest.WriteFiles(t, map[string]string{
		"docker/Dockerfile": "FROM alpine:3.22\nCOPY . /ctx\n",
		".dockerignore":     "secret.txt\nignored/\ndocker/\n",
		"keep.txt":          "keep",
		"secret.txt":        "s3cr3t",
		"ignored/x":         "x",
	})
	if _, err := Build(context.Background(), fake, Options{Course: "c", Step: "s", Dir: dir, Dockerfile: "docker/Dockerfile", Builder: Classic}, nil); err != nil {
		t.Fatal(err)
	}
	files := slices.Sorted(maps.Keys(fake.BuildContext()))
	// The Dockerfile and .dockerignore go even when excluded: the daemon
	// reads them. Folders may appear as entries; only files matter here.
	var regular []string
	for _, f := range files {
		if !strings.HasSuffix(f, "/") {
			regular = append(regular, f)
		}
	}
	if want := []string{".dockerignore", "docker/Dockerfile", "keep.txt"}; !slices.Equal(regular, want) {
		t.Errorf("context files %v, want %v", regular, want)
	}
	if fake.Builds()[0].Dockerfile != "docker/Dockerfile" || fake.Builds()[0].Version != "1" || !fake.Builds()[0].ForceRemove {
		t.Errorf("classic options %+v", fake.Builds()[0])
	}
}

func TestClassicOutputBecomesEvents(t *testing.T) {
	fake := newFake(t,
		`{"stream":"Step 1/4 : FROM alpine:3.22\n"}`,
		`{"stream":" ---\u003e f8e044237288\n"}`,
		`{"stream":"Step 2/4 : ARG KEY\n"}`,
		`{"stream":" ---\u003e Using cache\n"}`,
		`{"stream":" ---\u003e b32f84db23a2\n"}`,
		`{"stream":"Step 3/4 : RUN echo out \u0026\u0026 echo err \u003e\u00262\n"}`,
		`{"stream":" ---\u003e Running in c718c81c79ff\n"}`,
		`{"stream":"\u001b[91merr\n"}`,
		`{"stream":"\u001b[0mou"}`,
		`{"stream":"t\n"}`,
		`{"stream":"Removing intermediate container c718c81c79ff\n"}`,
		`{"stream":" ---\u003e 87cfe1637f3a\n"}`,
		`{"stream":"[Warning] One or more build-args [UNUSED] were not consumed\n"}`,
		`{"aux":{"ID":"sha256:87cf"}}`,
		`{"stream":"Successfully built 87cfe1637f3a\n"}`,
	)
	dir := dockertest.WriteFiles(t, map[string]string{"Dockerfile": "FROM alpine:3.22\nARG KEY\nRUN echo out && echo err >&2\n"})
	var got collect
	res, err := Build(context.Background(), fake, Options{Course: "c", Step: "s", Dir: dir, Builder: Classic}, got.add)
	if err != nil {
		t.Fatal(err)
	}
	var steps, images []string
	var logs []Event
	for _, e := range got.events {
		switch e.Kind {
		case StepStarted, StepCached, StepDone:
			steps = append(steps, e.Kind.String()+" "+e.Step)
		case StepLog:
			logs = append(logs, e)
		case StepImage:
			images = append(images, e.Image)
		}
	}
	// The FROM step's id is the base image and the cached step's an image
	// made before: only the RUN step's is this build's own.
	if !slices.Equal(images, []string{"87cfe1637f3a"}) {
		t.Errorf("step images %v, want only the RUN step's 87cfe1637f3a", images)
	}
	wantSteps := []string{
		"started Step 1/4 : FROM alpine:3.22",
		"done Step 1/4 : FROM alpine:3.22",
		"started Step 2/4 : ARG KEY",
		"cached Step 2/4 : ARG KEY",
		"started Step 3/4 : RUN echo out && echo err >&2",
		"done Step 3/4 : RUN echo out && echo err >&2",
	}
	if !slices.Equal(steps, wantSteps) {
		t.Errorf("steps:\n%s", strings.Join(steps, "\n"))
	}
	if len(logs) != 2 || logs[0].Text != "err" || !logs[0].Stderr || logs[1].Text != "out" || logs[1].Stderr {
		t.Errorf("logs = %+v, want err (stderr) then out, without colour escapes", logs)
	}
	if res.ImageID != "sha256:87cf" || !slices.Equal(res.Warnings, []string{"One or more build-args [UNUSED] were not consumed"}) {
		t.Errorf("result = %+v", res)
	}
	if len(fake.Removed()) != 0 {
		t.Errorf("a successful build removed containers %v", fake.Removed())
	}
}

func TestClassicFailureRemovesItsContainerAndNamesTheStep(t *testing.T) {
	fake := newFake(t,
		`{"stream":"Step 1/3 : FROM alpine:3.22\n"}`,
		`{"stream":"Step 2/3 : RUN echo hi\n"}`,
		`{"stream":" ---\u003e Running in aaa111\n"}`,
		`{"stream":"Removing intermediate container aaa111\n"}`,
		`{"stream":"Step 3/3 : RUN false\n"}`,
		`{"stream":" ---\u003e Running in bbb222\n"}`,
		`{"errorDetail":{"code":1,"message":"The command '/bin/sh -c false' returned a non-zero code: 1"},"error":"The command '/bin/sh -c false' returned a non-zero code: 1"}`,
	)
	// The daemon of this build keeps its steps' containers.
	fake.AddContainer(fakedaemon.Container{ID: "aaa111"})
	fake.AddContainer(fakedaemon.Container{ID: "bbb222"})
	dir := dockertest.WriteFiles(t, map[string]string{"Dockerfile": threeSteps})
	_, err := Build(context.Background(), fake, Options{Course: "c", Step: "s", Dir: dir, Builder: Classic}, nil)
	var be *BuildError
	if !errors.As(err, &be) || be.Step != "Step 3/3 : RUN false" || be.Line != 3 || be.Builder != Classic {
		t.Fatalf("err = %v (%+v)", err, be)
	}
	if !slices.Equal(fake.Removed(), []string{"aaa111", "bbb222"}) || len(fake.Containers()) != 0 {
		t.Errorf("removed %v, want the build's intermediate containers", fake.Removed())
	}
}

func TestDaemonSayingRequiresBuildKit(t *testing.T) {
	msg := "the --mount option requires BuildKit. Refer to https://docs.docker.com/go/buildkit/ to learn how to build images with BuildKit enabled"
	fake := newFake(t, `{"stream":"Step 1/2 : FROM alpine:3.22\n"}`, `{"errorDetail":{"message":`+quote(msg)+`}}`)
	dir := dockertest.WriteFiles(t, map[string]string{"Dockerfile": "FROM alpine:3.22\nRUN true\n"})
	_, err := Build(context.Background(), fake, Options{Course: "c", Step: "s", Dir: dir, Builder: Classic}, nil)
	var be *BuildError
	if !errors.Is(err, ErrNeedsBuildKit) || !errors.As(err, &be) || be.Message != msg {
		t.Errorf("err = %v, want ErrNeedsBuildKit wrapping the daemon's BuildError", err)
	}
}

func TestBrokenStreamIsALostDaemon(t *testing.T) {
	for _, tc := range []struct {
		name   string
		output string
		broken bool
	}{
		{"connection drops mid-message", `{"stream":"Step 1/2 : FROM alpine:3.22\n"}` + "\n" + `{"stream":"Ste`, true},
		{"output ends without a result", `{"stream":"Step 1/2 : FROM alpine:3.22\n"}`, false},
	} {
		for _, kind := range []Kind{Classic, BuildKit} {
			t.Run(tc.name+"/"+string(kind), func(t *testing.T) {
				fake := newFake(t)
				fake.OnBuild(func(context.Context, client.ImageBuildOptions) (io.ReadCloser, error) {
					var r io.Reader = strings.NewReader(tc.output)
					if tc.broken {
						r = io.MultiReader(r, errReader{io.ErrUnexpectedEOF})
					}
					return io.NopCloser(r), nil
				})
				dir := dockertest.WriteFiles(t, map[string]string{"Dockerfile": "FROM alpine:3.22\nRUN sleep 30\n"})
				_, err := Build(context.Background(), fake, Options{Course: "c", Step: "s", Dir: dir, Builder: kind}, nil)
				if err == nil || errors.Is(err, ErrAborted) || !strings.Contains(err.Error(), "lost the Docker daemon during the build") {
					t.Errorf("err = %v, want a lost-daemon error", err)
				}
			})
		}
	}
}

type errReader struct{ err error }

func (r errReader) Read([]byte) (int, error) { return 0, r.err }

func TestBadOptionsAreRefusedBeforeAnyCall(t *testing.T) {
	dir := dockertest.WriteFiles(t, map[string]string{"Dockerfile": "FROM alpine:3.22\n", "sub/file": "x"})
	ok := Options{Course: "c", Step: "s", Dir: dir}
	for _, tc := range []struct {
		name string
		edit func(*Options)
		want string
	}{
		{"no course", func(o *Options) { o.Course = "" }, "course and step"},
		{"no dir", func(o *Options) { o.Dir = "" }, "no build context"},
		{"missing dir", func(o *Options) { o.Dir = filepath.Join(dir, "nope") }, "no such file"},
		{"dir is a file", func(o *Options) { o.Dir = filepath.Join(dir, "Dockerfile") }, "is not a folder"},
		{"missing Dockerfile", func(o *Options) { o.Dockerfile = "Dockerfile.dev" }, "read the Dockerfile"},
		{"Dockerfile outside", func(o *Options) { o.Dockerfile = "../Dockerfile" }, "leaves the build context"},
		{"bad tag", func(o *Options) { o.Tags = []string{"Bad Tag"} }, `image name "Bad Tag"`},
		{"digest tag", func(o *Options) { o.Tags = []string{"alpine@sha256:" + strings.Repeat("a", 64)} }, "digest"},
		{"bad arg", func(o *Options) { o.BuildArgs = []BuildArg{{Name: "A=B"}} }, "build arg name"},
		{"secret without source", func(o *Options) { o.Secrets = []Secret{{ID: "repo"}} }, "has no source"},
		{"duplicate secret", func(o *Options) { o.Secrets = []Secret{{ID: "a", Value: []byte("1")}, {ID: "a", Value: []byte("2")}} }, "given twice"},
		{"unset env secret", func(o *Options) { o.Secrets = []Secret{{ID: "a", Env: "DTTEST_SURELY_UNSET_VAR"}} }, "DTTEST_SURELY_UNSET_VAR is not set"},
		{"missing file secret", func(o *Options) { o.Secrets = []Secret{{ID: "a", File: filepath.Join(dir, "nope")}} }, "no such file"},
		{"unknown builder", func(o *Options) { o.Builder = "kaniko" }, `unknown builder "kaniko"`},
		{"classic with secrets", func(o *Options) { o.Builder = Classic; o.Secrets = []Secret{{ID: "a", Value: []byte("1")}} }, "needs BuildKit"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fake := newFake(t)
			o := ok
			tc.edit(&o)
			_, err := Build(context.Background(), fake, o, nil)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want it to mention %q", err, tc.want)
			}
			if len(fake.Builds()) != 0 {
				t.Errorf("a build was sent")
			}
		})
	}
}

func TestSecretSources(t *testing.T) {
	file := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(file, []byte("from-file"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("DTTEST_BUILDER_TOKEN", "from-env")
	for _, tc := range []struct {
		s    Secret
		want string
	}{
		{Secret{ID: "a", Value: []byte("in-memory"), Env: "IGNORED_WHEN_VALUE_SET"}, "in-memory"},
		{Secret{ID: "a", Env: "DTTEST_BUILDER_TOKEN"}, "from-env"},
		{Secret{ID: "a", File: file}, "from-file"},
	} {
		got, err := tc.s.resolve()
		if err != nil || string(got) != tc.want {
			t.Errorf("%+v: %q, %v; want %q", tc.s, got, err, tc.want)
		}
	}
	big := filepath.Join(t.TempDir(), "big")
	if err := os.WriteFile(big, make([]byte, maxSecretSize+1), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := (Secret{ID: "big", File: big}).resolve(); err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Errorf("oversized secret: %v", err)
	}
}

func TestDetect(t *testing.T) {
	for _, tc := range []struct {
		ping         client.PingResult
		buildKit     bool
		defaultKind  Kind
		reasonSubstr string
	}{
		{client.PingResult{APIVersion: "1.41", OSType: "linux"}, true, Classic, "API 1.41"},
		{client.PingResult{APIVersion: "1.52", OSType: "linux", BuilderVersion: "2"}, true, BuildKit, "names BuildKit"},
		{client.PingResult{APIVersion: "1.45", OSType: "linux", BuilderVersion: "1"}, true, Classic, "classic builder as its default"},
		{client.PingResult{APIVersion: "1.44", OSType: "windows", BuilderVersion: "1"}, false, Classic, "Windows"},
	} {
		fake := fakedaemon.New()
		fake.SetPing(tc.ping)
		got, err := Detect(context.Background(), fake)
		if err != nil {
			t.Fatal(err)
		}
		if got.BuildKit != tc.buildKit || got.Default != tc.defaultKind || !strings.Contains(got.Reason, tc.reasonSubstr) {
			t.Errorf("%+v: got %+v", tc.ping, got)
		}
	}
	down := fakedaemon.New()
	down.FailOn("Ping", errors.New("connection refused"))
	if _, err := Detect(context.Background(), down); err == nil || !strings.Contains(err.Error(), "connection refused") {
		t.Errorf("ping failure: %v", err)
	}
}

func TestEventString(t *testing.T) {
	for _, tc := range []struct {
		e    Event
		want string
	}{
		{Event{Kind: StepStarted, Step: "[2/3] RUN make"}, "[2/3] RUN make"},
		{Event{Kind: StepCached, Step: "[2/3] RUN make"}, "[2/3] RUN make: cached"},
		{Event{Kind: StepDone, Step: "[2/3] RUN make", Elapsed: 1234567 * time.Microsecond}, "[2/3] RUN make: done in 1.2s"},
		{Event{Kind: StepDone, Step: "s", Elapsed: 41234 * time.Microsecond}, "s: done in 41ms"},
		{Event{Kind: StepFailed, Step: "[2/3] RUN make", Text: "exit code: 2"}, "[2/3] RUN make: failed: exit code: 2"},
		{Event{Kind: StepLog, Text: "hello"}, "  hello"},
		{Event{Kind: Warning, Text: "careful"}, "warning: careful"},
		{Event{Kind: Info, Text: "Successfully tagged x"}, "Successfully tagged x"},
	} {
		if got := tc.e.String(); got != tc.want {
			t.Errorf("%+v: %q, want %q", tc.e, got, tc.want)
		}
	}
}

func quote(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`)
	return `"` + r.Replace(s) + `"`
}
