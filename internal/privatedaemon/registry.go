//go:build linux

package privatedaemon

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/dockertutor/dockertutor/exercises/dockertest"
	"github.com/dockertutor/dockertutor/internal/localregistry"
	"github.com/moby/moby/client"
)

// Registry is Debian's docker-registry running in a private daemon's
// network namespace, on its 127.0.0.1: the daemon reaches it, nothing
// outside the namespace does.
type Registry struct {
	// URL is http://ADDR (Addr, 127.0.0.1:PORT, is the Process's).
	URL string

	*localregistry.Process
}

// StartRegistry starts docker-registry in the daemon's namespace with a
// storage folder of its own and waits until /v2/ answers. It is stopped
// when the test ends, before the daemon.
func (d *Daemon) StartRegistry(t testing.TB) *Registry {
	t.Helper()
	if _, err := exec.LookPath(localregistry.Binary); err != nil {
		unavailable(t, dockertest.RequireEnv, "docker-registry is not installed (apt-get install docker-registry)")
	}
	dir, err := os.MkdirTemp(d.Dir, "registry-")
	if err != nil {
		t.Fatal(err)
	}
	// A test process that dies takes its registry with it, so nothing
	// keeps the namespace alive.
	command := func(name string, args ...string) *exec.Cmd {
		cmd := d.Command(name, args...)
		cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
		return cmd
	}
	// The namespace is this daemon's alone, so a port is free unless
	// another registry of the same test took it: a few tries.
	var lastErr error
	for range 3 {
		port := 20000 + rand.IntN(30000)
		cfg := localregistry.Config{Addr: fmt.Sprintf("127.0.0.1:%d", port), Storage: filepath.Join(dir, "storage"), LogLevel: "info"}
		log := filepath.Join(dir, fmt.Sprintf("registry-%d.log", port))
		p, err := localregistry.Start(command, cfg, filepath.Join(dir, "config.yml"), log)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(p.Stop)
		if lastErr = p.Wait(d.HTTPClient(), 20*time.Second); lastErr == nil {
			return &Registry{URL: "http://" + cfg.Addr, Process: p}
		}
		p.Stop()
	}
	t.Fatalf("docker-registry did not start in %s: %v", d.NetNS, lastErr)
	return nil
}

// completed is the registry's log line of an answered request (logrus
// text format; a value is quoted only when it needs to be).
var (
	completed = regexp.MustCompile(`msg="response completed`)
	logField  = regexp.MustCompile(`(http\.request\.method|http\.request\.uri|http\.response\.status)=("[^"]*"|\S+)`)
)

// Requests are the requests the registry answered so far, in order, as
// "METHOD URI STATUS" ("GET /v2/ 200").
func (r *Registry) Requests() []string {
	var out []string
	for line := range strings.SplitSeq(r.Output(), "\n") {
		if !completed.MatchString(line) {
			continue
		}
		f := map[string]string{}
		for _, m := range logField.FindAllStringSubmatch(line, -1) {
			f[m[1]] = strings.Trim(m[2], `"`)
		}
		out = append(out, f["http.request.method"]+" "+f["http.request.uri"]+" "+f["http.response.status"])
	}
	return out
}

// PushStandIn pushes the daemon's stand-in alpine:3.22 to the registry as
// library/alpine:3.22 (Docker Hub's path, as the registry plays Docker
// Hub's mirror) and returns its repository digest there.
func (r *Registry) PushStandIn(t testing.TB, ctx context.Context, cli *client.Client) string {
	t.Helper()
	ref := r.Addr + "/library/alpine:3.22"
	if _, err := cli.ImageTag(ctx, client.ImageTagOptions{Source: "alpine:3.22", Target: ref}); err != nil {
		t.Fatal(err)
	}
	res, err := cli.ImagePush(ctx, ref, client.ImagePushOptions{RegistryAuth: "e30="})
	if err != nil {
		t.Fatal(err)
	}
	if err := res.Wait(ctx); err != nil {
		t.Fatalf("push %s: %v", ref, err)
	}
	img, err := cli.ImageInspect(ctx, ref)
	if err != nil {
		t.Fatal(err)
	}
	for _, rd := range img.RepoDigests {
		if name, digest, ok := strings.Cut(rd, "@"); ok && name == r.Addr+"/library/alpine" {
			return digest
		}
	}
	t.Fatalf("no digest from %s in %q", r.Addr, img.RepoDigests)
	return ""
}
