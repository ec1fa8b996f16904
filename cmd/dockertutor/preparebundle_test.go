package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/dockertutor/dockertutor/exercises/dockertest"
	"github.com/dockertutor/dockertutor/lab/bundle"
	"github.com/dockertutor/dockertutor/lessons"
)

func TestDaemonJSONLines(t *testing.T) {
	for hostPort, want := range map[string]string{
		"127.0.0.1:5000":    `{"registry-mirrors": ["http://127.0.0.1:5000"]}`,
		"localhost:5000":    `{"registry-mirrors": ["http://localhost:5000"]}`,
		"192.168.1.20:5000": `{"registry-mirrors": ["http://192.168.1.20:5000"], "insecure-registries": ["192.168.1.20:5000"]}`,
	} {
		if got := daemonJSONLines(hostPort); got != want {
			t.Errorf("%s: %s, want %s", hostPort, got, want)
		}
	}
}

func TestNormalPlatform(t *testing.T) {
	for in, want := range map[string]string{"linux/x86_64": "linux/amd64", "linux/aarch64": "linux/arm64", "linux/arm64": "linux/arm64"} {
		if got := normalPlatform(in); got != want {
			t.Errorf("%s: %s, want %s", in, got, want)
		}
	}
}

// The containerd image store came with API 1.43: below it, prepare
// --from needs no Info to know the store.
func TestClassicStoreOnly(t *testing.T) {
	for api, want := range map[string]bool{"1.41": true, "1.42": true, "1.43": false, "1.56": false, "": false} {
		if got := classicStoreOnly(api); got != want {
			t.Errorf("API %q: %v, want %v", api, got, want)
		}
	}
}

// --bundle writes the course pack and its pinned images (from a registry
// on loopback, with the daemon's platform); --serve checks the file and
// serves its images until its context ends.
func TestPrepareBundleAndServe(t *testing.T) {
	dockertest.Client(t) // --bundle asks the daemon its platform and mirrors
	t.Setenv("DOCKERTUTOR_OFFLINE_REGISTRIES", "docker.io")
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	defer srv.Close()
	img, err := random.Image(4096, 1)
	if err != nil {
		t.Fatal(err)
	}
	cf, _ := img.ConfigFile()
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture = "linux", runtime.GOARCH
	img, _ = mutate.ConfigFile(img, cf)
	ref := strings.TrimPrefix(srv.URL, "http://") + "/dockertutor-test-prepare/tool:1"
	tag, _ := name.NewTag(ref)
	if err := remote.Write(tag, img); err != nil {
		t.Fatal(err)
	}
	digest, _ := img.Digest()

	pack := t.TempDir()
	if err := os.CopyFS(pack, os.DirFS("testdata/pack")); err != nil {
		t.Fatal(err)
	}
	manifest, _ := os.ReadFile(filepath.Join(pack, "course.yaml"))
	manifest = fmt.Appendf(manifest, "images:\n  - ref: %s\n    digest: %s\n    why: the test's image\n", ref, digest)
	os.WriteFile(filepath.Join(pack, "course.yaml"), manifest, 0o644)

	path := filepath.Join(t.TempDir(), "lab.bundle")
	var out, errb bytes.Buffer
	streams := &IO{In: strings.NewReader(""), Out: &out, Err: &errb, Width: 80}
	if code := run(t.Context(), streams, []string{"--course", pack, "prepare", "--bundle", path}); code != 0 {
		t.Fatalf("exit %d: %s %s", code, out.String(), errb.String())
	}
	b, err := bundle.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Verify(t.Context(), nil); err != nil {
		t.Fatal(err)
	}
	ims := b.Images()
	if len(ims) != 1 || ims[0].Digest != digest.String() || ims[0].Platforms[0] != "linux/"+runtime.GOARCH {
		t.Errorf("images %+v", ims)
	}
	cfs, err := b.CourseFS()
	if err != nil {
		t.Fatal(err)
	}
	if c, ps := lessons.Load(cfs); len(ps) > 0 || c.ID != "fixture" {
		t.Errorf("the bundle's course pack does not load: %v", ps)
	}
	b.Close()

	// --serve on a free port: it answers as a registry, prints the pull,
	// and stops with its context.
	ctx, cancel := context.WithCancel(t.Context())
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() { done <- serveBundle(ctx, pw, path, "127.0.0.1:0"); pw.Close() }()
	lines := bufio.NewScanner(pr)
	var addr string
	for lines.Scan() {
		if rest, ok := strings.CutPrefix(lines.Text(), "Serving the images of "); ok {
			addr = strings.TrimSuffix(rest[strings.LastIndex(rest, " ")+1:], ".")
		}
		if strings.Contains(lines.Text(), "docker pull ") {
			break
		}
	}
	go io.Copy(io.Discard, pr)
	resp, err := http.Get("http://" + addr + "/v2/dockertutor-test-prepare/tool/manifests/" + digest.String())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("the served manifest: %d", resp.StatusCode)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("serve: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("serve did not stop within 10 s of its context ending")
	}
}
