package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/distribution/reference"
	"github.com/moby/moby/client"

	"github.com/dockertutor/dockertutor/exercises/check"
	"github.com/dockertutor/dockertutor/exercises/daemon"
	"github.com/dockertutor/dockertutor/exercises/pins"
	"github.com/dockertutor/dockertutor/lab/bundle"
	"github.com/dockertutor/dockertutor/lab/mirror"
	"github.com/dockertutor/dockertutor/lessons"
)

// bundleDaemon is what readying a machine from a bundle asks of the
// daemon: pulls and tags, its info (the mirrors it took), and a load for
// when its mirrors cannot be changed.
type bundleDaemon interface {
	daemon.Puller
	mirror.InfoReader
	ImageLoad(ctx context.Context, input io.Reader, opts ...client.ImageLoadOption) (client.ImageLoadResult, error)
}

// prepareFrom readies this machine from a bundle, with no network: it
// checks every part, installs the course pack and trivy's database, and
// gets the images onto the daemon at their pinned digests. Pins work
// offline only for images pulled by digest (a load gives no repository
// digest on Docker 20.10), so the bundle is served as a registry on
// loopback and, for Docker Hub's images, set as the daemon's mirror for
// the pulls (lab/mirror), then taken out again.
func prepareFrom(ctx context.Context, g *globals, path string) error {
	w := g.io.Out
	b, err := bundle.Open(path)
	if err != nil {
		return bundleError(err)
	}
	defer b.Close()
	m := b.Manifest()
	fmt.Fprintf(w, "Checking %s (%s, %d image(s))… ", path, m.Course.Title, len(m.Images))
	if err := b.Verify(ctx, nil); err != nil {
		fmt.Fprintln(w)
		return bundleError(err)
	}
	fmt.Fprintln(w, "every part is sound.")

	learner := learnerOf()
	if err := installCourse(w, b, learner); err != nil {
		return err
	}
	if b.Has(bundle.TrivyDBName) {
		dir := learner.trivyCacheDir(bundle.TrivyCacheDir())
		if err := learner.make(bundle.TrivyDBDir(dir), func() error { return b.ExtractTrivyDB(dir) }); err != nil {
			return bundleError(err)
		}
		fmt.Fprintf(w, "trivy's vulnerability database is in %s: the scanning lesson works offline with `trivy image --skip-db-update`, which keeps trivy from trying to download a newer one.\n", bundle.TrivyDBDir(dir))
	}

	cli, ep, err := connectDaemon(ctx)
	if err != nil {
		return err
	}
	defer cli.Close()
	images := make([]lessons.BaseImage, len(m.Images))
	for i, im := range m.Images {
		images[i] = lessons.BaseImage{Ref: im.Ref, Digest: im.Digest}
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("cannot serve the bundle on loopback: %w", err)
	}
	reg := b.Registry()
	hs := &http.Server{Handler: reg, ReadHeaderTimeout: 10 * time.Second}
	go hs.Serve(ln)
	defer hs.Close()
	hostPort := ln.Addr().String()

	outcomes, err := pullFromBundle(ctx, g, cli, ep.Host, path, b, images, hostPort)
	if dmg := reg.Damaged(); len(dmg) > 0 {
		return failed(dmg[0].Error())
	}
	if err != nil {
		return err
	}
	err = prepareSummary(ctx, w, cli, images, outcomes)
	if errors.Is(err, errFailed) {
		return offHubPins(err, images, outcomes)
	}
	return err
}

// offHubPins says why an image of another registry than Docker Hub is
// not at its pin after a pull from the bundle: Docker's registry mirrors
// serve Docker Hub only, so its repository digest can only come from its
// own registry. It is here at the pinned content, by tag. err stays as
// it is when some other image failed.
func offHubPins(err error, images []lessons.BaseImage, outcomes []pullOutcome) error {
	var off []string
	for i, img := range images {
		if i >= len(outcomes) || outcomes[i].err != nil {
			return err
		}
		if named, perr := reference.ParseNormalizedNamed(img.Ref); perr == nil && reference.Domain(named) != "docker.io" {
			off = append(off, img.Ref)
		}
	}
	if len(off) == 0 {
		return err
	}
	return failed(fmt.Sprintf("%s. Not from Docker Hub: %s. Each is here at its pinned content, by tag: FROM by tag works offline, "+
		"but a FROM that pins one by digest needs its own registry (Docker's registry mirrors serve Docker Hub only)",
		err.Error(), strings.Join(off, ", ")))
}

// pullFromBundle gets the images from the bundle's registry at hostPort:
// Docker Hub's through the daemon's mirror setting, pulled by their own
// pinned names; those of other registries from hostPort itself. Where the
// mirrors cannot be changed (another machine's daemon, a rootless one,
// not root) it loads them by tag instead and says what that means.
func pullFromBundle(ctx context.Context, g *globals, cli bundleDaemon, host, path string, b *bundle.Bundle, images []lessons.BaseImage, hostPort string) ([]pullOutcome, error) {
	w := g.io.Out
	pull := func(ctx context.Context, api daemon.Puller, img lessons.BaseImage, progress func(pins.Progress)) (pins.Result, error) {
		for _, im := range b.Images() {
			if im.Ref != img.Ref {
				continue
			}
			ref, viaMirror, err := im.PullRef(hostPort)
			if err != nil {
				return pins.Result{Ref: img.Ref, Digest: img.Digest}, err
			}
			if viaMirror {
				return pins.Pull(ctx, api, img, progress)
			}
			return pullOtherRegistry(ctx, api, img, ref, progress)
		}
		return pins.Result{Ref: img.Ref, Digest: img.Digest}, fmt.Errorf("the bundle has no image %s", img.Ref)
	}

	d, why := mirrorOf(ctx, host)
	if d == nil {
		fmt.Fprintf(w, "The daemon's registry mirrors cannot be set from here (%s): loading the images by tag.\n"+
			"They will have no repository digest, so a FROM pinned by digest would ask the registry; "+
			"run `dockertutor prepare --from` as root on the machine that runs Docker to keep the pins working offline.\n", why)
		return loadFromBundle(ctx, w, cli, b, images)
	}
	if recovered, err := d.Recover(ctx, cli); err != nil {
		return nil, err
	} else if recovered {
		fmt.Fprintf(w, "Put back %s as an interrupted run had left it.\n", d.ConfigFile)
	}
	fmt.Fprintf(w, "Serving the bundle at %s and setting it as the daemon's Docker Hub mirror in %s for the pulls (put back afterwards).\n", hostPort, d.ConfigFile)
	var outcomes []pullOutcome
	err := d.WithMirror(ctx, "http://"+hostPort, cli, func(ctx context.Context) error {
		var err error
		outcomes, err = pullAll(ctx, g, cli, images, pull)
		return err
	})
	for _, o := range outcomes {
		if errors.Is(o.err, pins.ErrDaemonStopped) {
			return nil, daemonStopped(d, o.res.Ref, path)
		}
	}
	return outcomes, err
}

// daemonStopped is the one sentence for dockerd going away during the
// pulls: what was left and how to finish. Restoring its mirrors could not
// signal it, so the backup is kept for the next run, which the restarted
// daemon needs no more than that: the file already names its own mirrors.
func daemonStopped(d *mirror.Daemon, ref, path string) error {
	msg := stoppedDuringPull(ref, "dockertutor prepare --from "+path)
	if _, err := os.Stat(d.Backup()); err == nil {
		msg += fmt.Sprintf(" (it first puts %s back from %s)", d.ConfigFile, d.Backup())
	}
	return unreachable(msg + ".")
}

// mirrorOf is the local daemon whose mirrors this process may change, or
// why there is none.
func mirrorOf(ctx context.Context, host string) (*mirror.Daemon, string) {
	d, err := mirror.Find(ctx, host)
	if err != nil {
		return nil, err.Error()
	}
	if d.Rootless {
		// RootlessKit gives the daemon a loopback of its own, which does
		// not reach a registry on this one.
		return nil, "a rootless daemon cannot reach this process's loopback"
	}
	if err := d.CanChange(); err != nil {
		return nil, err.Error()
	}
	return d, ""
}

// pullOtherRegistry pulls an image of a registry other than Docker Hub
// from the bundle's registry by digest (ref), tags it as the course names
// it and takes the loopback name off again. Its repository digest names
// the loopback registry, so a FROM pinned by digest still asks its own.
func pullOtherRegistry(ctx context.Context, api daemon.Puller, img lessons.BaseImage, ref string, progress func(pins.Progress)) (pins.Result, error) {
	named, err := reference.ParseNormalizedNamed(ref)
	if err != nil {
		return pins.Result{Ref: img.Ref, Digest: img.Digest}, err
	}
	tagged := reference.FamiliarName(named) + ":" + check.TagOf(img.Ref)
	res, err := pins.Pull(ctx, api, lessons.BaseImage{Ref: tagged, Digest: img.Digest}, progress)
	res.Ref, res.Digest = img.Ref, img.Digest
	if err != nil {
		return res, err
	}
	if _, err := api.ImageTag(ctx, client.ImageTagOptions{Source: tagged, Target: img.Ref}); err != nil {
		return res, err
	}
	if r, ok := api.(interface {
		ImageRemove(context.Context, string, client.ImageRemoveOptions) (client.ImageRemoveResult, error)
	}); ok {
		r.ImageRemove(ctx, tagged, client.ImageRemoveOptions{})
	}
	res.Tagged = true
	return res, nil
}

// loadFromBundle loads the bundle's images by tag (docker load), for the
// daemon's own platform.
func loadFromBundle(ctx context.Context, w io.Writer, cli bundleDaemon, b *bundle.Bundle, images []lessons.BaseImage) ([]pullOutcome, error) {
	info, err := cli.Info(ctx, client.InfoOptions{})
	if err != nil {
		return nil, unreachable(err.Error())
	}
	platform := normalPlatform(info.Info.OSType + "/" + info.Info.Architecture)
	stream, err := b.DockerLoad(platform)
	if err != nil {
		return nil, bundleError(err)
	}
	defer stream.Close()
	res, err := cli.ImageLoad(ctx, stream, client.ImageLoadWithQuiet(true))
	if err != nil {
		return nil, fmt.Errorf("docker load of the bundle's images: %w", err)
	}
	defer res.Close()
	if err := loadError(res); err != nil {
		return nil, err
	}
	outcomes := make([]pullOutcome, len(images))
	for i, img := range images {
		st := pins.Inspect(ctx, cli, img)
		outcomes[i] = pullOutcome{res: pins.Result{Ref: img.Ref, Digest: img.Digest, Tagged: true, After: st}}
		fmt.Fprintf(w, "%s  loaded by tag (no repository digest)\n", img.Ref)
	}
	return outcomes, nil
}

// loadError is the error a load's JSON messages end with, if any.
func loadError(r io.Reader) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		var msg struct {
			Error string `json:"error"`
		}
		if json.Unmarshal(sc.Bytes(), &msg) == nil && msg.Error != "" {
			return fmt.Errorf("docker load of the bundle's images: %s", msg.Error)
		}
	}
	return sc.Err()
}

// bundleError is a bundle that cannot be used: its own sentence, which
// names the part and says what to do, and exit code 1.
func bundleError(err error) error {
	if errors.Is(err, context.Canceled) {
		return err
	}
	return failed(err.Error())
}

// installCourse puts the bundle's course pack beside the tutor's data,
// unless it is the built-in course, and says how to use it.
func installCourse(w io.Writer, b *bundle.Bundle, learner learnerFiles) error {
	pack, err := b.CourseFS()
	if err != nil {
		return bundleError(err)
	}
	if builtin, ps := lessons.Builtin(); len(ps) == 0 && sameFiles(pack, builtin.FS()) {
		fmt.Fprintln(w, "The bundle's course is this dockertutor's built-in course.")
		return nil
	}
	c, ps := lessons.Load(pack)
	if len(ps) > 0 {
		return failed(fmt.Sprintf("the bundle's course pack has %d problem(s):\n%s", len(ps), ps.Error()))
	}
	dir := filepath.Join(learner.dataDir(), "courses", c.ID)
	tmp := dir + ".new"
	os.RemoveAll(tmp)
	err = learner.make(tmp, func() error { return os.CopyFS(tmp, pack) })
	if err != nil {
		os.RemoveAll(tmp)
		return fmt.Errorf("cannot install the course pack: %w", err)
	}
	os.RemoveAll(dir)
	if err := os.Rename(tmp, dir); err != nil {
		return fmt.Errorf("cannot install the course pack: %w", err)
	}
	fmt.Fprintf(w, "The course pack is in %s: learners start it with `dockertutor --course %s`.\n", dir, dir)
	return nil
}

// sameFiles says whether two file trees hold the same files, byte for byte.
func sameFiles(a, b fs.FS) bool {
	count := 0
	err := fs.WalkDir(a, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		count++
		x, err := fs.ReadFile(a, p)
		if err != nil {
			return err
		}
		y, err := fs.ReadFile(b, p)
		if err != nil || string(x) != string(y) {
			return errors.New("differs")
		}
		return nil
	})
	if err != nil {
		return false
	}
	n := 0
	fs.WalkDir(b, ".", func(_ string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			n++
		}
		return nil
	})
	return n == count
}
