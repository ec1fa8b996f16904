package main

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/dockertutor/dockertutor/exercises/pins"
	"github.com/dockertutor/dockertutor/internal/privatedaemon"
	"github.com/dockertutor/dockertutor/lab/bundle"
	"github.com/dockertutor/dockertutor/lab/mirror"
	"github.com/dockertutor/dockertutor/lessons"
)

// TestPrepareFromSurvivesTheDaemonStopping kills dockerd (SIGKILL, as a
// crash or the OOM killer would) while `prepare --from` has it loading a
// large image from the bundle, on each engine: the command ends within a
// bound with one clear sentence and no tag half made; the daemon's config
// file is either back as it was or its backup is left for the next run.
// With dockerd started again, the next run puts the config back, pulls
// everything to its pin and leaves the config file byte for byte as it
// was, with no backup.
func TestPrepareFromSurvivesTheDaemonStopping(t *testing.T) {
	bin := buildTutor(t)
	for _, e := range []privatedaemon.Engine{privatedaemon.Docker20, privatedaemon.Engine29} {
		t.Run(e.String(), func(t *testing.T) {
			lab := newFaultLab(t, bin, e, true)
			lab.survivesTheDaemonStopping(t, "Docker stopped during the load of "+lab.alpine.Ref+", "+lab.filler.Ref+" from the bundle, so nothing was tagged", "start Docker again and run `dockertutor prepare --from")
		})
	}
}

// TestPrepareSurvivesTheDaemonStopping is the same for a machine that is
// online: `prepare` has the daemon pulling the large image from its
// registry when dockerd is killed.
func TestPrepareSurvivesTheDaemonStopping(t *testing.T) {
	bin := buildTutor(t)
	for _, e := range []privatedaemon.Engine{privatedaemon.Docker20, privatedaemon.Engine29} {
		t.Run(e.String(), func(t *testing.T) {
			lab := newFaultLab(t, bin, e, false)
			lab.survivesTheDaemonStopping(t, "Docker stopped during the pull of "+lab.filler.Ref+", which was not tagged", "start Docker again and run `dockertutor prepare` again to finish")
		})
	}
}

// survivesTheDaemonStopping kills dockerd mid-pull (or mid-load): the run exits 3
// saying stopped and how to finish; with dockerd started again, the next
// run completes.
func (lab *faultLab) survivesTheDaemonStopping(t *testing.T, stopped, finish string) {
	t.Helper()
	began := time.Now()
	m := lab.m
	out, err, took := lab.interruptPull(t, func() { m.d.Kill(t) })
	t.Logf("%v with dockerd killed mid-pull: %v after %s\n%s", lab.args, err, took, out)
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != exitUnreachable {
		t.Fatalf("%v with dockerd killed: %v, want exit code %d (Docker does not answer)\n%s", lab.args, err, exitUnreachable, out)
	}
	lab.clearOutput(t, out, stopped)
	if !strings.Contains(out, finish) {
		t.Fatalf("%v does not say how to finish:\n%s", lab.args, out)
	}
	_, err = os.Stat(m.d.ConfigFile + mirror.BackupSuffix)
	backupLeft := err == nil
	if config, err := os.ReadFile(m.d.ConfigFile); err != nil || !bytes.Equal(config, lab.config) {
		if !backupLeft {
			t.Fatalf("the config file is not as it was and no backup is left (%v):\n%s", err, config)
		}
	}

	m.d.Restart(t)
	lab.notTagged(t)
	out = m.run(t, lab.args...)
	if backupLeft && !strings.Contains(out, "Put back "+m.d.ConfigFile+" as an interrupted run had left it.") {
		t.Fatalf("the run after the daemon stopped does not say it put the config file back:\n%s", out)
	}
	lab.completed(t, out)
	t.Logf("%s in all", time.Since(began).Round(time.Millisecond))
}

// TestPrepareFromInterrupted presses Ctrl+C (SIGINT to the tutor) while
// `prepare --from` has the daemon loading a large image from the bundle,
// on each engine: it exits 130, tags nothing half way and puts the
// daemon's config file back byte for byte, with no backup; the next run
// completes.
func TestPrepareFromInterrupted(t *testing.T) {
	bin := buildTutor(t)
	for _, e := range []privatedaemon.Engine{privatedaemon.Docker20, privatedaemon.Engine29} {
		t.Run(e.String(), func(t *testing.T) {
			began := time.Now()
			lab := newFaultLab(t, bin, e, true)
			m := lab.m

			out, err, took := lab.interruptPull(t, func() {
				if err := lab.cmd.Process.Signal(os.Interrupt); err != nil {
					t.Fatal(err)
				}
			})
			t.Logf("prepare --from with Ctrl+C mid-pull: %v after %s\n%s", err, took, out)
			var exit *exec.ExitError
			if !errors.As(err, &exit) || exit.ExitCode() != exitInterrupted {
				t.Fatalf("prepare --from with Ctrl+C: %v, want exit code %d\n%s", err, exitInterrupted, out)
			}
			// Both images are loaded in one stream, so neither is ready.
			lab.clearOutput(t, out, "Interrupted: 0 of 2 images ready; nothing was tagged half way.")
			lab.configAsItWas(t)
			lab.notTagged(t)

			out = m.run(t, lab.args...)
			lab.completed(t, out)
			t.Logf("%s in all", time.Since(began).Round(time.Millisecond))
		})
	}
}

// TestPrepareFromRefusesAnAlteredLayer alters one byte of the filler's
// layer in the bundle, on each engine: the bundle's layers are checked by
// the daemon as it loads them, so the run must still refuse, name the
// part, tag nothing and put the config file back; with the bundle copied
// again, the next run completes.
func TestPrepareFromRefusesAnAlteredLayer(t *testing.T) {
	bin := buildTutor(t)
	for _, e := range []privatedaemon.Engine{privatedaemon.Docker20, privatedaemon.Engine29} {
		t.Run(e.String(), func(t *testing.T) {
			lab := newFaultLab(t, bin, e, true)
			m := lab.m
			good, err := os.ReadFile(lab.bundle)
			if err != nil {
				t.Fatal(err)
			}
			part := bundle.BlobPart(lab.fillerLayer)
			offset, size := partOffset(t, lab.bundle, part)
			altered := bytes.Clone(good)
			altered[offset+size/2] ^= 0xff
			if err := os.WriteFile(lab.bundle, altered, 0o644); err != nil {
				t.Fatal(err)
			}
			out, err := m.command(lab.args...).CombinedOutput()
			t.Logf("prepare --from with %s altered: %v\n%s", part, err, out)
			var exit *exec.ExitError
			if !errors.As(err, &exit) || exit.ExitCode() != exitFail {
				t.Fatalf("prepare --from with an altered layer: %v, want exit code %d\n%s", err, exitFail, out)
			}
			lab.clearOutput(t, string(out), "part "+part+" has SHA-256")
			lab.notTagged(t)
			lab.configAsItWas(t)

			if err := os.WriteFile(lab.bundle, good, 0o644); err != nil {
				t.Fatal(err)
			}
			lab.completed(t, m.run(t, lab.args...))
		})
	}
}

// partOffset is where the part's bytes start in the bundle file, and how
// many there are.
func partOffset(t *testing.T, path, part string) (int64, int64) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tr := tar.NewReader(f)
	for {
		hdr, err := tr.Next()
		if err != nil {
			t.Fatalf("%s has no part %s: %v", path, part, err)
		}
		if hdr.Name == part {
			// tar reads no further than the header: the file's offset
			// is the part's first byte.
			at, err := f.Seek(0, io.SeekCurrent)
			if err != nil {
				t.Fatal(err)
			}
			return at, hdr.Size
		}
	}
}

// faultLab is a lab machine whose course pins the stand-in and a large
// image, which the daemon has not pulled. Offline, the bundle is written,
// both images are gone from the daemon and the registry is stopped:
// `prepare --from` has to pull both from the bundle. Online, `prepare`
// pulls the large one from the registry.
type faultLab struct {
	m              *labMachine
	alpine, filler lessons.BaseImage
	// args is the command line of the prepare run.
	args []string
	// fillerLayer is a layer of filler: the daemon's debug log names it
	// when it starts fetching it.
	fillerLayer string
	engine      privatedaemon.Engine
	// busy is what the daemon's debug log says once the run has it at
	// work on the filler: fetching its layer, or loading the bundle's
	// images.
	busy   string
	bundle string
	// config is the daemon's config file as it was before.
	config []byte
	// cmd is the running prepare of interruptPull.
	cmd *exec.Cmd
}

// fillerSize makes a pull from the bundle take seconds on either engine
// (about 2 s on a quiet 2-core machine for Docker 20.10).
const fillerSize = 96 << 20

func newFaultLab(t *testing.T, bin string, e privatedaemon.Engine, offline bool) *faultLab {
	t.Helper()
	m := newLabMachine(t, bin, privatedaemon.Options{Engine: e})
	lab := &faultLab{m: m, engine: e, alpine: lessons.BaseImage{Ref: "alpine:3.22", Digest: m.digest}}
	lab.filler, lab.fillerLayer = m.pushFiller(t, "dttest-lab/filler:1", fillerSize)
	m.editCourse(t, "\nreleases:", "\n  - ref: "+lab.filler.Ref+"\n    digest: "+lab.filler.Digest+"\n    why: a pull that takes seconds\nreleases:")
	m.configure(t, true)
	lab.args = []string{"prepare"}
	lab.busy = lab.fillerLayer
	if offline {
		lab.bundle = filepath.Join(m.tmp, "lab.bundle")
		m.run(t, "prepare", "--bundle", lab.bundle)
		m.removeImage(t, lab.alpine.Ref)
		m.reg.Stop()
		lab.args = []string{"prepare", "--from", lab.bundle}
		lab.busy = "/images/load"
	}
	var err error
	if lab.config, err = os.ReadFile(m.d.ConfigFile); err != nil {
		t.Fatal(err)
	}
	return lab
}

// interruptPull starts the prepare run, waits until the daemon's log
// shows it fetching the filler's layer, calls interrupt, and returns the
// command's output and error once it ended, and how long that took after
// the interruption. A command still running after a minute fails the
// test.
func (lab *faultLab) interruptPull(t *testing.T, interrupt func()) (string, error, time.Duration) {
	t.Helper()
	m := lab.m
	logStart, err := os.Stat(m.d.Log)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	lab.cmd = m.command(lab.args...)
	lab.cmd.Stdout, lab.cmd.Stderr = &out, &out
	if err := lab.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- lab.cmd.Wait() }()
	// Killed if the test stops before it ended; the namespace's cleanup
	// reaps it.
	t.Cleanup(func() { lab.cmd.Process.Kill() })
	waitFor(t, 60*time.Second, "the daemon's log to say "+lab.busy, func() bool {
		return strings.Contains(logSince(t, m.d.Log, logStart.Size()), lab.busy)
	})
	interrupt()
	at := time.Now()
	select {
	case err = <-done:
	case <-time.After(time.Minute):
		t.Fatalf("%v still runs a minute after the interruption:\n%s", lab.args, out.String())
	}
	return out.String(), err, time.Since(at).Round(time.Millisecond)
}

// logSince is the daemon's log from offset on.
func logSince(t *testing.T, path string, offset int64) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(data[min(offset, int64(len(data))):])
}

// clearOutput fails the test unless out says want, and none of what a
// crash or a raw error prints.
func (lab *faultLab) clearOutput(t *testing.T, out, want string) {
	t.Helper()
	if !strings.Contains(out, want) {
		t.Fatalf("the output does not say %q:\n%s", want, out)
	}
	for _, bad := range []string{"panic", "goroutine ", "unexpected EOF", "connection refused", "FAILED: Docker could not reach the registry"} {
		if strings.Contains(out, bad) {
			t.Fatalf("the output has %q:\n%s", bad, out)
		}
	}
}

// notTagged fails the test if the filler's tag is on the daemon: the pull
// that was cut must not have made it.
func (lab *faultLab) notTagged(t *testing.T) {
	t.Helper()
	if st := pins.Inspect(context.Background(), lab.m.cli, lab.filler); st.State != pins.Missing {
		t.Fatalf("after the interrupted pull, %s is %s (%q), want no such tag", lab.filler.Ref, st.State, st.RepoDigests)
	}
}

// configAsItWas fails the test unless the daemon's config file has its
// bytes of before and no backup is left.
func (lab *faultLab) configAsItWas(t *testing.T) {
	t.Helper()
	m := lab.m
	if config, err := os.ReadFile(m.d.ConfigFile); err != nil || !bytes.Equal(config, lab.config) {
		t.Fatalf("the daemon's config file is not as it was: %v\n%s\nwas\n%s", err, config, lab.config)
	}
	if _, err := os.Stat(m.d.ConfigFile + mirror.BackupSuffix); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("a backup of the config file is left: %v", err)
	}
}

// completed fails the test unless the run after the interruption pulled
// (or loaded) both images to their pins and put the config file back.
func (lab *faultLab) completed(t *testing.T, out string) {
	t.Helper()
	done := lab.filler.Ref + "  pulled at the pinned digest and tagged"
	if lab.bundle != "" {
		done = loadedLine(lab.engine, lab.filler.Ref)
	}
	if !strings.Contains(out, done) {
		t.Fatalf("%v after the interruption:\n%s", lab.args, out)
	}
	lab.m.atPin(t, "after prepare again", lab.alpine, lab.filler)
	lab.configAsItWas(t)
}

// pushFiller pushes an image of size random bytes (which no compression
// shrinks) in three layers to the lab's registry as ref, a Docker Hub
// name its mirror serves, and returns its pin and the digest of its
// first layer.
func (m *labMachine) pushFiller(t *testing.T, ref string, size int64) (lessons.BaseImage, string) {
	t.Helper()
	img, err := random.Image(size/3, 3)
	if err != nil {
		t.Fatal(err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture = "linux", runtime.GOARCH
	cf.Created = v1.Time{Time: time.Unix(0, 0)}
	if img, err = mutate.ConfigFile(img, cf); err != nil {
		t.Fatal(err)
	}
	named, err := name.NewTag(ref)
	if err != nil {
		t.Fatal(err)
	}
	tag, err := name.NewTag(m.reg.Addr + "/" + named.RepositoryStr() + ":" + named.TagStr())
	if err != nil {
		t.Fatal(err)
	}
	// The registry listens on the daemon's loopback only.
	tr := &http.Transport{DialContext: m.d.DialContext}
	if err := remote.Write(tag, img, remote.WithTransport(tr)); err != nil {
		t.Fatalf("push %s: %v", tag, err)
	}
	digest, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	layers, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	layer, err := layers[0].Digest()
	if err != nil {
		t.Fatal(err)
	}
	return lessons.BaseImage{Ref: ref, Digest: digest.String()}, layer.String()
}
