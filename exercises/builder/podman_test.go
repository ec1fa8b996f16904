package builder

import (
	"archive/tar"
	"context"
	"encoding/json"
	"errors"
	"io"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/moby/moby/api/types/system"
	"github.com/moby/moby/client"

	"github.com/dockertutor/dockertutor/exercises/daemon/fakedaemon"
	"github.com/dockertutor/dockertutor/exercises/labels"
)

// podmanFake is the fake daemon answering as Podman 4.3 does, with a
// /build on loopback that keeps what it was sent and answers with
// Buildah's output.
type podmanFake struct {
	*fakedaemon.Daemon
	srv *httptest.Server

	mu    sync.Mutex
	query url.Values
	files map[string]string
}

func newPodmanFake(t *testing.T, output ...string) *podmanFake {
	p := &podmanFake{Daemon: fakedaemon.New()}
	p.SetVersion(client.ServerVersionResult{Version: "4.3.1", APIVersion: "1.41", Os: "linux",
		Components: []system.ComponentVersion{{Name: "Podman Engine", Version: "4.3.1"}}})
	p.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		files := map[string]string{}
		tr := tar.NewReader(r.Body)
		for {
			h, err := tr.Next()
			if err != nil {
				break
			}
			b, _ := io.ReadAll(tr)
			files[h.Name] = string(b)
		}
		p.mu.Lock()
		p.query, p.files = r.URL.Query(), files
		p.mu.Unlock()
		if r.URL.Path != "/build" {
			http.NotFound(w, r)
			return
		}
		io.WriteString(w, strings.Join(output, "\n"))
	}))
	t.Cleanup(p.srv.Close)
	return p
}

func (p *podmanFake) Dialer() func(context.Context) (net.Conn, error) {
	return func(ctx context.Context) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "tcp", p.srv.Listener.Addr().String())
	}
}

// buildahRun is Buildah's answer to a two-step build with a secret mount,
// as Podman 4.3 streams it.
var buildahRun = []string{
	`{"stream":"STEP 1/2: FROM alpine:3.22\n"}`,
	`{"stream":"STEP 2/2: RUN --mount=type=secret,id=repo,required=true wc -c \u003c /run/secrets/repo\n"}`,
	`{"stream":"9\n"}`,
	`{"stream":"COMMIT docker.io/dockertutor/secretmount\n"}`,
	`{"stream":"--\u003e 6cf235497b4\n"}`,
	`{"stream":"Successfully tagged docker.io/dockertutor/secretmount:latest\n"}`,
	`{"stream":"6cf235497b4d3c9977334957e0bc3a544da1930e0d760b82ff1ba4360e6c5756\n"}`,
	`{"aux":{"ID":"sha256:6cf235497b4d3c9977334957e0bc3a544da1930e0d760b82ff1ba4360e6c5756"}}`,
	`{"stream":"Successfully built 6cf235497b4d\n"}`,
}

func TestPodmanBuildsSecretMountsWithBuildah(t *testing.T) {
	d := newPodmanFake(t, buildahRun...)
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte("FROM alpine:3.22\nRUN --mount=type=secret,id=repo,required=true wc -c < /run/secrets/repo\n"), 0o644)
	var c collect
	res, err := Build(context.Background(), d, Options{
		Course: "c", Step: "s", Dir: dir, Tags: []string{"dockertutor/secretmount"},
		BuildArgs: []BuildArg{{Name: "BUILD_REPO_SECRET", Value: "canary-42"}},
		Secrets:   []Secret{{ID: "repo", Value: []byte("canary-42")}},
		Builder:   BuildKit, NoCache: true,
	}, c.add)
	if err != nil {
		t.Fatal(err)
	}
	if res.Builder != Buildah || !strings.HasPrefix(res.ImageID, "sha256:6cf2354") {
		t.Errorf("result %+v", res)
	}
	if len(res.Warnings) == 0 || res.Warnings[0] != buildahWarning {
		t.Errorf("warnings %q, want the one saying Buildah built it", res.Warnings)
	}

	d.mu.Lock()
	q, files := d.query, d.files
	d.mu.Unlock()
	var secrets []string
	if err := json.Unmarshal([]byte(q.Get("secrets")), &secrets); err != nil || len(secrets) != 1 {
		t.Fatalf("secrets parameter %q: %v", q.Get("secrets"), err)
	}
	id, src, _ := strings.Cut(secrets[0], ",src=")
	if id != "id=repo" || files[src] != "canary-42" {
		t.Errorf("secret %q; context files %v: the secret must travel in the context under the name the parameter gives", secrets[0], slices.Sorted(maps.Keys(files)))
	}
	if files["Dockerfile"] == "" {
		t.Error("the Dockerfile is not in the context")
	}
	var l map[string]string
	json.Unmarshal([]byte(q.Get("labels")), &l)
	for k, v := range labels.For(Options{}.Namespace, "c", "s") {
		if l[k] != v {
			t.Errorf("label %s = %q, want %q (the tutor's labels on everything it builds)", k, l[k], v)
		}
	}
	if q.Get("nocache") != "1" || q["t"][0] != "dockertutor/secretmount" || !strings.Contains(q.Get("buildargs"), "BUILD_REPO_SECRET") {
		t.Errorf("query %v", q)
	}

	got := strings.Join(c.lines(), "\n")
	for _, want := range []string{
		"started STEP 2/2: RUN --mount=type=secret",
		"image --> 6cf235497b4",
		buildahWarning,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("events lack %q:\n%s", want, got)
		}
	}
}

func TestPodmanBuildFailureNamesTheStep(t *testing.T) {
	d := newPodmanFake(t,
		`{"stream":"STEP 1/2: FROM alpine:3.22\n"}`,
		`{"stream":"STEP 2/2: RUN --mount=type=secret,id=token,required=true cat /run/secrets/token\n"}`,
		`{"errorDetail":{"message":"secret required but no secret with id token found"},"error":"building at STEP \"RUN --mount=type=secret,id=token,required=true cat /run/secrets/token\": secret required but no secret with id token found\n"}`,
	)
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte("FROM alpine:3.22\nRUN --mount=type=secret,id=token,required=true cat /run/secrets/token\n"), 0o644)
	_, err := Build(context.Background(), d, Options{Course: "c", Step: "s", Dir: dir, Tags: []string{"x"}}, nil)
	var be *BuildError
	if !errors.As(err, &be) || be.Builder != Buildah || !strings.Contains(be.Step, "STEP 2/2") || !strings.Contains(be.Message, "no secret with id token") {
		t.Fatalf("err = %v, want a Buildah BuildError at step 2", err)
	}
}

func TestPodmanRefusalIsOneSentence(t *testing.T) {
	d := newPodmanFake(t)
	d.srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.WriteHeader(http.StatusBadRequest)
		io.WriteString(w, `{"cause":"bad","message":"secrets: invalid character","response":400}`)
	})
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte("FROM alpine:3.22\n"), 0o644)
	_, err := Build(context.Background(), d, Options{Course: "c", Step: "s", Dir: dir, Tags: []string{"x"}}, nil)
	if err == nil || !strings.Contains(err.Error(), "secrets: invalid character") {
		t.Fatalf("err = %v, want the daemon's message", err)
	}
}

func TestBuildahOutputReadsCacheAndStages(t *testing.T) {
	var c collect
	o := &buildahOutput{buildSteps: buildSteps{emit: c.add, now: func() time.Time { return t0 }}}
	for _, l := range []string{
		"[1/2] STEP 1/2: FROM alpine:3.22 AS build",
		"[1/2] STEP 2/2: RUN echo a",
		"--> Using cache 6b611e41ae8b6101f98936f222b772de03b20df7dc312e559fd2f226f142753a",
		"--> 6b611e41ae8",
		"[2/2] STEP 1/2: FROM alpine:3.22",
		"[2/2] STEP 2/2: COPY --from=build /a /a",
		"--> 7cfacd6e383",
	} {
		o.line(l)
	}
	got := strings.Join(c.lines(), "\n")
	for _, want := range []string{"cached [1/2] STEP 2/2: RUN echo a", "image --> 7cfacd6e383"} {
		if !strings.Contains(got, want) {
			t.Errorf("events lack %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "image --> 6b611e41ae8") {
		t.Errorf("a cached step made no image:\n%s", got)
	}
}
