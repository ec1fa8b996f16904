package main

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/client"

	"github.com/dockertutor/dockertutor/exercises/dockertest"
	"github.com/dockertutor/dockertutor/exercises/pins"
	"github.com/dockertutor/dockertutor/internal/privatedaemon"
	"github.com/dockertutor/dockertutor/lessons"
)

// TestLabMachineOffline readies a lab machine the way the README says, with
// the real binary, on a daemon of the test's own in a network namespace
// with nothing but loopback (a machine with no route to any registry), on
// each engine: prepare pulls the course's pinned image from a registry (a
// real docker-registry on loopback, standing in for Docker Hub as the
// daemon's mirror), prepare again pulls nothing, --bundle writes the
// bundle; then everything is removed, the registry stopped, and --from
// readies the machine from the bundle alone. A build FROM the image pinned
// by digest then works with every builder, the daemon's config file is as
// it was, and the build-secrets lesson is solved.
func TestLabMachineOffline(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "dockertutor")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	for _, e := range []privatedaemon.Engine{privatedaemon.Docker20, privatedaemon.Engine29} {
		t.Run(e.String(), func(t *testing.T) { labOffline(t, bin, e) })
	}
}

func labOffline(t *testing.T, bin string, e privatedaemon.Engine) {
	ctx := context.Background()
	// A bridge of its own, in its namespace, for BuildKit's RUN.
	d := privatedaemon.Start(t, privatedaemon.Options{Engine: e, Bridge: true})
	cli := d.Client(t)
	d.StandIn(t, "alpine:3.22")
	reg := d.StartRegistry(t)
	digest := reg.PushStandIn(t, ctx, cli)

	// For this machine, Docker Hub is the registry: its mirror.
	if err := os.WriteFile(d.ConfigFile, []byte(`{"registry-mirrors": ["`+reg.URL+`"]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := d.Reload(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 20*time.Second, "the daemon takes the registry as its mirror", func() bool {
		info, err := cli.Info(ctx, client.InfoOptions{})
		return err == nil && info.Info.RegistryConfig != nil && slices.Contains(info.Info.RegistryConfig.Mirrors, reg.URL+"/")
	})
	removeImage := func() {
		t.Helper()
		img, err := cli.ImageInspect(ctx, "alpine:3.22")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := cli.ImageRemove(ctx, img.ID, client.ImageRemoveOptions{Force: true}); err != nil {
			t.Fatal(err)
		}
		if _, err := cli.ImageInspect(ctx, "alpine@"+digest); err == nil {
			t.Fatal("the pinned image is still on the daemon")
		}
	}
	removeImage()

	tmp := t.TempDir()
	pack := filepath.Join(tmp, "course")
	if err := dockertest.CopyCourse("../../lessons/course", pack, "lab-course", "dttest-lab"); err != nil {
		t.Fatal(err)
	}
	builtin, _ := lessons.Builtin()
	yaml := filepath.Join(pack, "course.yaml")
	data, err := os.ReadFile(yaml)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(yaml, []byte(strings.Replace(string(data), builtin.Images[0].Digest, digest, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	ws := filepath.Join(tmp, "ws")
	run := func(args ...string) string {
		t.Helper()
		cmd := d.Command(bin, append([]string{"--course", pack, "--workspace", ws}, args...)...)
		cmd.Env = append(cmd.Env, "XDG_STATE_HOME="+filepath.Join(tmp, "state"), "XDG_DATA_HOME="+filepath.Join(tmp, "data"))
		start := time.Now()
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("dockertutor %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		t.Logf("dockertutor %s: %s", strings.Join(args, " "), time.Since(start).Round(time.Millisecond))
		return string(out)
	}
	atPin := func(when string) {
		t.Helper()
		if st := pins.Inspect(ctx, cli, lessons.BaseImage{Ref: "alpine:3.22", Digest: digest}); st.State != pins.AtPin {
			t.Fatalf("%s: alpine:3.22 is %s (%q)", when, st.State, st.RepoDigests)
		}
	}

	out := run("prepare")
	if !strings.Contains(out, "alpine:3.22  pulled at the pinned digest and tagged") {
		t.Fatalf("prepare:\n%s", out)
	}
	atPin("after prepare")
	asked := len(reg.Requests())
	out = run("prepare")
	if !strings.Contains(out, "alpine:3.22  already at the pinned digest") || len(reg.Requests()) != asked {
		t.Fatalf("prepare again asked the registry %d time(s):\n%s", len(reg.Requests())-asked, out)
	}
	bundle := filepath.Join(tmp, "lab.bundle")
	run("prepare", "--bundle", bundle)

	// Nothing left of the image, and no registry to ask.
	removeImage()
	reg.Stop()
	config, err := os.ReadFile(d.ConfigFile)
	if err != nil {
		t.Fatal(err)
	}
	out = run("prepare", "--from", bundle)
	if !strings.Contains(out, "every part is sound") || !strings.Contains(out, "alpine:3.22  pulled at the pinned digest and tagged") {
		t.Fatalf("prepare --from:\n%s", out)
	}
	atPin("after prepare --from")
	if after, err := os.ReadFile(d.ConfigFile); err != nil || string(after) != string(config) {
		t.Fatalf("the daemon's config file is not as it was: %v\n%s\nwas\n%s", err, after, config)
	}
	if _, err := os.Stat(d.ConfigFile + ".dockertutor-backup"); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("a backup of the config file is left: %v", err)
	}

	// FROM pinned by digest, with no registry anywhere, by every builder.
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte("FROM alpine:3.22@"+digest+"\nRUN echo pinned > /pinned\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, b := range dockertest.LearnerBuilders(t) {
		// No network for RUN: the daemon has no bridge, as nothing here
		// needs one.
		cmd := d.Command("docker", "build", "--network", "none", "-t", "dttest-lab/pinned:"+b.Name, dir)
		cmd.Env = append(cmd.Env, b.Env...)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("a build FROM the pin with %s, offline: %v\n%s", b.Name, err, out)
		}
	}

	// The build-secrets lesson, solved on the machine readied offline.
	c, ps := lessons.FromDir(pack)
	if len(ps) > 0 {
		t.Fatal(ps)
	}
	for _, st := range c.Steps() {
		if st.Lesson.ID != "build-secrets" || st.Kind == lessons.KindRead {
			continue
		}
		if out := run("solve", st.ID); !strings.Contains(out, "Step passed") {
			t.Fatalf("solve %s:\n%s", st.ID, out)
		}
	}
}

// waitFor polls cond until it holds, failing the test after timeout.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("after %s: not so: %s", timeout, what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
