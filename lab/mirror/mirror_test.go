package mirror

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/moby/moby/api/types/events"
	"github.com/moby/moby/api/types/registry"
	"github.com/moby/moby/api/types/system"
	"github.com/moby/moby/client"
)

// fakeDockerd reloads its config file as dockerd does: registry-mirrors
// replaces the mirrors in memory when the key is present, and a missing
// key leaves them as they are (moby's reloadRegistryConfig).
type fakeDockerd struct {
	mu      sync.Mutex
	file    string
	mirrors []string
	reloads int
	// ignoreReloads plays a daemon whose reload fails (its log says why).
	ignoreReloads bool
}

func (f *fakeDockerd) Info(context.Context, client.InfoOptions) (client.SystemInfoResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return client.SystemInfoResult{Info: system.Info{RegistryConfig: &registry.ServiceConfig{Mirrors: slices.Clone(f.mirrors)}}}, nil
}

func (f *fakeDockerd) reload() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.reloads++
	if f.ignoreReloads {
		return nil
	}
	data, err := os.ReadFile(f.file)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	cfg, err := parseConfig(data)
	if err != nil || !cfg.hasMirrors {
		return nil
	}
	f.mirrors = nil
	for _, m := range cfg.mirrors {
		f.mirrors = append(f.mirrors, strings.TrimSuffix(m, "/")+"/")
	}
	return nil
}

func (f *fakeDockerd) current() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.mirrors)
}

// fakeSetup is a config file (content nil: none) and a daemon that has
// mirrors in memory.
func fakeSetup(t *testing.T, content []byte, mode fs.FileMode, mirrors []string) (*Daemon, *fakeDockerd) {
	t.Helper()
	file := filepath.Join(t.TempDir(), "daemon.json")
	if content != nil {
		if err := os.WriteFile(file, content, mode); err != nil {
			t.Fatal(err)
		}
		os.Chmod(file, mode)
	}
	f := &fakeDockerd{file: file, mirrors: mirrors}
	return &Daemon{Socket: "/fake.sock", PID: 1, ConfigFile: file, reloadHook: f.reload}, f
}

const lab = "http://127.0.0.1:5000"

// assertRestored fails unless the file is as it was (bytes and mode, or
// absent), the daemon shows the mirrors it had, and no backup is left.
func assertRestored(t *testing.T, d *Daemon, f *fakeDockerd, content []byte, mode fs.FileMode, mirrors []string) {
	t.Helper()
	got, err := os.ReadFile(d.ConfigFile)
	switch {
	case content == nil && !errors.Is(err, fs.ErrNotExist):
		t.Errorf("a config file is left where there was none: %q (%v)", got, err)
	case content != nil && !bytes.Equal(got, content):
		t.Errorf("config file is\n%q\nwas\n%q", got, content)
	case content != nil:
		if info, _ := os.Stat(d.ConfigFile); info.Mode().Perm() != mode {
			t.Errorf("mode %v, was %v", info.Mode().Perm(), mode)
		}
	}
	if !slices.Equal(f.current(), mirrors) {
		t.Errorf("daemon's mirrors %q, were %q", f.current(), mirrors)
	}
	if _, err := os.Stat(d.Backup()); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("backup left: %v", err)
	}
	entries, _ := os.ReadDir(filepath.Dir(d.ConfigFile))
	for _, e := range entries {
		if e.Name() != filepath.Base(d.ConfigFile) {
			t.Errorf("left in the config folder: %s", e.Name())
		}
	}
}

func TestWithMirrorRestoresFileAndDaemon(t *testing.T) {
	cases := []struct {
		name    string
		content []byte
		mode    fs.FileMode
		mirrors []string
	}{
		{"no config file", nil, 0, nil},
		{"no mirrors key", []byte("{\n  \"debug\": true\n}\n"), 0o600, nil},
		{"mirrors of its own", []byte(`{"registry-mirrors":["https://mirror.example"], "labels":["x=y"]}`), 0o644, []string{"https://mirror.example/"}},
		// Someone removed the key without restarting: the daemon still
		// has the mirror in memory, and must keep it.
		{"mirrors only in memory", []byte(`{}`), 0o640, []string{"https://stale.example/"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d, f := fakeSetup(t, c.content, c.mode, c.mirrors)
			ran := false
			err := d.WithMirror(context.Background(), lab, f, func(ctx context.Context) error {
				ran = true
				if got := f.current(); !slices.Equal(got, []string{lab + "/"}) {
					t.Errorf("inside: daemon's mirrors %q", got)
				}
				info, err := os.Stat(d.Backup())
				if err != nil || info.Mode().Perm() != 0o600 {
					t.Errorf("inside: backup %v (%v)", info, err)
				}
				return nil
			})
			if err != nil || !ran {
				t.Fatalf("err %v, ran %v", err, ran)
			}
			assertRestored(t, d, f, c.content, c.mode, c.mirrors)
		})
	}
}

func TestWithMirrorRestoresWhenFnFailsOrIsCancelled(t *testing.T) {
	content := []byte(`{"debug": true}`)
	t.Run("fn fails", func(t *testing.T) {
		d, f := fakeSetup(t, content, 0o644, nil)
		boom := errors.New("pull failed")
		err := d.WithMirror(context.Background(), lab, f, func(context.Context) error { return boom })
		if !errors.Is(err, boom) {
			t.Fatalf("err %v", err)
		}
		assertRestored(t, d, f, content, 0o644, nil)
	})
	t.Run("ctx cancelled (Ctrl+C)", func(t *testing.T) {
		d, f := fakeSetup(t, content, 0o644, nil)
		ctx, cancel := context.WithCancel(context.Background())
		err := d.WithMirror(ctx, lab, f, func(ctx context.Context) error {
			cancel()
			<-ctx.Done()
			return ctx.Err()
		})
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("err %v", err)
		}
		assertRestored(t, d, f, content, 0o644, nil)
	})
	t.Run("daemon does not take the mirror", func(t *testing.T) {
		d, f := fakeSetup(t, content, 0o644, nil)
		f.ignoreReloads = true
		defer func(was time.Duration) { reloadTimeout = was }(reloadTimeout)
		reloadTimeout = time.Second
		ran := false
		err := d.WithMirror(context.Background(), lab, f, func(context.Context) error { ran = true; return nil })
		if err == nil || ran || !strings.Contains(err.Error(), "still shows registry mirrors") {
			t.Fatalf("err %v, ran %v", err, ran)
		}
		assertRestored(t, d, f, content, 0o644, nil)
	})
}

func TestWithMirrorRefusesAndChangesNothing(t *testing.T) {
	t.Run("invalid JSON", func(t *testing.T) {
		content := []byte(`{"debug": true,}`)
		d, f := fakeSetup(t, content, 0o644, nil)
		err := d.WithMirror(context.Background(), lab, f, func(context.Context) error { t.Error("fn ran"); return nil })
		if err == nil || !strings.Contains(err.Error(), "it was not changed") {
			t.Fatalf("err %v", err)
		}
		assertRestored(t, d, f, content, 0o644, nil)
		if f.reloads != 0 {
			t.Errorf("%d reloads", f.reloads)
		}
	})
	t.Run("not a loopback mirror", func(t *testing.T) {
		for _, u := range []string{"http://mirror.example:5000", "127.0.0.1:5000", "ftp://127.0.0.1", "http://127.0.0.1:5000/v2", "http://u:p@127.0.0.1"} {
			d, f := fakeSetup(t, nil, 0, nil)
			if err := d.WithMirror(context.Background(), u, f, func(context.Context) error { return nil }); err == nil {
				t.Errorf("%s accepted", u)
			}
			assertRestored(t, d, f, nil, 0, nil)
		}
	})
	t.Run("a killed run's backup", func(t *testing.T) {
		d, f := fakeSetup(t, []byte(`{}`), 0o644, nil)
		left := []byte(`{"format":"` + backupFormat + `"}`)
		os.WriteFile(d.Backup(), left, 0o600)
		err := d.WithMirror(context.Background(), lab, f, func(context.Context) error { t.Error("fn ran"); return nil })
		if err == nil || !strings.Contains(err.Error(), "interrupted run") {
			t.Fatalf("err %v", err)
		}
		if got, _ := os.ReadFile(d.Backup()); !bytes.Equal(got, left) {
			t.Errorf("the left backup changed: %s", got)
		}
	})
	t.Run("no permission", func(t *testing.T) {
		d, f := fakeSetup(t, []byte(`{}`), 0o644, nil)
		d.changeErr = errors.New("changing dockerd's configuration needs root: run it with sudo")
		if err := d.WithMirror(context.Background(), lab, f, func(context.Context) error { return nil }); err != d.changeErr {
			t.Fatalf("err %v", err)
		}
	})
}

func TestRecoverAfterAKilledRun(t *testing.T) {
	for _, content := range [][]byte{nil, []byte("{\n\t\"debug\": true\n}\n")} {
		d, f := fakeSetup(t, content, 0o644, []string{"https://own.example/"})
		// The first half of WithMirror, then nothing: the process was
		// killed inside fn.
		if b, err := d.begin(context.Background(), lab, f); b == nil || err != nil {
			t.Fatalf("begin: %v", err)
		}
		if !slices.Equal(f.current(), []string{lab + "/"}) {
			t.Fatalf("mirror not applied: %q", f.current())
		}
		// The next run finds the daemon afresh.
		next := &Daemon{Socket: d.Socket, PID: d.PID, ConfigFile: d.ConfigFile, reloadHook: f.reload}
		recovered, err := next.Recover(context.Background(), f)
		if err != nil || !recovered {
			t.Fatalf("recovered %v, err %v", recovered, err)
		}
		assertRestored(t, next, f, content, 0o644, []string{"https://own.example/"})
		recovered, err = next.Recover(context.Background(), f)
		if err != nil || recovered {
			t.Fatalf("second Recover: recovered %v, err %v", recovered, err)
		}
	}
}

func TestRecoverRefusesAnotherFilesBackup(t *testing.T) {
	d, f := fakeSetup(t, []byte(`{}`), 0o644, nil)
	other := &Daemon{ConfigFile: filepath.Join(t.TempDir(), "other.json"), reloadHook: f.reload}
	if err := writeBackup(d.Backup(), backup{Format: backupFormat, ConfigFile: other.ConfigFile, Existed: false}); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Recover(context.Background(), f); err == nil || !strings.Contains(err.Error(), "belongs to") {
		t.Fatalf("err %v", err)
	}
	if got, _ := os.ReadFile(d.ConfigFile); string(got) != `{}` {
		t.Fatalf("config changed: %s", got)
	}
}

func TestSocketPath(t *testing.T) {
	for host, want := range map[string]string{
		"unix:///var/run/docker.sock": "/var/run/docker.sock",
		"/run/user/1000/docker.sock":  "/run/user/1000/docker.sock",
		"unix:///run//docker29.sock":  "/run/docker29.sock",
	} {
		if got, err := socketPath(host); err != nil || got != want {
			t.Errorf("%s: %q, %v", host, got, err)
		}
	}
	for _, host := range []string{"ssh://me@lab", "tcp://127.0.0.1:2375", "npipe:////./pipe/docker_engine", "fd://", "docker.sock", ""} {
		_, err := socketPath(host)
		if err == nil || !strings.Contains(err.Error(), "DOCKER_HOST unset") {
			t.Errorf("%s: %v", host, err)
		}
	}
}

// eventsOnly is a daemon whose info never shows the new mirrors and whose
// events tell the reload: the wait must end on the event.
type eventsOnly struct {
	fakeDockerd
	sent chan events.Message
}

func (e *eventsOnly) Events(ctx context.Context, opts client.EventsListOptions) client.EventsResult {
	errs := make(chan error)
	return client.EventsResult{Messages: e.sent, Err: errs}
}

func TestWaitMirrorsEndsOnTheReloadEvent(t *testing.T) {
	d := &eventsOnly{sent: make(chan events.Message, 1)}
	d.sent <- events.Message{Type: events.DaemonEventType, Action: events.ActionReload,
		Actor: events.Actor{Attributes: map[string]string{"registry-mirrors": `["http://127.0.0.1:5000"]`}}}
	start := time.Now()
	if err := waitMirrors(t.Context(), d, 1, []string{"http://127.0.0.1:5000"}, start); err != nil {
		t.Fatal(err)
	}
	// Its info was asked at most once: the event said it first.
	if took := time.Since(start); took >= pollInterval {
		t.Errorf("the wait took %s, as long as polling the info", took)
	}
}
