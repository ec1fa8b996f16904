// Package dockertest gives integration tests a real Docker daemon and the
// stand-in base images the course needs. Tests never pull: a stand-in is a
// FROM scratch image with a static busybox, tagged with the official name.
package dockertest

import (
	"archive/tar"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/moby/moby/client"
)

// RequireEnv makes an unreachable daemon a failure instead of a skip.
const RequireEnv = "DOCKERTUTOR_REQUIRE_DOCKER"

// BusyboxPath is where Debian's busybox-static puts its binary; override
// with DOCKERTUTOR_BUSYBOX.
func BusyboxPath() string {
	if p := os.Getenv("DOCKERTUTOR_BUSYBOX"); p != "" {
		return p
	}
	return "/bin/busybox"
}

// Client returns a client for the daemon in the environment (DOCKER_HOST or
// the default socket). Without a daemon the test is skipped, or fails when
// DOCKERTUTOR_REQUIRE_DOCKER=1.
func Client(t testing.TB) *client.Client {
	t.Helper()
	registryLookupsOff()
	cli, err := client.New(client.FromEnv)
	if err == nil {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		_, err = cli.Ping(ctx, client.PingOptions{NegotiateAPIVersion: true})
		cancel()
	}
	if err != nil {
		if os.Getenv(RequireEnv) == "1" {
			t.Fatalf("Docker daemon required (%s=1) but not reachable: %v", RequireEnv, err)
		}
		t.Skipf("no Docker daemon reachable: %v", err)
	}
	t.Cleanup(func() { cli.Close() })
	return cli
}

// offlineRegistriesEnv is check.OfflineRegistriesEnv (check's own tests
// import this package, so it cannot import check).
const offlineRegistriesEnv = "DOCKERTUTOR_OFFLINE_REGISTRIES"

// registryLookupsOff keeps the checks from asking the daemon to look tags
// up on Docker Hub: the build machines send nothing past loopback. A
// value already set (a test's own registry list) is kept.
func registryLookupsOff() {
	if _, set := os.LookupEnv(offlineRegistriesEnv); !set {
		os.Setenv(offlineRegistriesEnv, "docker.io")
	}
}

var standInMu sync.Mutex

// StandIn makes sure an image tagged ref exists, building a busybox stand-in
// when it is missing. An image already present is left as it is.
func StandIn(t testing.TB, cli *client.Client, ref string) {
	t.Helper()
	if err := EnsureStandIn(context.Background(), cli, ref); err != nil {
		t.Fatalf("stand-in %s: %v", ref, err)
	}
}

// EnsureStandIn is StandIn for callers without a testing.TB (the CI setup).
func EnsureStandIn(ctx context.Context, cli *client.Client, ref string) error {
	standInMu.Lock()
	defer standInMu.Unlock()
	if _, err := cli.ImageInspect(ctx, ref); err == nil {
		return nil
	}
	bb, err := os.ReadFile(BusyboxPath())
	if err != nil {
		return fmt.Errorf("read static busybox (apt-get install busybox-static): %w", err)
	}
	dockerfile := "FROM scratch\n" +
		"COPY busybox /bin/busybox\n" +
		"RUN [\"/bin/busybox\", \"--install\", \"-s\", \"/bin\"]\n" +
		"RUN mkdir -p /tmp /etc /usr/bin /usr/share/html && chmod 1777 /tmp\n" +
		"LABEL org.dockertutor.standin=" + strings.ReplaceAll(ref, ":", "_") + "\n" +
		"CMD [\"sh\"]\n"
	ctxTar, err := TarFiles(map[string][]byte{"Dockerfile": []byte(dockerfile), "busybox": bb})
	if err != nil {
		return err
	}
	res, err := cli.ImageBuild(ctx, ctxTar, client.ImageBuildOptions{Tags: []string{ref}, Remove: true, ForceRemove: true})
	if err != nil {
		return err
	}
	defer res.Body.Close()
	out, _ := io.ReadAll(res.Body)
	if bytes.Contains(out, []byte(`"errorDetail"`)) {
		return fmt.Errorf("build failed: %s", out)
	}
	if _, err := cli.ImageInspect(ctx, ref); err != nil {
		return fmt.Errorf("built but not found: %w (output %s)", err, out)
	}
	return nil
}

// TarFiles returns an uncompressed tar of the given files (mode 0755 for
// anything named busybox, else 0644), for use as a build context.
func TarFiles(files map[string][]byte) (io.Reader, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for name, data := range files {
		mode := int64(0o644)
		if strings.HasSuffix(name, "busybox") {
			mode = 0o755
		}
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: mode, Size: int64(len(data)), ModTime: time.Unix(0, 0)}); err != nil {
			return nil, err
		}
		if _, err := tw.Write(data); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return &buf, nil
}

// classicStepImage is an image ID in the classic builder's output, in the
// docker CLI's text or in the Engine API's JSON stream (where ">" comes
// escaped).
var classicStepImage = regexp.MustCompile(`---(?:>|\\u003e) ([0-9a-f]{12})\b`)

// BuiltImages are the image IDs a classic build's output names, in order
// (a FROM step's is its base image).
func BuiltImages(output string) []string {
	var ids []string
	for _, m := range classicStepImage.FindAllStringSubmatch(output, -1) {
		ids = append(ids, m[1])
	}
	return ids
}

// RemoveBuiltOnCleanup removes, when the test ends, the images a classic
// build made, read off its output: a test that builds the way a learner
// does (with the docker CLI, or the API without the tutor) leaves
// untagged step and stage images behind, holding its build args. Newest
// first, never forced: an image something else builds on stays.
func RemoveBuiltOnCleanup(t testing.TB, cli *client.Client, output string) {
	t.Helper()
	ids := BuiltImages(output)
	t.Cleanup(func() {
		ctx := context.Background()
		for i := len(ids) - 1; i >= 0; i-- {
			img, err := cli.ImageInspect(ctx, ids[i])
			if err != nil || len(img.RepoTags) > 0 {
				continue // gone already, or tagged: the test's own cleanup removes it by name
			}
			cli.ImageRemove(ctx, img.ID, client.ImageRemoveOptions{PruneChildren: true})
		}
	})
}

// WriteFiles writes files (slash-separated paths to contents) into a fresh
// folder of the test's and returns the folder: a build context or a step
// folder.
func WriteFiles(t testing.TB, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}
