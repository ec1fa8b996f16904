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
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/distribution/reference"
	"github.com/moby/moby/client"
	"github.com/moby/moby/client/pkg/versions"

	"github.com/dockertutor/dockertutor/exercises/check"
	"github.com/dockertutor/dockertutor/exercises/daemon"
	"github.com/dockertutor/dockertutor/exercises/engine"
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
// checks the parts it uses, installs the course pack and trivy's
// database, and gets the images onto the daemon at their pinned digests.
// Pins work offline only for images pulled by digest (a load gives no
// repository digest on Docker 20.10), so the bundle is served as a
// registry on loopback and, for Docker Hub's images, set as the daemon's
// mirror for the pulls (lab/mirror), then taken out again. Each image is
// loaded untagged first, so its pull fetches only the manifest.
func prepareFrom(ctx context.Context, g *globals, path string) error {
	b, err := bundle.Open(path)
	if err != nil {
		return bundleError(err)
	}
	defer b.Close()
	cli, ep, ping, err := connectDaemon(ctx)
	if err != nil {
		return err
	}
	defer cli.Close()
	m := b.Manifest()
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

	classic := classicStoreOnly(ping.APIVersion)
	run := &fromBundle{g: g, cli: cli, b: b, reg: reg, path: path, images: images, hostPort: ln.Addr().String(), learner: learnerOf(),
		daemon: askDaemon(ctx, cli, !classic), classicOnly: classic}
	outcomes, err := run.ready(ctx, ep.Host)
	if dmg := reg.Damaged(); len(dmg) > 0 {
		return failed(dmg[0].Error())
	}
	if err != nil {
		return err
	}
	err = prepareSummary(ctx, g.io.Out, cli, images, outcomes)
	if errors.Is(err, errFailed) {
		return offHubPins(err, images, outcomes)
	}
	return err
}

// fromBundle is one `prepare --from` run: the bundle, served as a
// registry at hostPort, and the daemon it readies.
type fromBundle struct {
	g        *globals
	cli      bundleDaemon
	b        *bundle.Bundle
	reg      *bundle.Registry
	path     string
	images   []lessons.BaseImage
	hostPort string
	learner  learnerFiles
	// daemon is what the daemon says of itself. Info takes about 20 ms
	// (Docker runs runc and docker-init for their versions), all of it
	// a wait before the load, so it is asked at the start where it may
	// be needed and not at all where facts knows the answer.
	daemon func() (daemonFacts, error)
	// classicOnly says the daemon's API predates the containerd image
	// store.
	classicOnly bool
}

// classicStoreOnly says a daemon of API version api can only have the
// classic image store: the containerd one came with API 1.43 (Docker 24).
func classicStoreOnly(api string) bool {
	return api != "" && versions.LessThan(api, "1.43")
}

// facts is what the load needs to know of the daemon: its image store
// and platform. A daemon found on this machine (d) with the classic store
// only runs on this kernel, whose platform its Info would report.
func (r *fromBundle) facts(d *mirror.Daemon) (daemonFacts, error) {
	if d != nil && d.Platform != "" && r.classicOnly {
		return daemonFacts{platform: normalPlatform(d.Platform)}, nil
	}
	return r.daemon()
}

// ready gets the images onto the daemon of host. Where the daemon's
// mirrors can be set, the work overlaps: the daemon loads the images
// that are not at their pins (one stream, untagged) while every part is
// hashed, the mirror is set and, once the parts proved sound, the course
// pack and trivy's database are installed; only the pulls of the
// manifests, which make the tags once every part proved sound, and the
// mirror's restoration come after. Where they cannot (another machine's daemon, a
// rootless one, not root), it loads the images by tag instead and says
// what that means.
func (r *fromBundle) ready(ctx context.Context, host string) ([]pullOutcome, error) {
	w := r.g.io.Out
	d, why := mirrorOf(ctx, host) // it only reads, and takes less than Info
	facts, err := r.facts(d)
	if err != nil {
		return nil, err
	}
	if facts.containerdStore {
		return r.readyByLayout(ctx, facts.platform)
	}
	if d == nil {
		if err := r.verify(ctx); err != nil {
			return nil, err
		}
		if err := r.install(w); err != nil {
			return nil, err
		}
		fmt.Fprintf(w, "The daemon's registry mirrors cannot be set from here (%s): loading the images by tag.\n"+
			"They will have no repository digest, so a FROM pinned by digest would ask the registry; "+
			"run `dockertutor prepare --from` as root on the machine that runs Docker to keep the pins working offline.\n", why)
		return loadFromBundle(ctx, w, r.cli, r.b, r.images, facts.platform)
	}
	if recovered, err := d.Recover(ctx, r.cli); err != nil {
		return nil, err
	} else if recovered {
		fmt.Fprintf(w, "Put back %s as an interrupted run had left it.\n", d.ConfigFile)
	}

	platform := facts.platform
	pending, _ := r.pending(ctx) // not at their pins: loaded, then pulled
	needMirror := false
	for _, ref := range pending {
		if _, viaMirror, err := r.pullRef(ref); err == nil && viaMirror {
			needMirror = true
		}
	}
	if len(pending) == 0 {
		return r.allAtPins(ctx)
	}
	load, err := r.startLoad(pending, func() (*bundle.LoadStream, error) {
		return r.b.DockerLoad(platform, bundle.LoadOptions{Refs: pending, Untagged: true, CheckedByDaemon: true})
	}, "untagged; every part is checked, against its SHA-256 or by the daemon, before anything is tagged from it.")
	if err != nil {
		return nil, err
	}
	defer load.Close()

	change := noMirror
	if needMirror {
		fmt.Fprintf(w, "Serving the bundle at %s and setting it as the daemon's Docker Hub mirror in %s for the pulls (put back afterwards).\n", r.hostPort, d.ConfigFile)
		change = setMirror(ctx, d, "http://"+r.hostPort, r.cli)
	}
	pull := func(ctx context.Context, api daemon.Puller, img lessons.BaseImage, progress func(pins.Progress)) (pins.Result, error) {
		res := pins.Result{Ref: img.Ref, Digest: img.Digest}
		ref, viaMirror, err := r.pullRef(img.Ref)
		if err != nil {
			return res, err
		}
		loaded := slices.Contains(pending, img.Ref)
		if loaded {
			if err := load.wait(ctx, progress); err != nil {
				return res, err
			}
			if viaMirror {
				if err := change.set(); err != nil {
					return res, err
				}
			}
		}
		if viaMirror {
			res, err = pins.Pull(ctx, api, img, progress)
		} else {
			res, err = pullOtherRegistry(ctx, api, img, ref, progress)
		}
		res.Loaded = loaded && res.Pulled
		if dmg := r.reg.Damaged(); err != nil && len(dmg) > 0 {
			// The daemon's own words for a blob cut off by the
			// registry are a short read: the part is the cause.
			err = dmg[0]
		}
		return res, err
	}
	outcomes, err := pullAll(ctx, r.g, r.cli, r.images, pull, true)
	// Interrupted, the mirror's setting may have been cut short too:
	// only a daemon left unrestored is worth saying then.
	var notRestored *mirror.RestoreError
	if rerr := change.restore(); rerr != nil && (ctx.Err() == nil || errors.As(rerr, &notRestored)) {
		err = errors.Join(err, rerr)
	}
	return r.settle(outcomes, err, load.err, load.installed(), func(stopped error, refs string) error {
		return daemonStopped(d, stopped, refs, r.path)
	})
}

// settle ends a run once its images are done: the daemon stopping and a
// damaged part are the run's whole answer; otherwise what the install
// said follows the images' lines, and its failure joins theirs. stopped
// is the sentence for the daemon going away at refs.
func (r *fromBundle) settle(outcomes []pullOutcome, err, loadErr error, inst installed, stopped func(err error, refs string) error) ([]pullOutcome, error) {
	for _, o := range outcomes {
		var se *pins.DaemonStoppedError
		if errors.As(o.err, &se) {
			// The refs of what the daemon was at: every image of the
			// load, or the one pull.
			return nil, stopped(o.err, se.Ref)
		}
	}
	var part *bundle.PartError
	if errors.As(loadErr, &part) {
		return nil, bundleError(part)
	}
	fmt.Fprint(r.g.io.Out, inst.said)
	if inst.err != nil {
		return nil, errors.Join(inst.err, err)
	}
	return outcomes, err
}

// readyByLayout readies a daemon with the containerd image store: it
// loads the images that are not at their pins as the bundle's OCI layout,
// which names each at its pinned digest, so no pull and no mirror are
// needed (and no root: any user of the daemon can); the course pack and
// trivy's database go in beside the load.
func (r *fromBundle) readyByLayout(ctx context.Context, platform string) ([]pullOutcome, error) {
	pending, before := r.pending(ctx)
	if len(pending) == 0 {
		return r.allAtPins(ctx)
	}
	load, err := r.startLoad(pending, func() (*bundle.LoadStream, error) { return r.b.OCILoad(platform, pending) },
		"at their pinned digests into the daemon's containerd image store; every part is checked against its SHA-256 as it is read.")
	if err != nil {
		return nil, err
	}
	defer load.Close()
	load1 := func(ctx context.Context, api daemon.Puller, img lessons.BaseImage, progress func(pins.Progress)) (pins.Result, error) {
		if !slices.Contains(pending, img.Ref) {
			return pins.Pull(ctx, api, img, progress) // at its pin: said so
		}
		res := pins.Result{Ref: img.Ref, Digest: img.Digest, Before: before[img.Ref]}
		if err := load.wait(ctx, progress); err != nil {
			return res, err
		}
		res.Loaded, res.Tagged = true, true
		res.After = pins.Inspect(context.WithoutCancel(ctx), r.cli, img)
		if !res.After.State.Ready() {
			return res, &pins.VerifyError{Status: res.After}
		}
		return res, nil
	}
	outcomes, err := pullAll(ctx, r.g, r.cli, r.images, load1, true)
	return r.settle(outcomes, err, load.err, load.installed(), func(stopped error, refs string) error {
		return unreachable(stoppedDuring(stopped, refs, "dockertutor prepare --from "+r.path) + ".")
	})
}

// bundleLoad is a load of the images not at their pins under way, beside
// the install of the course pack and trivy's database: the daemon reads
// the stream once, for the first image that needs it, and every later
// image has that answer.
type bundleLoad struct {
	r         *fromBundle
	stream    *bundle.LoadStream
	pending   []string
	installed func() installed

	once sync.Once
	err  error
}

// startLoad opens the load's stream, says what it loads and how (the end
// of the sentence), and starts the install beside it.
func (r *fromBundle) startLoad(pending []string, open func() (*bundle.LoadStream, error), how string) (*bundleLoad, error) {
	stream, err := open()
	if err != nil {
		return nil, bundleError(err)
	}
	m := r.b.Manifest()
	fmt.Fprintf(r.g.io.Out, "Loading %d of the %d image(s) of %s (%s) %s\n", len(pending), len(m.Images), r.path, m.Course.Title, how)
	return &bundleLoad{r: r, stream: stream, pending: pending, installed: r.installBeside()}, nil
}

// wait loads, the first time it is called, and returns the load's answer.
func (l *bundleLoad) wait(ctx context.Context, progress func(pins.Progress)) error {
	l.once.Do(func() { l.err = loadImages(ctx, l.r.cli, l.r.b, l.stream, l.pending, progress) })
	return l.err
}

func (l *bundleLoad) Close() error { return l.stream.Close() }

// allAtPins is a run with nothing to load: the bundle is checked whole,
// the course pack and trivy's database installed, and each image says it
// is at its pin already.
func (r *fromBundle) allAtPins(ctx context.Context) ([]pullOutcome, error) {
	if err := r.verify(ctx); err != nil {
		return nil, err
	}
	if err := r.install(r.g.io.Out); err != nil {
		return nil, err
	}
	return pullAll(ctx, r.g, r.cli, r.images, pins.Pull, false)
}

// pending are the refs of the images not at their pins on the daemon,
// and the state each image's tag was in.
func (r *fromBundle) pending(ctx context.Context) ([]string, map[string]pins.Status) {
	var refs []string
	before := map[string]pins.Status{}
	for _, img := range r.images {
		st := pins.Inspect(ctx, r.cli, img)
		before[img.Ref] = st
		if !st.State.Ready() {
			refs = append(refs, img.Ref)
		}
	}
	return refs, before
}

// installed is what installing the course pack and trivy's database said,
// and how it ended.
type installed struct {
	said string
	err  error
}

// installBeside installs the course pack and trivy's database in the
// background, each checked as it is read, and returns the wait for it:
// what it says is written after the images' progress.
func (r *fromBundle) installBeside() func() installed {
	done := make(chan installed, 1)
	go func() {
		var said strings.Builder
		err := r.install(&said)
		done <- installed{said.String(), err}
	}()
	return sync.OnceValue(func() installed { return <-done })
}

// pullRef is where the image is pulled from, and whether that is through
// the daemon's Docker Hub mirror (im.PullRef).
func (r *fromBundle) pullRef(ref string) (string, bool, error) {
	for _, im := range r.b.Images() {
		if im.Ref == ref {
			return im.PullRef(r.hostPort)
		}
	}
	return "", false, fmt.Errorf("the bundle has no image %s", ref)
}

// verify checks every part of the bundle, saying so.
func (r *fromBundle) verify(ctx context.Context) error {
	w := r.g.io.Out
	m := r.b.Manifest()
	fmt.Fprintf(w, "Checking %s (%s, %d image(s))… ", r.path, m.Course.Title, len(m.Images))
	if err := r.b.Verify(ctx, nil); err != nil {
		fmt.Fprintln(w)
		return bundleError(err)
	}
	fmt.Fprintln(w, "every part is sound.")
	return nil
}

// install puts the bundle's course pack and trivy's database where the
// learner's tutor and trivy find them, saying so on w.
func (r *fromBundle) install(w io.Writer) error {
	if err := installCourse(w, r.b, r.learner); err != nil {
		return err
	}
	if !r.b.Has(bundle.TrivyDBName) {
		return nil
	}
	dir := r.learner.trivyCacheDir(bundle.TrivyCacheDir())
	if err := r.learner.make(bundle.TrivyDBDir(dir), func() error { return r.b.ExtractTrivyDB(dir) }); err != nil {
		return bundleError(err)
	}
	fmt.Fprintf(w, "trivy's vulnerability database is in %s: the scanning lesson works offline with `trivy image --skip-db-update`, which keeps trivy from trying to download a newer one.\n", bundle.TrivyDBDir(dir))
	return nil
}

// mirrorChange is the daemon's mirror being set in the background: set
// waits until it is in place (or failed), restore puts the daemon back
// and returns what went wrong along the way.
type mirrorChange struct {
	set     func() error
	restore func() error
}

// noMirror is a run that needs no mirror.
var noMirror = mirrorChange{set: func() error { return nil }, restore: func() error { return nil }}

// setMirror starts d.WithMirror in the background, so that the reload
// overlaps the load; the mirror stays until restore.
func setMirror(ctx context.Context, d *mirror.Daemon, url string, api mirror.InfoReader) mirrorChange {
	inPlace := make(chan struct{})
	release := make(chan struct{})
	finished := make(chan error, 1)
	go func() {
		finished <- d.WithMirror(ctx, url, api, func(context.Context) error {
			close(inPlace)
			<-release
			return nil
		})
	}()
	var result error
	var ended bool
	wait := func() error {
		if !ended {
			result, ended = <-finished, true
		}
		return result
	}
	return mirrorChange{
		set: sync.OnceValue(func() error {
			select {
			case <-inPlace:
				return nil
			case err := <-finished:
				// Never set: WithMirror ended with why.
				result, ended = err, true
				return err
			}
		}),
		restore: sync.OnceValue(func() error {
			close(release)
			return wait()
		}),
	}
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

// daemonStopped is the one sentence for dockerd going away during the
// pulls: what was left and how to finish. Restoring its mirrors could not
// signal it, so the backup is kept for the next run, which the restarted
// daemon needs no more than that: the file already names its own mirrors.
func daemonStopped(d *mirror.Daemon, err error, ref, path string) error {
	msg := stoppedDuring(err, ref, "dockertutor prepare --from "+path)
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
func loadFromBundle(ctx context.Context, w io.Writer, cli bundleDaemon, b *bundle.Bundle, images []lessons.BaseImage, platform string) ([]pullOutcome, error) {
	stream, err := b.DockerLoad(platform, bundle.LoadOptions{})
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

// daemonFacts is what readying from a bundle needs to know of the daemon.
type daemonFacts struct {
	// platform is its os/arch, whose layers a load takes.
	platform string
	// containerdStore: it keeps images in containerd (the current
	// engine's default, Docker Desktop's), where a load of the bundle's
	// OCI layout gives each image its repository digest.
	containerdStore bool
}

// askDaemon returns a wait for the daemon's facts, asked at once when
// now is set and at the first wait otherwise.
func askDaemon(ctx context.Context, cli bundleDaemon, now bool) func() (daemonFacts, error) {
	ask := sync.OnceValues(func() (daemonFacts, error) {
		res, err := cli.Info(ctx, client.InfoOptions{})
		if err != nil {
			return daemonFacts{}, unreachable(err.Error())
		}
		return daemonFacts{
			platform:        normalPlatform(res.Info.OSType + "/" + res.Info.Architecture),
			containerdStore: engine.ImageStore(res.Info.DriverStatus) == "containerd",
		}, nil
	})
	if now {
		go ask()
	}
	return ask
}

// loadImages has the daemon load the images of refs from the bundle's
// stream, untagged: the pull by digest after it then fetches only each
// manifest (both image stores keep what they have), which is the
// daemon's one way to record the repository digest a pin needs; a load
// takes the layers in faster than a pull, which first writes each to a
// file. It tags nothing, whether it completes, fails or is cancelled; a
// load the daemon refuses for a damaged part is that *bundle.PartError.
func loadImages(ctx context.Context, cli bundleDaemon, b *bundle.Bundle, stream *bundle.LoadStream, refs []string, progress func(pins.Progress)) error {
	read := newLoadProgress(stream, progress)
	res, err := cli.ImageLoad(ctx, read, client.ImageLoadWithQuiet(true))
	if err == nil {
		err = loadError(res)
		res.Close()
	}
	switch {
	case err == nil:
		return nil
	case ctx.Err() != nil:
		return ctx.Err()
	}
	var part *bundle.PartError
	if errors.As(err, &part) {
		return part // a checked stream's own refusal
	}
	if !pins.Answers(ctx, cli) {
		return &pins.DaemonStoppedError{Ref: strings.Join(refs, ", "), Step: "load", Err: err}
	}
	// The daemon refused the stream: a damaged part is the likely cause
	// (Docker 20.10 checks each layer as it loads it), and hashing them
	// all names it.
	if verr := b.Verify(ctx, nil); verr != nil {
		return verr
	}
	return fmt.Errorf("loading %s from the bundle: %w", strings.Join(refs, ", "), err)
}

// loadProgress reports, image by image, how much of a load stream the
// daemon has read: loading while it reads, extracting once it has it all
// (Docker 20.10 unpacks after reading the whole stream).
type loadProgress struct {
	r      io.Reader
	parts  []bundle.LoadPart
	report func(pins.Progress)
	read   int64
	// per image: the bytes of its parts, and the fraction last shown
	total map[string]int64
	shown map[string]float64
}

func newLoadProgress(stream *bundle.LoadStream, report func(pins.Progress)) *loadProgress {
	l := &loadProgress{r: stream, parts: stream.Parts, report: report, total: map[string]int64{}, shown: map[string]float64{}}
	for _, p := range stream.Parts {
		l.total[p.Ref] += p.Size
	}
	return l
}

func (l *loadProgress) Read(p []byte) (int, error) {
	n, err := l.r.Read(p)
	l.read += int64(n)
	if l.report == nil {
		return n, err
	}
	if err == io.EOF {
		for ref, total := range l.total {
			l.report(pins.Progress{Ref: ref, Phase: pins.Extracting, Done: total, Total: total, Fraction: 1})
		}
		return n, err
	}
	// The image whose part is being read, and how much of its parts
	// are: tar headers are left out, so the sums run a little ahead.
	var before int64
	done := map[string]int64{}
	ref := ""
	for _, part := range l.parts {
		if l.read <= before {
			break
		}
		done[part.Ref] += min(part.Size, l.read-before)
		ref = part.Ref
		before += part.Size
	}
	if ref == "" || l.total[ref] == 0 {
		return n, err
	}
	fraction := float64(done[ref]) / float64(l.total[ref])
	if fraction-l.shown[ref] >= 0.01 {
		l.shown[ref] = fraction
		l.report(pins.Progress{Ref: ref, Phase: pins.Loading, Done: done[ref], Total: l.total[ref], Fraction: fraction})
	}
	return n, err
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
