// Command lab-bench measures the lab machines' bundle against what Docker
// offers for the same images, in one run, on the daemon of DOCKER_HOST:
//
//   - making the file: bundle.WriteFile (from the registry, by digest)
//     against `docker save` of the same images already pulled;
//
//   - readying a machine from it: what `prepare --from` does with the
//     daemon (Open, the images loaded untagged from the bundle in place,
//     the bundle served as a registry, each image pulled by digest
//     through it, which fetches only its manifest, and tagged), against
//     `docker load` of the saved file. Not in it: the mirror setting and
//     its restoration, which the whole-process figures of bench/lab/cli
//     include.
//
//     go run ./bench/lab [-runs 5] [-mb 150]
//
// The images are the stand-in alpine:3.22 (pushed by the daemon) and an
// image of -mb MiB of random bytes in three layers, both in Debian's
// docker-registry on a free loopback port. Both files are fsynced, as
// WriteFile does. Only images named dockertutor-bench-<random> are made
// and removed.
package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/moby/moby/client"

	"github.com/dockertutor/dockertutor/exercises/dockertest"
	"github.com/dockertutor/dockertutor/internal/localregistry"
	"github.com/dockertutor/dockertutor/lab/bundle"
	"github.com/dockertutor/dockertutor/lessons"
)

const noAuth = "e30=" // X-Registry-Auth "{}"

func main() {
	runs := flag.Int("runs", 5, "timed runs of each side")
	mb := flag.Int64("mb", 150, "MiB of random bytes in the large image")
	flag.Parse()
	if err := run(*runs, *mb); err != nil {
		fmt.Fprintln(os.Stderr, "lab-bench:", err)
		os.Exit(1)
	}
}

type bench struct {
	ctx      context.Context
	cli      *client.Client
	dir      string
	pins     []lessons.BaseImage
	platform string
}

func run(runs int, mb int64) error {
	ctx := context.Background()
	cli, err := client.New(client.FromEnv)
	if err != nil {
		return err
	}
	defer cli.Close()
	version, err := cli.ServerVersion(ctx, client.ServerVersionOptions{})
	if err != nil {
		return fmt.Errorf("no daemon: %w", err)
	}
	if err := dockertest.EnsureStandIn(ctx, cli, "alpine:3.22"); err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "lab-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	reg, stop, err := startRegistry(dir)
	if err != nil {
		return err
	}
	defer stop()
	b := &bench{ctx: ctx, cli: cli, dir: dir, platform: version.Os + "/" + version.Arch}
	suffix := make([]byte, 4)
	rand.Read(suffix)
	prefix := reg + "/dockertutor-bench-" + hex.EncodeToString(suffix)

	fmt.Printf("Docker %s (API %s) at %s; %d runs; images: alpine:3.22 stand-in + %d MiB of random layers\n",
		version.Version, version.APIVersion, cli.DaemonHost(), runs, mb)
	standin, err := b.pushFromDaemon("alpine:3.22", prefix+"/alpine:3.22")
	if err != nil {
		return err
	}
	big, err := pushRandom(prefix+"/big:1", mb<<20)
	if err != nil {
		return err
	}
	b.pins = []lessons.BaseImage{standin, big}
	defer b.removeAll()
	for _, p := range b.pins {
		if err := b.pull(p.Ref); err != nil {
			return err
		}
	}

	var write, save, ready, load []float64
	var bundleSize, saveSize int64
	for i := range runs {
		// Alternate which side goes first, so neither always meets a
		// warm or a cold page cache.
		sides := []func() error{
			func() error { d, n, err := b.writeBundle(); write = append(write, d); bundleSize = n; return err },
			func() error { d, n, err := b.dockerSave(); save = append(save, d); saveSize = n; return err },
		}
		if i%2 == 1 {
			slices.Reverse(sides)
		}
		for _, side := range sides {
			if err := side(); err != nil {
				return err
			}
		}
	}
	for i := range runs {
		sides := []func() error{
			func() error { d, err := b.readyFromBundle(); ready = append(ready, d); return err },
			func() error { d, err := b.dockerLoad(); load = append(load, d); return err },
		}
		if i%2 == 1 {
			slices.Reverse(sides)
		}
		for _, side := range sides {
			if err := side(); err != nil {
				return err
			}
		}
	}
	fmt.Printf("\n%-44s %10s   %-26s %10s   %s\n", "dockertutor", "median", "docker", "median", "ratio")
	row := func(what string, a []float64, other string, o []float64) {
		fmt.Printf("%-44s %9.2fs   %-26s %9.2fs   %.3f   (runs: %s | %s)\n", what, median(a), other, median(o), median(a)/median(o), list(a), list(o))
	}
	row("bundle.WriteFile (registry → file)", write, "docker save (daemon → file)", save)
	row("load untagged+serve+pull (file → daemon)", ready, "docker load (file → daemon)", load)
	fmt.Printf("\nbundle %d bytes, docker save %d bytes (ratio %.3f)\n", bundleSize, saveSize, float64(bundleSize)/float64(saveSize))
	return nil
}

func list(xs []float64) string {
	var s []string
	for _, x := range xs {
		s = append(s, fmt.Sprintf("%.2f", x))
	}
	return strings.Join(s, " ")
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func (b *bench) writeBundle() (float64, int64, error) {
	path := filepath.Join(b.dir, "lab.bundle")
	start := time.Now()
	err := bundle.WriteFile(b.ctx, path, bundle.Options{
		Course:    bundle.Course{ID: "bench", Title: "Bench"},
		CourseFS:  os.DirFS("lessons/course"),
		Pins:      b.pins,
		Platforms: []string{b.platform},
	})
	d := time.Since(start).Seconds()
	if err != nil {
		return 0, 0, err
	}
	fi, err := os.Stat(path)
	if err != nil {
		return 0, 0, err
	}
	return d, fi.Size(), nil
}

func (b *bench) dockerSave() (float64, int64, error) {
	path := filepath.Join(b.dir, "saved.tar")
	start := time.Now()
	var refs []string
	for _, p := range b.pins {
		refs = append(refs, p.Ref)
	}
	rc, err := b.cli.ImageSave(b.ctx, refs)
	if err != nil {
		return 0, 0, err
	}
	defer rc.Close()
	f, err := os.Create(path)
	if err != nil {
		return 0, 0, err
	}
	defer f.Close()
	n, err := io.Copy(f, rc)
	if err == nil {
		err = f.Sync()
	}
	return time.Since(start).Seconds(), n, err
}

// readyFromBundle is what prepare --from does with a bundle: open it,
// have the daemon load the images untagged from it in place, serve it on
// loopback and have the daemon pull each image by digest through it
// (here directly at 127.0.0.1:PORT, as a mirror would), then tag it.
func (b *bench) readyFromBundle() (float64, error) {
	if err := b.removeAll(); err != nil {
		return 0, err
	}
	start := time.Now()
	bd, err := bundle.Open(filepath.Join(b.dir, "lab.bundle"))
	if err != nil {
		return 0, err
	}
	defer bd.Close()
	var refs []string
	for _, im := range bd.Images() {
		refs = append(refs, im.Ref)
	}
	stream, err := bd.DockerLoad(b.platform, bundle.LoadOptions{Refs: refs, Untagged: true, CheckedByDaemon: true})
	if err != nil {
		return 0, err
	}
	if err := b.load(stream); err != nil {
		return 0, err
	}
	srv := httptest.NewServer(bd.Registry())
	defer srv.Close()
	addr := strings.TrimPrefix(srv.URL, "http://")
	for _, im := range bd.Images() {
		ref, _, err := im.PullRef(addr)
		if err != nil {
			return 0, err
		}
		if err := b.pull(ref); err != nil {
			return 0, err
		}
		if _, err := b.cli.ImageTag(b.ctx, client.ImageTagOptions{Source: ref, Target: im.Ref}); err != nil {
			return 0, err
		}
		if _, err := b.cli.ImageRemove(b.ctx, ref, client.ImageRemoveOptions{}); err != nil {
			return 0, err
		}
	}
	return time.Since(start).Seconds(), nil
}

func (b *bench) dockerLoad() (float64, error) {
	if err := b.removeAll(); err != nil {
		return 0, err
	}
	start := time.Now()
	f, err := os.Open(filepath.Join(b.dir, "saved.tar"))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	if err := b.load(f); err != nil {
		return 0, err
	}
	return time.Since(start).Seconds(), nil
}

// load has the daemon load a docker load stream.
func (b *bench) load(r io.Reader) error {
	res, err := b.cli.ImageLoad(b.ctx, r, client.ImageLoadWithQuiet(true))
	if err != nil {
		return err
	}
	out, err := io.ReadAll(res)
	res.Close()
	if err != nil {
		return err
	}
	if strings.Contains(string(out), `"error`) {
		return fmt.Errorf("docker load: %s", out)
	}
	return nil
}

// removeAll takes the bench's images off the daemon whole, so that each
// side loads every layer again (the stand-in's image keeps its
// alpine:3.22 tag).
func (b *bench) removeAll() error {
	for _, p := range b.pins {
		res, err := b.cli.ImageInspect(b.ctx, p.Ref)
		if err != nil {
			continue
		}
		force := !strings.Contains(p.Ref, "/alpine:")
		_, err = b.cli.ImageRemove(b.ctx, res.ID, client.ImageRemoveOptions{Force: force})
		if err != nil && !force {
			_, err = b.cli.ImageRemove(b.ctx, p.Ref, client.ImageRemoveOptions{})
		}
		if err != nil && !strings.Contains(strings.ToLower(err.Error()), "no such image") && !strings.Contains(err.Error(), "not found") {
			return err
		}
	}
	return nil
}

func (b *bench) pull(ref string) error {
	resp, err := b.cli.ImagePull(b.ctx, ref, client.ImagePullOptions{RegistryAuth: noAuth})
	if err != nil {
		return err
	}
	defer resp.Close()
	return resp.Wait(b.ctx)
}

func (b *bench) pushFromDaemon(source, ref string) (lessons.BaseImage, error) {
	if _, err := b.cli.ImageTag(b.ctx, client.ImageTagOptions{Source: source, Target: ref}); err != nil {
		return lessons.BaseImage{}, err
	}
	defer b.cli.ImageRemove(b.ctx, ref, client.ImageRemoveOptions{})
	resp, err := b.cli.ImagePush(b.ctx, ref, client.ImagePushOptions{RegistryAuth: noAuth})
	if err != nil {
		return lessons.BaseImage{}, err
	}
	defer resp.Close()
	if err := resp.Wait(b.ctx); err != nil {
		return lessons.BaseImage{}, err
	}
	return pinOf(ref)
}

func pinOf(ref string) (lessons.BaseImage, error) {
	tag, err := name.NewTag(ref)
	if err != nil {
		return lessons.BaseImage{}, err
	}
	d, err := remote.Head(tag)
	if err != nil {
		return lessons.BaseImage{}, err
	}
	return lessons.BaseImage{Ref: ref, Digest: d.Digest.String()}, nil
}

// pushRandom pushes an image of size random bytes in three layers.
func pushRandom(ref string, size int64) (lessons.BaseImage, error) {
	img, err := random.Image(size/3, 3)
	if err != nil {
		return lessons.BaseImage{}, err
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return lessons.BaseImage{}, err
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture = "linux", "amd64"
	cf.Config.Cmd = []string{"/bin/true"}
	cf.Created = v1.Time{Time: time.Unix(0, 0)}
	if img, err = mutate.ConfigFile(img, cf); err != nil {
		return lessons.BaseImage{}, err
	}
	tag, err := name.NewTag(ref)
	if err != nil {
		return lessons.BaseImage{}, err
	}
	if err := remote.Write(tag, img); err != nil {
		return lessons.BaseImage{}, err
	}
	return pinOf(ref)
}

// startRegistry runs Debian's docker-registry on a free loopback port
// with its storage in dir.
func startRegistry(dir string) (string, func(), error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	addr := l.Addr().String()
	l.Close()
	cfg := localregistry.Config{Addr: addr, Storage: filepath.Join(dir, "registry"), LogLevel: "error"}
	p, err := localregistry.Start(exec.Command, cfg, filepath.Join(dir, "registry.yml"), filepath.Join(dir, "registry.log"))
	if err != nil {
		return "", nil, err
	}
	if err := p.Wait(http.DefaultClient, 30*time.Second); err != nil {
		p.Stop()
		return "", nil, err
	}
	return addr, p.Stop, nil
}
