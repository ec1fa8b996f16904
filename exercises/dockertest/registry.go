package dockertest

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/distribution/reference"
	"github.com/dockertutor/dockertutor/internal/localregistry"
	"github.com/dockertutor/dockertutor/lessons"
	"github.com/moby/moby/api/types/registry"
	"github.com/moby/moby/client"
	"golang.org/x/crypto/bcrypt"
)

// Registry is Debian's docker-registry serving on a free port of
// 127.0.0.1 for one test, its storage in the test's temp folder. The
// daemon pulls from and pushes to 127.0.0.0/8 over plain http, so no TLS
// is needed.
type Registry struct {
	// Addr is host:port, the start of the image names it holds.
	Addr string
	// User and Password are set on a registry that asks for them
	// (StartAuthRegistry); Push signs in with them.
	User, Password string
}

// StartRegistry runs an open registry until the test ends. Without
// docker-registry installed the test is skipped, or fails when
// DOCKERTUTOR_REQUIRE_DOCKER=1.
func StartRegistry(t testing.TB) *Registry {
	t.Helper()
	return startRegistry(t, "", "")
}

// StartAuthRegistry runs a registry that answers only user with password
// (htpasswd auth): an anonymous pull is refused as Docker Hub refuses a
// private image.
func StartAuthRegistry(t testing.TB, user, password string) *Registry {
	t.Helper()
	return startRegistry(t, user, password)
}

func startRegistry(t testing.TB, user, password string) *Registry {
	t.Helper()
	if _, err := exec.LookPath(localregistry.Binary); err != nil {
		if os.Getenv(RequireEnv) == "1" {
			t.Fatalf("docker-registry is required (%s=1) but not installed (Debian: apt-get install docker-registry)", RequireEnv)
		}
		t.Skip("docker-registry is not installed (Debian: apt-get install docker-registry)")
	}
	dir := t.TempDir()
	cfg := localregistry.Config{Addr: FreeAddr(t), Storage: filepath.Join(dir, "data"), LogLevel: "info"}
	if user != "" {
		hash, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.MinCost)
		if err != nil {
			t.Fatal(err)
		}
		cfg.Htpasswd = filepath.Join(dir, "htpasswd")
		if err := os.WriteFile(cfg.Htpasswd, []byte(user+":"+string(hash)+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	p, err := localregistry.Start(exec.Command, cfg, filepath.Join(dir, "config.yml"), filepath.Join(dir, "registry.log"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("registry log:\n%s", p.Output())
		}
		p.Stop()
	})
	if err := p.Wait(http.DefaultClient, 20*time.Second); err != nil {
		t.Fatal(err)
	}
	return &Registry{Addr: cfg.Addr, User: user, Password: password}
}

// FreeAddr is a 127.0.0.1 port nothing listens on at the moment: a
// registry's, a proxy's, or one that refuses connections.
func FreeAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// UniqueName is a repository path no other test run uses
// ("dockertutor-test-1a2b3c4d"), for the images a test pushes and pulls.
func UniqueName(t testing.TB) string {
	t.Helper()
	b := make([]byte, 4)
	rand.Read(b)
	return fmt.Sprintf("dockertutor-test-%x", b)
}

// Auth is the X-Registry-Auth value for the registry's user: an empty
// object for an open registry.
func (r *Registry) Auth() string {
	cfg := registry.AuthConfig{}
	if r.User != "" {
		cfg = registry.AuthConfig{Username: r.User, Password: r.Password, ServerAddress: r.Addr}
	}
	b, _ := json.Marshal(cfg)
	return base64.URLEncoding.EncodeToString(b)
}

// Push tags the local image source as ref (a name on this registry),
// pushes it and returns its repository digest. Then ref and its digest
// reference are removed from the daemon again, so only the registry holds
// the digest; source stays as it was.
func (r *Registry) Push(t testing.TB, cli *client.Client, source, ref string) string {
	t.Helper()
	ctx := context.Background()
	named, err := reference.ParseNormalizedNamed(ref)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cli.ImageTag(ctx, client.ImageTagOptions{Source: source, Target: ref}); err != nil {
		t.Fatal(err)
	}
	resp, err := cli.ImagePush(ctx, ref, client.ImagePushOptions{RegistryAuth: r.Auth()})
	if err != nil {
		t.Fatal(err)
	}
	var digest string
	for msg, err := range resp.JSONMessages(ctx) {
		if err != nil {
			t.Fatalf("push %s: %v", ref, err)
		}
		if msg.Error != nil {
			t.Fatalf("push %s: %s", ref, msg.Error.Message)
		}
		// "3.22: digest: sha256:… size: 943", the line `docker push` ends with.
		if _, rest, ok := strings.Cut(msg.Status, "digest: "); ok {
			digest, _, _ = strings.Cut(rest, " ")
		}
	}
	if digest == "" {
		t.Fatalf("push %s did not say its digest", ref)
	}
	for _, s := range []string{ref, named.Name() + "@" + digest} {
		if _, err := cli.ImageRemove(ctx, s, client.ImageRemoveOptions{}); err != nil && !strings.Contains(err.Error(), "No such image") {
			t.Fatalf("untag %s: %v", s, err)
		}
	}
	return digest
}

// RemoveOnCleanup removes, when the test ends, the image names given
// (tags or name@digest references) that are still on the daemon, never
// forced: only names the test made, never the image under them when
// another name holds it.
func RemoveOnCleanup(t testing.TB, cli *client.Client, names ...string) {
	t.Helper()
	t.Cleanup(func() {
		ctx := context.Background()
		for _, n := range names {
			cli.ImageRemove(ctx, n, client.ImageRemoveOptions{})
		}
	})
}

// BuildFiller builds an image FROM scratch holding size bytes of random
// data (which no compression shrinks), tagged ref, and removes it when the
// test ends: an image whose pull takes long enough to interrupt.
func BuildFiller(t testing.TB, cli *client.Client, ref string, size int) {
	t.Helper()
	data := make([]byte, size)
	rand.Read(data)
	ctxTar, err := TarFiles(map[string][]byte{"Dockerfile": []byte("FROM scratch\nCOPY filler /filler\n"), "filler": data})
	if err != nil {
		t.Fatal(err)
	}
	res, err := cli.ImageBuild(context.Background(), ctxTar, client.ImageBuildOptions{Tags: []string{ref}, Remove: true, ForceRemove: true})
	if err != nil {
		t.Fatal(err)
	}
	out, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if strings.Contains(string(out), `"errorDetail"`) {
		t.Fatalf("build %s: %s", ref, out)
	}
	RemoveOnCleanup(t, cli, ref)
}

// Throttle is a TCP proxy on 127.0.0.1 in front of addr that passes at
// most bytesPerSecond from addr to the client: a slow registry, for a
// pull that is still running when the test interrupts it. Pull through
// Throttle's Addr; the registry sees the same requests.
type Throttle struct {
	Addr   string
	l      net.Listener
	wg     sync.WaitGroup
	passed atomic.Int64
}

// Passed is how many bytes went from the registry to the daemon so far:
// a test interrupts a pull once some arrived.
func (p *Throttle) Passed() int64 { return p.passed.Load() }

// StartThrottle proxies to addr until the test ends.
func StartThrottle(t testing.TB, addr string, bytesPerSecond int) *Throttle {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &Throttle{Addr: l.Addr().String(), l: l}
	var conns sync.Map
	p.wg.Go(func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			conns.Store(c, true)
			p.wg.Go(func() {
				defer c.Close()
				up, err := net.Dial("tcp", addr)
				if err != nil {
					return
				}
				conns.Store(up, true)
				defer up.Close()
				go func() { io.Copy(up, c); up.(*net.TCPConn).CloseWrite() }()
				slowCopy(c, up, bytesPerSecond, &p.passed)
			})
		}
	})
	t.Cleanup(func() {
		l.Close()
		conns.Range(func(c, _ any) bool { c.(net.Conn).Close(); return true })
		p.wg.Wait()
	})
	return p
}

// slowCopy copies in tenths of a second's worth of bytes, each followed
// by a tenth of a second.
func slowCopy(dst io.Writer, src io.Reader, bytesPerSecond int, passed *atomic.Int64) {
	buf := make([]byte, max(1, bytesPerSecond/10))
	for {
		n, err := src.Read(buf)
		if n > 0 {
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
			passed.Add(int64(n))
			time.Sleep(100 * time.Millisecond)
		}
		if err != nil {
			return
		}
	}
}

// SlowPin is an image of size bytes on a registry of the test's own, seen
// through a proxy that passes 4 MB/s, so a pull of it lasts long enough to
// interrupt: its reference by tag on the proxy and its digest, and the
// proxy (Passed says when a pull is under way). Nothing of it is on the
// daemon, and whatever a pull leaves is removed when the test ends.
func SlowPin(t testing.TB, cli *client.Client, size int) (lessons.BaseImage, *Throttle) {
	t.Helper()
	reg := StartRegistry(t)
	name := UniqueName(t)
	filler := reg.Addr + "/" + name + "/filler:1"
	BuildFiller(t, cli, filler, size)
	digest := reg.Push(t, cli, filler, filler)
	cli.ImageRemove(context.Background(), filler, client.ImageRemoveOptions{})
	slow := StartThrottle(t, reg.Addr, 4<<20)
	img := lessons.BaseImage{Ref: slow.Addr + "/" + name + "/filler:1", Digest: digest}
	RemovePinOnCleanup(t, cli, img)
	return img, slow
}

// RemovePinOnCleanup removes, when the test ends, what a pull of img may
// leave: its tag and its name@digest reference.
func RemovePinOnCleanup(t testing.TB, cli *client.Client, img lessons.BaseImage) {
	t.Helper()
	named, err := reference.ParseNormalizedNamed(img.Ref)
	if err != nil {
		t.Fatal(err)
	}
	RemoveOnCleanup(t, cli, img.Ref, named.Name()+"@"+img.Digest)
}
