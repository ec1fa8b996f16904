package check_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/client"

	"github.com/dockertutor/dockertutor/exercises/check"
	"github.com/dockertutor/dockertutor/exercises/daemon"
	"github.com/dockertutor/dockertutor/exercises/dockertest"
	"github.com/dockertutor/dockertutor/exercises/proof"
	"github.com/dockertutor/dockertutor/lessons"
)

// startRegistry runs Debian's docker-registry on a free port of 127.0.0.1
// until the test ends, and returns its host:port. The daemon treats
// 127.0.0.0/8 registries as insecure-allowed, so no TLS is needed.
func startRegistry(t *testing.T) string {
	t.Helper()
	bin, err := exec.LookPath("docker-registry")
	if err != nil {
		if os.Getenv(dockertest.RequireEnv) == "1" {
			t.Fatalf("docker-registry is required (%s=1) but not installed (Debian: apt-get install docker-registry)", dockertest.RequireEnv)
		}
		t.Skip("docker-registry is not installed (Debian: apt-get install docker-registry)")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	dir := t.TempDir()
	config := fmt.Sprintf("version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    rootdirectory: %s\n  delete:\n    enabled: true\nhttp:\n  addr: %s\n",
		filepath.Join(dir, "data"), addr)
	if err := os.WriteFile(filepath.Join(dir, "config.yml"), []byte(config), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "serve", filepath.Join(dir, "config.yml"))
	out, err := os.Create(filepath.Join(dir, "registry.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			log, _ := os.ReadFile(out.Name())
			t.Logf("registry log:\n%s", log)
		}
		cmd.Process.Kill()
		cmd.Wait()
		out.Close()
	})
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := http.Get("http://" + addr + "/v2/")
		if err == nil {
			resp.Body.Close()
			return addr
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(out.Name())
			t.Fatalf("the registry on %s did not answer: %v\n%s", addr, err, log)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// pushStandIn pushes the alpine:3.22 stand-in as ref and returns its
// repository digest; the local tag and repository digest are removed
// again, so that only the registry knows the digest.
func pushStandIn(t *testing.T, cli *client.Client, ref string) string {
	t.Helper()
	ctx := context.Background()
	if _, err := cli.ImageTag(ctx, client.ImageTagOptions{Source: "alpine:3.22", Target: ref}); err != nil {
		t.Fatal(err)
	}
	resp, err := cli.ImagePush(ctx, ref, client.ImagePushOptions{RegistryAuth: "e30="})
	if err != nil {
		t.Fatal(err)
	}
	for msg, err := range resp.JSONMessages(ctx) {
		if err != nil {
			t.Fatalf("push %s: %v", ref, err)
		}
		if msg.Error != nil {
			t.Fatalf("push %s: %s", ref, msg.Error.Message)
		}
	}
	img, err := cli.ImageInspect(ctx, ref)
	if err != nil {
		t.Fatal(err)
	}
	repo, _, _ := strings.Cut(ref[strings.LastIndex(ref, "/"):], ":")
	repo = ref[:strings.LastIndex(ref, "/")] + repo
	var digest string
	for _, rd := range img.RepoDigests {
		if name, d, ok := strings.Cut(rd, "@"); ok && name == repo {
			digest = d
		}
	}
	if digest == "" {
		t.Fatalf("push %s left no repository digest: %v", ref, img.RepoDigests)
	}
	for _, r := range []string{ref, repo + "@" + digest} {
		if _, err := cli.ImageRemove(ctx, r, client.ImageRemoveOptions{}); err != nil && !strings.Contains(err.Error(), "No such image") {
			t.Fatalf("untag %s: %v", r, err)
		}
	}
	return digest
}

// A course pack whose base image lives on a registry on loopback: the
// check asks the registry through the daemon (Docker Hub is never asked),
// and course prove holds the pack's must-fail attempts to it.
func TestVerifyOnALoopbackRegistry(t *testing.T) {
	cli := dockertest.Client(t)
	dockertest.StandIn(t, cli, "alpine:3.22")
	t.Setenv(check.OfflineRegistriesEnv, "docker.io")
	addr := startRegistry(t)
	ns := dockertest.Namespace(t)
	repo := addr + "/" + ns.String() + "/node"
	digest := pushStandIn(t, cli, repo+":24.12.0")
	standIn, err := cli.ImageInspect(context.Background(), "alpine:3.22")
	if err != nil {
		t.Fatal(err)
	}

	attempts := map[string]string{
		"made-up":   "FROM " + repo + ":24.12.0@sha256:5f1c0e2a9b7d4c3e8f6a1b2c3d4e5f60718293a4b5c6d7e8f9a0b1c2d3e4f5a6",
		"no-tag":    "FROM " + repo + ":24.99.0",
		"ended":     "FROM " + repo + ":20.19.0",
		"wrong-tag": "FROM " + repo + ":krypton",
	}
	// With the containerd image store the stand-in's ID is the digest just
	// pushed, a real repository digest; only the classic store's ID is not.
	if standIn.ID != digest {
		attempts["image-id"] = "FROM " + repo + `:24.12.0@{{.ImageID "alpine:3.22"}}`
	} else {
		t.Logf("the image ID of alpine:3.22 is its repository digest %s here (containerd image store): no image-id attempt", digest)
	}
	pack := map[string]string{
		"course.yaml": fmt.Sprintf(`format: 1
id: loopback-registry
title: Loopback registry
releases:
  as-of: 2026-12-01
  images:
    - repository: %s
      lines:
        - {version: "20", codename: iron, status: ended, end-of-life: 2026-04-30}
        - {version: "24", codename: krypton, status: maintenance-lts, end-of-life: 2028-04-30}
lessons: [l]
`, repo),
		"l/lesson.yaml":                  "title: L\nsteps: [pin]\n",
		"l/pin/starter/Dockerfile":       "FROM " + repo + ":24.12.0\n",
		"l/pin/solution/Dockerfile":      "FROM " + repo + ":24.12.0@" + digest + "\n",
		"l/pin/attempts/tag/Dockerfile":  "FROM " + repo + ":24.12.0\n",
		"l/pin/attempts/typo/Dockerfile": "FORM " + repo + ":24.12.0\n",
	}
	front := "---\ntitle: Pin\nkind: exercise\nmain: Dockerfile\nchecks:\n  - {id: digest, type: dockerfile.base, allow: [digest]}\n  - {id: real, type: dockerfile.base, verify: true}\nattempts:\n" +
		"  - {name: tag, why: a tag, fails: [digest]}\n  - {name: typo, why: does not parse, fails: [digest, real]}\n"
	for name, from := range attempts {
		file := "Dockerfile"
		if strings.Contains(from, "{{") {
			file += lessons.TemplateSuffix
		}
		pack["l/pin/attempts/"+name+"/"+file] = from + "\n"
		front += fmt.Sprintf("  - {name: %s, why: see the test, fails: [real]}\n", name)
	}
	pack["l/pin/step.md"] = front + "---\nPin it.\n"
	dir := t.TempDir()
	for name, content := range pack {
		path := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	c, ps := lessons.Load(os.DirFS(dir))
	if len(ps) > 0 {
		t.Fatal(ps)
	}
	st, _ := c.Step("pin")
	connect := func(context.Context) (daemon.Client, error) { return client.New(client.FromEnv) }
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cases, err := proof.Step(ctx, c, st, proof.Options{Connect: connect, Dir: t.TempDir(), Namespace: ns})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"solution":           "the registry " + addr + " has " + digest[:19] + "…",
		"attempt made-up":    "The registry " + addr + " has no " + repo + " image with the digest sha256:5f1c0e2a9b7d…",
		"attempt no-tag":     "The registry " + addr + " has no tag " + repo + ":24.99.0",
		"attempt ended":      "is on the 20 line, which stopped getting fixes on 2026-04-30; lines still supported: 24 (Krypton",
		"attempt wrong-tag":  "The registry " + addr + " has no tag " + repo + ":krypton",
		"attempt image-id":   "is the image ID of alpine:3.22 on your daemon, not a repository digest of " + repo,
		"attempt tag":        "", // fails digest only
		"attempt typo":       "",
		"starter":            "",
		"nothing done":       "",
		"solution (classic)": "",
	}
	for _, cs := range cases {
		if !cs.OK {
			t.Errorf("%s: %s", cs.Name, cs.Problem)
		}
		w := want[cs.Name]
		if w == "" {
			continue
		}
		var got string
		for _, r := range cs.Verdict.Results {
			if r.ID == "real" {
				got = r.Message
				for _, e := range r.Evidence {
					got += " | " + e.Detail
				}
			}
		}
		if !strings.Contains(got, w) {
			t.Errorf("%s: the verify check says\n  %s\nwant it to contain\n  %s", cs.Name, got, w)
		}
	}
	if len(cases) != len(attempts)+5 {
		t.Errorf("%d cases, want %d", len(cases), len(attempts)+5)
	}

	// A tag the registry has passes, and says where it was found.
	env := check.Env{Step: st, Values: c.Values(st, lessons.Learner{Workspace: t.TempDir(), Namespace: ns}), Docker: cli}
	if err := os.MkdirAll(env.Values.Workdir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(env.Values.Workdir, "Dockerfile"), []byte("FROM "+repo+":24.12.0\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	v := check.Run(ctx, env)
	for _, r := range v.Results {
		if r.ID != "real" {
			continue
		}
		found := false
		for _, e := range r.Evidence {
			found = found || e.Detail == "the registry "+addr+" has "+repo+":24.12.0"
		}
		if r.Outcome != check.Pass || !found {
			t.Errorf("a tag the registry has: %s %q %q", r.Outcome, r.Message, r.Evidence)
		}
	}
}
