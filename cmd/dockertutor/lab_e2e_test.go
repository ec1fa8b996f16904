package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/client"

	"github.com/dockertutor/dockertutor/exercises/dockertest"
	"github.com/dockertutor/dockertutor/exercises/pins"
	"github.com/dockertutor/dockertutor/internal/privatedaemon"
	"github.com/dockertutor/dockertutor/lessons"
	"github.com/dockertutor/dockertutor/report"
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
	bin := buildTutor(t)
	for _, e := range []privatedaemon.Engine{privatedaemon.Docker20, privatedaemon.Engine29} {
		t.Run(e.String(), func(t *testing.T) { labOffline(t, bin, e) })
	}
}

// loadedLine is how prepare --from says it readied ref on the engine:
// Docker 20.10 records a repository digest only on a pull, so the image
// is loaded, then pulled through the daemon's mirror (its manifest only);
// the containerd image store takes the bundle's OCI layout at the pinned
// digest, so there the load alone does it, with no mirror and no pull.
func loadedLine(e privatedaemon.Engine, ref string) string {
	if e == privatedaemon.Docker20 {
		return ref + "  loaded from the bundle, pulled at the pinned digest (its manifest only) and tagged"
	}
	return ref + "  loaded from the bundle at the pinned digest and tagged"
}

// buildTutor builds the dockertutor binary into the test's folder.
func buildTutor(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "dockertutor")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	return bin
}

func labOffline(t *testing.T, bin string, e privatedaemon.Engine) {
	// A bridge of its own, in its namespace, for BuildKit's RUN.
	m := newLabMachine(t, bin, privatedaemon.Options{Engine: e, Bridge: true})
	d, reg, digest, pack, tmp, run := m.d, m.reg, m.digest, m.pack, m.tmp, m.run
	removeImage := func() { t.Helper(); m.removeImage(t, "alpine:3.22") }
	removeImage()
	atPin := func(when string) {
		t.Helper()
		m.atPin(t, when, lessons.BaseImage{Ref: "alpine:3.22", Digest: digest})
	}

	out := run(t, "prepare")
	if !strings.Contains(out, "alpine:3.22  pulled at the pinned digest and tagged") {
		t.Fatalf("prepare:\n%s", out)
	}
	atPin("after prepare")
	asked := len(reg.Requests())
	out = run(t, "prepare")
	if !strings.Contains(out, "alpine:3.22  already at the pinned digest") || len(reg.Requests()) != asked {
		t.Fatalf("prepare again asked the registry %d time(s):\n%s", len(reg.Requests())-asked, out)
	}
	// With trivy, the instructor's machine has its database (a day old
	// by the class), which the bundle brings along.
	trivy := dockertest.Trivy(t)
	if trivy != "" {
		instructor := filepath.Join(tmp, "trivy-instructor")
		dockertest.TrivyDB(t, instructor, time.Now().Add(-26*time.Hour))
		m.env = []string{"TRIVY_CACHE_DIR=" + instructor, "PATH=" + filepath.Dir(trivy) + ":" + os.Getenv("PATH")}
	}
	bundle := filepath.Join(tmp, "lab.bundle")
	out = run(t, "prepare", "--bundle", bundle)
	if trivy != "" && !strings.Contains(out, "trivy's database") {
		t.Fatalf("prepare --bundle with trivy's database on the machine:\n%s", out)
	}
	labTrivy := filepath.Join(tmp, "trivy-lab")
	m.env = []string{"TRIVY_CACHE_DIR=" + labTrivy}

	// Nothing left of the image, and no registry to ask.
	removeImage()
	reg.Stop()
	config, err := os.ReadFile(d.ConfigFile)
	if err != nil {
		t.Fatal(err)
	}
	out = run(t, "prepare", "--from", bundle)
	if !strings.Contains(out, "every part is checked") || !strings.Contains(out, loadedLine(e, "alpine:3.22")) {
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
		// No network for RUN: nothing here needs one, and the namespace
		// has no route anyway.
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
		if out := run(t, "solve", st.ID); !strings.Contains(out, "Step passed") {
			t.Fatalf("solve %s:\n%s", st.ID, out)
		}
	}
	if trivy != "" {
		m.scanOffline(t, trivy, labTrivy)
	}
}

// scanOffline does the scanning lesson on the machine readied from the
// bundle, with the real trivy and the database the bundle brought: trivy
// cannot refresh a day-old database offline, so it scans with
// --skip-db-update, as prepare --from says; the report passes the step's
// check, and a scan of an image with an Alpine package database finds the
// database's one advisory.
func (m *labMachine) scanOffline(t *testing.T, trivy, cache string) {
	t.Helper()
	// The step's image, by the name the tutor gives it in the learner's
	// namespace: the build command the run prints first says it.
	built := regexp.MustCompile(` -t (\S+) `).FindStringSubmatch(m.run(t, "run", "scan-an-image"))
	if built == nil {
		t.Fatal("run scan-an-image printed no build command with -t")
	}
	image := built[1]
	var outline report.List
	if err := json.Unmarshal([]byte(m.run(t, "list", "--json")), &outline); err != nil {
		t.Fatal(err)
	}
	var workdir string
	for _, l := range outline.Lessons {
		for _, st := range l.Steps {
			if st.ID == "scan-an-image" {
				workdir = st.Workdir
			}
		}
	}
	scan := func(image string, args ...string) ([]byte, error) {
		cmd := m.d.Command(trivy, append([]string{"image", "--image-src", "docker", "--format", "json", "--output", "trivy-report.json"}, append(args, image)...)...)
		cmd.Dir = workdir
		cmd.Env = append(cmd.Env, "TRIVY_CACHE_DIR="+cache)
		start := time.Now()
		out, err := cmd.CombinedOutput()
		t.Logf("trivy image %s %s: %v in %s", strings.Join(args, " "), image, err, time.Since(start).Round(time.Millisecond))
		return out, err
	}
	if out, err := scan(image); err == nil || !strings.Contains(string(out), "failed to download vulnerability DB") {
		t.Fatalf("trivy refreshed a day-old database with no network, or did not try (%v):\n%s", err, out)
	}
	if out, err := scan(image, "--skip-db-update"); err != nil {
		t.Fatalf("trivy with the bundle's database, offline: %v\n%s", err, out)
	}
	if out := m.run(t, "check", "scan-an-image"); !strings.Contains(out, "Step passed") {
		t.Fatalf("check scan-an-image after trivy's own report:\n%s", out)
	}

	dir := t.TempDir()
	dockerfile := "FROM alpine:3.22@" + m.digest + "\n" +
		"RUN mkdir -p /lib/apk/db && echo 3.22.2 > /etc/alpine-release && " +
		"printf 'P:busybox\\nV:1.37.0-r18\\nA:x86_64\\no:busybox\\n\\n' > /lib/apk/db/installed\n"
	if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte(dockerfile), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := m.d.Command("docker", "build", "--network", "none", "-t", "dttest-lab/alpine-like", dir).CombinedOutput(); err != nil {
		t.Fatalf("build dttest-lab/alpine-like: %v\n%s", err, out)
	}
	if out, err := scan("dttest-lab/alpine-like", "--skip-db-update"); err != nil {
		t.Fatalf("trivy of an image with busybox %s: %v\n%s", "1.37.0-r18", err, out)
	}
	data, err := os.ReadFile(filepath.Join(workdir, "trivy-report.json"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), `"VulnerabilityID": "`+dockertest.TrivyAdvisory+`"`) || !strings.Contains(string(data), `"FixedVersion": "`+dockertest.TrivyFixed+`"`) {
		t.Fatalf("trivy's report of busybox 1.37.0-r18 does not name the bundle's advisory %s:\n%s", dockertest.TrivyAdvisory, data)
	}
}

// labMachine is a lab machine of the test's own: a private daemon in a
// namespace with only loopback, whose Docker Hub is a docker-registry on
// that loopback (its mirror) holding the stand-in alpine:3.22, and a copy
// of the course pack pinning the stand-in's digest there.
type labMachine struct {
	d   *privatedaemon.Daemon
	cli *client.Client
	reg *privatedaemon.Registry
	// digest is the stand-in's repository digest in reg.
	digest string
	// bin is the dockertutor binary; pack the course pack, ws the
	// workspace, tmp a folder for the test's files.
	bin, pack, ws, tmp string
	// env is more environment for the next commands.
	env []string
}

func newLabMachine(t *testing.T, bin string, opts privatedaemon.Options) *labMachine {
	t.Helper()
	ctx := context.Background()
	d := privatedaemon.Start(t, opts)
	m := &labMachine{d: d, cli: d.Client(t), bin: bin, tmp: t.TempDir()}
	d.StandIn(t, "alpine:3.22")
	m.reg = d.StartRegistry(t)
	m.digest = m.reg.PushStandIn(t, ctx, m.cli)

	m.configure(t, false)

	m.pack = filepath.Join(m.tmp, "course")
	if err := dockertest.CopyCourse("../../lessons/course", m.pack, "lab-course", "dttest-lab"); err != nil {
		t.Fatal(err)
	}
	builtin, _ := lessons.Builtin()
	m.editCourse(t, builtin.Images[0].Digest, m.digest)
	m.ws = filepath.Join(m.tmp, "ws")
	return m
}

// configure writes the daemon's config file and has it reloaded: for this
// machine, Docker Hub is the registry (its mirror); debug logs what each
// pull fetches.
func (m *labMachine) configure(t *testing.T, debug bool) {
	t.Helper()
	config := fmt.Sprintf(`{"debug": %t, "registry-mirrors": ["%s"]}`, debug, m.reg.URL)
	if err := os.WriteFile(m.d.ConfigFile, []byte(config), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := m.d.Reload(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 20*time.Second, "the daemon takes the registry as its mirror", func() bool {
		info, err := m.cli.Info(context.Background(), client.InfoOptions{})
		return err == nil && info.Info.Debug == debug && info.Info.RegistryConfig != nil && slices.Contains(info.Info.RegistryConfig.Mirrors, m.reg.URL+"/")
	})
}

// editCourse replaces old with new in the pack's course.yaml, once.
func (m *labMachine) editCourse(t *testing.T, old, new string) {
	t.Helper()
	yaml := filepath.Join(m.pack, "course.yaml")
	data, err := os.ReadFile(yaml)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), old) {
		t.Fatalf("course.yaml has no %q", old)
	}
	if err := os.WriteFile(yaml, []byte(strings.Replace(string(data), old, new, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
}

// command is dockertutor with args, on the pack and workspace, in the
// daemon's namespace, with state and data folders of the test's own.
func (m *labMachine) command(args ...string) *exec.Cmd {
	cmd := m.d.Command(m.bin, append([]string{"--course", m.pack, "--workspace", m.ws}, args...)...)
	cmd.Env = append(cmd.Env, "XDG_STATE_HOME="+filepath.Join(m.tmp, "state"), "XDG_DATA_HOME="+filepath.Join(m.tmp, "data"))
	cmd.Env = append(cmd.Env, m.env...)
	return cmd
}

// run runs dockertutor with args, failing the test unless it succeeds.
func (m *labMachine) run(t *testing.T, args ...string) string {
	t.Helper()
	start := time.Now()
	out, err := m.command(args...).CombinedOutput()
	if err != nil {
		t.Fatalf("dockertutor %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	t.Logf("dockertutor %s: %s", strings.Join(args, " "), time.Since(start).Round(time.Millisecond))
	return string(out)
}

// removeImage removes the image ref names, with all its names, and
// checks that it is gone.
func (m *labMachine) removeImage(t *testing.T, ref string) {
	t.Helper()
	ctx := context.Background()
	img, err := m.cli.ImageInspect(ctx, ref)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.cli.ImageRemove(ctx, img.ID, client.ImageRemoveOptions{Force: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := m.cli.ImageInspect(ctx, img.ID); err == nil {
		t.Fatalf("%s is still on the daemon", ref)
	}
}

// atPin fails the test unless each image's tag names its pinned digest.
func (m *labMachine) atPin(t *testing.T, when string, images ...lessons.BaseImage) {
	t.Helper()
	for _, img := range images {
		if st := pins.Inspect(context.Background(), m.cli, img); st.State != pins.AtPin {
			t.Fatalf("%s: %s is %s (%q)", when, img.Ref, st.State, st.RepoDigests)
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
