package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/moby/moby/client"
	"github.com/spf13/pflag"

	"github.com/dockertutor/dockertutor/exercises/engine"
	"github.com/dockertutor/dockertutor/lab/bundle"
)

// bundleFlags are prepare's flags for lab machines.
type bundleFlags struct {
	bundle    string
	from      string
	serve     string
	addr      string
	platforms []string
}

func addBundleFlags(fs *pflag.FlagSet, f *bundleFlags) {
	fs.StringVar(&f.bundle, "bundle", "", "write the course and its pinned base images to this `FILE`, to ready lab machines without internet")
	fs.StringVar(&f.from, "from", "", "ready this machine from the bundle `FILE`, with no network")
	fs.StringVar(&f.serve, "serve", "", "serve the images of the bundle `FILE` as a registry the lab machines' daemons pull from")
	fs.StringVar(&f.addr, "addr", "127.0.0.1:5000", "with --serve: where to listen (0.0.0.0:5000 for the whole room)")
	fs.StringSliceVar(&f.platforms, "platform", nil, "with --bundle: the `os/arch` whose layers go in, repeatable (default: this daemon's)")
}

// runBundleFlags runs --bundle, --from or --serve when one is given;
// handled is false when none is.
func runBundleFlags(ctx context.Context, g *globals, w io.Writer, f *bundleFlags) (handled bool, err error) {
	given := 0
	for _, v := range []string{f.bundle, f.from, f.serve} {
		if v != "" {
			given++
		}
	}
	switch {
	case given > 1:
		return true, usageErrorf("give one of --bundle FILE (write a bundle), --from FILE (ready this machine from one) or --serve FILE (serve one)")
	case f.bundle != "":
		return true, prepareBundle(ctx, g, w, f.bundle, f.platforms)
	case f.from != "":
		return true, prepareFrom(ctx, g, f.from)
	case f.serve != "":
		return true, serveBundle(ctx, w, f.serve, f.addr)
	}
	return false, nil
}

// prepareBundle writes the course and its pinned images to path: the
// images fetched by digest from the daemon's mirrors or their registry,
// with this daemon's platform unless platforms name others.
func prepareBundle(ctx context.Context, g *globals, w io.Writer, path string, platforms []string) error {
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		return usageErrorf("%s is a folder: give the bundle's file name, such as %s", path, filepath.Join(path, "lab.bundle"))
	}
	course, err := g.loadCourse()
	if err != nil {
		return err
	}
	var mirrors []string
	ep, err := engine.Resolve()
	var cli *client.Client
	if err == nil {
		cli, err = engine.Connect(ctx, ep)
	}
	switch {
	case err == nil:
		defer cli.Close()
		info, err := cli.Info(ctx, client.InfoOptions{})
		if err != nil {
			return unreachable(engine.Explain(ep, err).Message)
		}
		if info.Info.RegistryConfig != nil {
			mirrors = info.Info.RegistryConfig.Mirrors
		}
		if len(platforms) == 0 {
			platforms = []string{info.Info.OSType + "/" + info.Info.Architecture}
		}
	case len(platforms) == 0:
		return unreachable(engine.Explain(ep, err).Message + " (or name the lab machines' platforms with --platform linux/amd64)")
	}
	// Info names the architecture as the kernel does (x86_64, aarch64).
	for i, p := range platforms {
		platforms[i] = normalPlatform(p)
	}

	opts := bundle.Options{
		Course:    bundle.Course{ID: course.ID, Title: course.Title},
		CourseFS:  course.FS(),
		Pins:      course.Images,
		Platforms: platforms,
		Mirrors:   mirrors,
	}
	if _, err := exec.LookPath("trivy"); err == nil {
		if dir := bundle.TrivyCacheDir(); bundle.HasTrivyDB(dir) {
			opts.TrivyCacheDir = dir
		} else {
			fmt.Fprintf(w, "trivy has no vulnerability database in %s yet: the bundle goes without it (run `trivy image --download-db-only` first to include it).\n", bundle.TrivyDBDir(dir))
		}
	}
	var image string
	var total int64
	opts.Progress = func(p bundle.Progress) {
		if p.Image != "" && p.Image != image {
			image = p.Image
			fmt.Fprintf(w, "Fetching %s\n", image)
		}
		if p.Done == p.Total {
			total += p.Total
		}
	}
	fmt.Fprintf(w, "Writing %s for %s (%s).\n", path, course.Title, strings.Join(platforms, ", "))
	start := time.Now()
	if err := bundle.WriteFile(ctx, path, opts); err != nil {
		return err
	}
	trivy := "no trivy database"
	if opts.TrivyCacheDir != "" {
		trivy = "trivy's database"
	}
	fmt.Fprintf(w, "Wrote %s: %.1f MB, %d image(s), the course pack, %s, in %s.\n", path,
		float64(total)/1e6, len(course.Images), trivy, time.Since(start).Round(100*time.Millisecond))
	fmt.Fprintf(w, "Copy it to each lab machine and run `dockertutor prepare --from %s` there.\n", filepath.Base(path))
	return nil
}

// normalPlatform names an architecture as image platforms do.
func normalPlatform(p string) string {
	os, arch, _ := strings.Cut(p, "/")
	switch arch {
	case "x86_64":
		arch = "amd64"
	case "aarch64":
		arch = "arm64"
	}
	return os + "/" + arch
}

// serveBundle checks the bundle whole, then serves its images as a
// read-only registry on addr until Ctrl+C, telling the daemon.json a lab
// machine needs to pull through it.
func serveBundle(ctx context.Context, w io.Writer, path, addr string) error {
	b, err := bundle.Open(path)
	if err != nil {
		return failed(err.Error())
	}
	defer b.Close()
	fmt.Fprintf(w, "Checking %s… ", path)
	if err := b.Verify(ctx, nil); err != nil {
		fmt.Fprintln(w)
		if errors.Is(err, context.Canceled) {
			return err
		}
		return failed(err.Error())
	}
	fmt.Fprintln(w, "every part is sound.")
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return usageErrorf("cannot listen on %s (%v): give another --addr, such as 127.0.0.1:5001", addr, err)
	}
	reg := b.Registry()
	reg.OnDamaged = func(pe *bundle.PartError) { fmt.Fprintln(w, "dockertutor: "+pe.Error()) }
	hs := &http.Server{Handler: reg, ReadHeaderTimeout: 10 * time.Second}

	hostPort := ln.Addr().String()
	tcp := ln.Addr().(*net.TCPAddr)
	var hosts []string
	switch {
	case tcp.IP.IsUnspecified():
		hosts = lanAddresses(tcp.Port)
	default:
		hosts = []string{hostPort}
	}
	fmt.Fprintf(w, "Serving the images of %s (course %s) at %s.\n\n", path, b.Manifest().Course.Title, strings.Join(hosts, ", "))
	for _, h := range hosts {
		fmt.Fprintf(w, "A lab machine that pulls from %s needs in its daemon.json (then a restart of Docker):\n", h)
		fmt.Fprintf(w, "  %s\n", daemonJSONLines(h))
	}
	fmt.Fprintln(w, "\nThen the course's images pull by their pins:")
	for _, im := range b.Images() {
		ref, viaMirror, err := im.PullRef(hosts[0])
		switch {
		case err != nil:
			fmt.Fprintf(w, "  %s: %v\n", im.Ref, err)
		case viaMirror:
			fmt.Fprintf(w, "  docker pull %s\n", ref)
		default:
			fmt.Fprintf(w, "  docker pull %s && docker tag %s %s\n", ref, ref, im.Ref)
		}
	}
	fmt.Fprintln(w, "\nPress Ctrl+C to stop.")

	if err := serveUntilSignal(ctx, hs, ln, "bundle's registry"); err != nil {
		return err
	}
	fmt.Fprintln(w, "Stopped serving.")
	return nil
}

// daemonJSONLines is what a daemon needs to use host:port as its docker.io
// mirror. Docker speaks plain http to 127.0.0.0/8 without being told; any
// other address must be named insecure.
func daemonJSONLines(hostPort string) string {
	mirror := fmt.Sprintf(`"registry-mirrors": ["http://%s"]`, hostPort)
	host, _, _ := net.SplitHostPort(hostPort)
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() || host == "localhost" {
		return "{" + mirror + "}"
	}
	return fmt.Sprintf(`{%s, "insecure-registries": ["%s"]}`, mirror, hostPort)
}

// lanAddresses are this machine's LAN addresses with the port, or
// loopback's when it has none.
func lanAddresses(port int) []string {
	var out []string
	for _, ip := range lanIPs() {
		out = append(out, net.JoinHostPort(ip.String(), fmt.Sprint(port)))
	}
	if len(out) == 0 {
		out = []string{net.JoinHostPort("127.0.0.1", fmt.Sprint(port))}
	}
	return out
}
