package check_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
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

// A course pack whose base image lives on a registry on loopback: the
// check asks the registry through the daemon (Docker Hub is never asked),
// and course prove holds the pack's must-fail attempts to it.
func TestVerifyOnALoopbackRegistry(t *testing.T) {
	cli := dockertest.Client(t)
	dockertest.StandIn(t, cli, "alpine:3.22")
	t.Setenv(check.OfflineRegistriesEnv, "docker.io")
	reg := dockertest.StartRegistry(t)
	addr := reg.Addr
	ns := dockertest.Namespace(t)
	repo := addr + "/" + ns.String() + "/node"
	// Only the registry knows the digest: Push leaves no name behind.
	digest := reg.Push(t, cli, "alpine:3.22", repo+":24.12.0")
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
	q := regexp.QuoteMeta
	// Each is a regular expression. The image-id attempt's message names
	// every tag of the stand-in's image, and a daemon a learner uses may
	// have given it more than alpine:3.22.
	want := map[string]string{
		"solution":           q("the registry " + addr + " has " + digest[:19] + "…"),
		"attempt made-up":    q("The registry " + addr + " has no " + repo + " image with the digest sha256:5f1c0e2a9b7d…"),
		"attempt no-tag":     q("The registry " + addr + " has no tag " + repo + ":24.99.0"),
		"attempt ended":      q("is on the 20 line, which stopped getting fixes on 2026-04-30; lines still supported: 24 (Krypton"),
		"attempt wrong-tag":  q("The registry " + addr + " has no tag " + repo + ":krypton"),
		"attempt image-id":   `is the image ID of (\S+, )*` + q("alpine:3.22") + `(, \S+)*` + q(" on your daemon, not a repository digest of "+repo),
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
		if !regexp.MustCompile(w).MatchString(got) {
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
