// Package mirror points the local Docker daemon's docker.io registry
// mirrors at a loopback URL for the duration of a function, and puts
// everything back.
//
// Why: an image that came in by `docker load` has no repository digest
// on Docker 20.10, so `FROM alpine:3.22@sha256:…` asks Docker Hub for it,
// and a lab machine has no Docker Hub. Pulling `alpine@sha256:…` from a
// registry on 127.0.0.1 set as the docker.io mirror records that digest
// (and, on the containerd image store, the docker.io source label
// BuildKit looks for), after which both builders resolve the pin locally.
// There is no API to set a mirror: it lives in daemon.json, which dockerd
// reads again on SIGHUP.
//
// The daemon reloads these daemon.json keys on SIGHUP (moby's
// daemon/reload.go and reload_unix.go at v20.10.24 and docker-v29.7.2):
// debug, labels, insecure-registries, registry-mirrors, live-restore,
// max-concurrent-downloads, max-concurrent-uploads, max-download-attempts,
// shutdown-timeout, network-diagnostic-port, features, runtimes,
// default-runtime and default-shm-size; 20.10 also
// allow-nondistributable-artifacts and cluster-store/cluster-advertise,
// the current line default-stop-timeout and nri-opts. Every other key
// waits for a restart. A key missing from the file keeps its value in
// memory on a reload, which is why restoring writes
// "registry-mirrors": [] (or the mirrors the daemon had) before it puts
// the original bytes back. A reload also applies whatever else was
// edited in the file since the daemon last read it.
package mirror

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/moby/moby/client"
)

// InfoReader is what WithMirror and Recover ask of the daemon's API: its
// info, whose RegistryConfig.Mirrors says what the daemon took.
type InfoReader interface {
	Info(ctx context.Context, options client.InfoOptions) (client.SystemInfoResult, error)
}

// Daemon is a dockerd running on this machine, found from its socket.
type Daemon struct {
	// Socket is the unix socket path the daemon was found by.
	Socket string
	// PID is the dockerd process that listens on Socket.
	PID int
	// ConfigFile is the daemon.json it reads: --config-file, else the
	// default for a rootful or rootless daemon. It may not exist.
	ConfigFile string
	// Rootless says the daemon runs in rootless mode (RootlessKit).
	Rootless bool
	// Platform is the daemon's OS and machine as its Info says them
	// ("linux/x86_64"): it runs on this machine's kernel, so they are
	// the kernel's, known without the Info call.
	Platform string

	// started is the process's start time, so that a signal never
	// reaches another process that took the PID after dockerd ended.
	started string
	// changeErr says why this process may not change the config file
	// or signal the daemon; nil when it may.
	changeErr error
	// reloadHook replaces the SIGHUP in unit tests, whose daemon is a
	// fake.
	reloadHook func() error
}

// signal makes the daemon read its config file again.
func (d *Daemon) signal() error {
	if d.reloadHook != nil {
		return d.reloadHook()
	}
	return d.reload()
}

// BackupSuffix is added to the config file's path to name the backup
// written before any change: a run that is killed leaves it, and Recover
// restores from it.
const BackupSuffix = ".dockertutor-backup"

// Backup is the path of the crash-safety backup of d's config file.
func (d *Daemon) Backup() string { return d.ConfigFile + BackupSuffix }

// CanChange says why this process may not change the daemon's
// configuration (not root and not the daemon's owner); nil when it may.
func (d *Daemon) CanChange() error { return d.changeErr }

// restoreTimeout bounds the whole restoration, which runs even after the
// caller's context ended.
const (
	restoreTimeout = 60 * time.Second
	pollInterval   = 100 * time.Millisecond
)

// reloadTimeout bounds the wait for the daemon to show a reloaded
// configuration in its info (a variable for the tests of a daemon that
// never does).
var reloadTimeout = 20 * time.Second

// WithMirror makes mirrorURL (http://127.0.0.1:PORT) the daemon's only
// docker.io mirror, runs fn, and restores the daemon's mirrors and the
// config file's original bytes, whether fn succeeded, failed or ctx was
// cancelled (restoration has its own bounded context). The original is
// backed up beside the config file before anything changes; a run killed
// before restoring leaves that backup for Recover.
func (d *Daemon) WithMirror(ctx context.Context, mirrorURL string, api InfoReader, fn func(context.Context) error) error {
	b, err := d.begin(ctx, mirrorURL, api)
	if b == nil {
		return err // nothing was changed
	}
	// From here on, whatever happens, the daemon and the file are put
	// back before returning.
	if err == nil {
		err = fn(ctx)
	}
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), restoreTimeout)
	defer cancel()
	if rerr := d.restore(rctx, api, *b); rerr != nil {
		return errors.Join(err, &RestoreError{Err: rerr})
	}
	return err
}

// RestoreError is WithMirror failing to put the daemon or its config
// file back (the backup stays for Recover): unlike an error of fn or of
// setting the mirror, it outlives the run.
type RestoreError struct{ Err error }

func (e *RestoreError) Error() string { return e.Err.Error() }
func (e *RestoreError) Unwrap() error { return e.Err }

// begin backs the config file up and gives the daemon the mirror. A nil
// backup means nothing was changed; with a backup, the caller restores
// from it, whatever the error.
func (d *Daemon) begin(ctx context.Context, mirrorURL string, api InfoReader) (*backup, error) {
	if err := d.CanChange(); err != nil {
		return nil, err
	}
	if err := checkMirrorURL(mirrorURL); err != nil {
		return nil, err
	}
	orig, err := readOriginal(d.ConfigFile)
	if err != nil {
		return nil, err
	}
	before, err := liveMirrors(ctx, api)
	if err != nil {
		return nil, err
	}
	b := backup{Format: backupFormat, ConfigFile: d.ConfigFile, Existed: orig.existed, Mode: uint32(orig.mode), UID: orig.uid, GID: orig.gid, Mirrors: before, Original: orig.data}
	if b.MadeDir, err = makeDir(filepath.Dir(d.ConfigFile)); err != nil {
		return nil, err
	}
	if err := writeBackup(d.Backup(), b); err != nil {
		if b.MadeDir {
			os.Remove(filepath.Dir(d.ConfigFile))
		}
		return nil, err
	}
	return &b, d.apply(ctx, api, orig, []string{mirrorURL})
}

// Recover restores the daemon's mirrors and config file from the backup a
// killed run left, and reports whether there was one. Call it before
// WithMirror in every run.
func (d *Daemon) Recover(ctx context.Context, api InfoReader) (bool, error) {
	b, err := readBackup(d.Backup())
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if err := d.CanChange(); err != nil {
		return false, err
	}
	if b.ConfigFile != d.ConfigFile {
		return false, fmt.Errorf("the backup %s belongs to %s, but dockerd (pid %d) reads %s: put %s back by hand from it (or delete it) and run again", d.Backup(), b.ConfigFile, d.PID, d.ConfigFile, b.ConfigFile)
	}
	return true, d.restore(ctx, api, b)
}

// apply writes orig with registry-mirrors set to mirrors, makes the
// daemon reload it, and waits until its info shows them.
func (d *Daemon) apply(ctx context.Context, api InfoReader, orig original, mirrors []string) error {
	since := time.Now()
	if err := writeAtomic(d.ConfigFile, orig.config.withMirrors(mirrors), orig.mode, orig.uid, orig.gid); err != nil {
		return err
	}
	if err := d.signal(); err != nil {
		return err
	}
	return waitMirrors(ctx, api, d.PID, mirrors, since)
}

// restore puts the daemon's mirrors back to what its info showed before
// (written into the original file, since a key left out is not reset by a
// reload), then the original bytes, then removes the backup. It stops at
// the first failure and keeps the backup, so Recover can finish.
func (d *Daemon) restore(ctx context.Context, api InfoReader, b backup) error {
	orig, err := b.original()
	if err != nil {
		return fmt.Errorf("the backup %s: %w", d.Backup(), err)
	}
	if err := d.apply(ctx, api, orig, b.Mirrors); err != nil {
		return fmt.Errorf("restoring dockerd's registry mirrors: %w (the original is kept in %s; running again restores it)", err, d.Backup())
	}
	if orig.existed {
		err = writeAtomic(d.ConfigFile, orig.data, orig.mode, orig.uid, orig.gid)
	} else {
		err = os.Remove(d.ConfigFile)
	}
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("restoring %s: %w (the original is kept in %s; running again restores it)", d.ConfigFile, err, d.Backup())
	}
	if err := os.Remove(d.Backup()); err != nil {
		return fmt.Errorf("removing the backup: %w", err)
	}
	if b.MadeDir {
		// Only when empty: the admin may have put something there since.
		os.Remove(filepath.Dir(d.ConfigFile))
		return nil
	}
	return syncDir(d.ConfigFile)
}

// makeDir creates the config file's folder when it is missing (one level:
// ~/.config exists where a rootless daemon runs) and says whether it did.
func makeDir(dir string) (bool, error) {
	if _, err := os.Stat(dir); err == nil {
		return false, nil
	}
	if err := os.Mkdir(dir, 0o755); err != nil {
		return false, fmt.Errorf("creating the folder of dockerd's configuration: %w", err)
	}
	return true, nil
}

// checkMirrorURL accepts http(s)://HOST[:PORT] on a loopback address, the
// only kind of mirror a lab machine is given (dockerd allows plain http
// to 127.0.0.0/8 without insecure-registries).
func checkMirrorURL(s string) error {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" || strings.Trim(u.Path, "/") != "" {
		return fmt.Errorf("mirror %q is not a registry URL: give one like http://127.0.0.1:5000", s)
	}
	host := u.Hostname()
	if ip := net.ParseIP(host); (ip == nil || !ip.IsLoopback()) && host != "localhost" {
		return fmt.Errorf("mirror %q is not on this machine's loopback: give one like http://127.0.0.1:5000", s)
	}
	return nil
}

// eventStreamer is a daemon API that streams its events.
type eventStreamer interface {
	Events(ctx context.Context, options client.EventsListOptions) client.EventsResult
}

// reloadEvents are the registry mirrors of each configuration reload of
// the daemon since the time given, until ctx ends or the stream does
// (then it is closed); nil when api streams no events.
func reloadEvents(ctx context.Context, api InfoReader, since time.Time) <-chan []string {
	es, ok := api.(eventStreamer)
	if !ok {
		return nil
	}
	res := es.Events(ctx, client.EventsListOptions{
		Since:   fmt.Sprintf("%d.%09d", since.Unix(), since.Nanosecond()),
		Filters: make(client.Filters).Add("type", "daemon").Add("event", "reload"),
	})
	out := make(chan []string)
	go func() {
		defer close(out)
		for {
			select {
			case m := <-res.Messages:
				var mirrors []string
				if json.Unmarshal([]byte(m.Actor.Attributes["registry-mirrors"]), &mirrors) != nil {
					continue
				}
				select {
				case out <- mirrors:
				case <-ctx.Done():
					return
				}
			case <-res.Err:
				return
			case <-ctx.Done():
				return
			}
		}
	}()
	return out
}

// liveMirrors are the docker.io mirrors the daemon uses now.
func liveMirrors(ctx context.Context, api InfoReader) ([]string, error) {
	res, err := api.Info(ctx, client.InfoOptions{})
	if err != nil {
		return nil, fmt.Errorf("asking dockerd for its registry mirrors: %w", err)
	}
	if res.Info.RegistryConfig == nil {
		return []string{}, nil
	}
	return slices.Clone(res.Info.RegistryConfig.Mirrors), nil
}

// waitMirrors waits until the daemon's mirrors are want (compared as
// dockerd normalises them: with a trailing slash), within reloadTimeout:
// told by the daemon's reload event, which names the mirrors it took
// (both engines send one, and events since the signal cannot be missed),
// or seen in its info, polled less and less often.
func waitMirrors(ctx context.Context, api InfoReader, pid int, want []string, since time.Time) error {
	ctx, cancel := context.WithTimeout(ctx, reloadTimeout)
	defer cancel()
	reloads := reloadEvents(ctx, api, since)
	norm := func(l []string) []string {
		out := make([]string, len(l))
		for i, m := range l {
			out[i] = strings.TrimSuffix(m, "/") + "/"
		}
		return out
	}
	wantN := norm(want)
	match := func(l []string) bool { return slices.Equal(norm(l), wantN) }
	var got []string
	var err error
	// A reload takes dockerd milliseconds: look soon, then less and less
	// often, so a lab machine's run does not wait a whole interval twice.
	// Each look asks for the daemon's info, which costs it milliseconds
	// too: with its events to tell, it looks only now and then.
	wait := time.Millisecond
	if reloads != nil {
		wait = pollInterval
	}
	look := time.NewTimer(wait)
	defer look.Stop()
	for {
		select {
		case took, ok := <-reloads:
			if !ok {
				// No more events (a daemon that ended the stream): look.
				reloads, wait = nil, time.Millisecond
				look.Reset(0)
			} else if match(took) {
				return nil
			}
		case <-look.C:
			got, err = liveMirrors(ctx, api)
			if err == nil && match(got) {
				return nil
			}
			if client.IsErrConnectionFailed(err) {
				// A reload keeps the API up: the daemon went away.
				return err
			}
			look.Reset(wait)
			wait = min(2*wait, pollInterval)
		case <-ctx.Done():
			if errors.Is(ctx.Err(), context.Canceled) {
				// Interrupted, not slow: the caller puts things back.
				return fmt.Errorf("waiting for dockerd to reload its configuration: %w", ctx.Err())
			}
			if err != nil {
				return err
			}
			shown, _ := json.Marshal(got)
			return fmt.Errorf("dockerd (pid %d) still shows registry mirrors %s %s after reloading its configuration: its log says why (journalctl -u docker)", pid, shown, reloadTimeout)
		}
	}
}
