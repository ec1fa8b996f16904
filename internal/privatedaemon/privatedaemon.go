//go:build linux

// Package privatedaemon starts a Docker daemon of a test's own on "a
// machine with no network": a dockerd in a new network namespace with
// only loopback up, so that nothing it does can reach a registry, with
// its own data root, exec root, pidfile, socket and daemon.json, which the
// test may change and SIGHUP freely (never the shared daemons'). A
// registry or any program started with Command shares its loopback.
// Stop (run by t.Cleanup) leaves nothing: no process, mount, namespace or
// file.
//
// Imported by tests only.
package privatedaemon

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/moby/moby/client"
	"golang.org/x/sys/unix"

	"github.com/dockertutor/dockertutor/exercises/dockertest"
	"github.com/dockertutor/dockertutor/internal/mounts"
)

// Engine is a Docker engine line the machine has.
type Engine int

const (
	// Docker20 is Debian's Docker 20.10 (API 1.41, classic image store).
	Docker20 Engine = iota + 1
	// Engine29 is the current engine line (API 1.56, containerd image
	// store), built by .ci/engine29 into /opt/engine29/bin.
	Engine29
)

func (e Engine) String() string {
	switch e {
	case Docker20:
		return "Docker 20.10"
	case Engine29:
		return "the current engine"
	}
	return fmt.Sprintf("Engine(%d)", int(e))
}

// The engines' binaries, where .ci/run and .ci/engine29 put them.
const (
	Docker20Dockerd = "/usr/sbin/dockerd"
	Engine29Dockerd = "/opt/engine29/bin/dockerd"
	Engine29Runc    = "/opt/engine29/bin/runc"
)

// RequireEngine29Env makes a missing current engine a failure instead of
// a skip (DOCKERTUTOR_REQUIRE_DOCKER covers Docker 20.10, root and the
// tools; the current engine is built in the background and may not be
// there yet in CI's first pass).
const RequireEngine29Env = "DOCKERTUTOR_REQUIRE_ENGINE29"

// Options describe the daemon to start.
type Options struct {
	Engine Engine
	// Config is the daemon.json written before the start; nil writes
	// "{}".
	Config []byte
	// Bridge gives the daemon its default bridge, made in its own network
	// namespace (interfaces are per namespace, so the machine's docker0
	// is not touched): BuildKit runs a RUN on the default network, which
	// needs it. Without it, only the classic builder runs RUN.
	Bridge bool
}

// Daemon is a running private dockerd.
type Daemon struct {
	Engine Engine
	// Socket is the DOCKER_HOST value: unix:///tmp/dtpd-…/d.sock.
	Socket string
	// SocketPath is Socket's path.
	SocketPath string
	// PID is dockerd's process.
	PID int
	// ConfigFile is its daemon.json (--config-file).
	ConfigFile string
	// NetNS is its network namespace, /run/netns/dtpd-….
	NetNS string
	// Dir holds everything of it: data root, exec root, socket,
	// pidfile, config, log, registries' storage.
	Dir string
	// Log is dockerd's output.
	Log string

	t        testing.TB
	argv     []string // nsenter's, to start dockerd again as it was
	cmd      *exec.Cmd
	exited   chan struct{}
	stopOnce sync.Once
}

// startTimeout bounds the wait for /_ping: a few seconds normally, more
// on a loaded 2-core machine starting its first containerd.
const startTimeout = 90 * time.Second

// Start starts a private dockerd in a new network namespace and waits
// until it answers. It skips the test (or fails it, under
// DOCKERTUTOR_REQUIRE_DOCKER=1, or DOCKERTUTOR_REQUIRE_ENGINE29=1 for the
// current engine's binaries) when not root or a binary is missing.
func Start(t testing.TB, opts Options) *Daemon {
	t.Helper()
	dockerd, extra := engineArgs(t, opts.Engine)
	for _, tool := range []string{"nsenter", "ip", "containerd"} {
		if _, err := exec.LookPath(tool); err != nil {
			unavailable(t, dockertest.RequireEnv, "%s is not installed (apt-get install util-linux iproute2 containerd)", tool)
		}
	}

	dir, err := os.MkdirTemp("", "dtpd-")
	if err != nil {
		t.Fatal(err)
	}
	name := filepath.Base(dir)
	d := &Daemon{
		Engine:     opts.Engine,
		SocketPath: filepath.Join(dir, "d.sock"),
		ConfigFile: filepath.Join(dir, "daemon.json"),
		NetNS:      filepath.Join("/run/netns", name),
		Dir:        dir,
		Log:        filepath.Join(dir, "dockerd.log"),
		t:          t,
	}
	d.Socket = "unix://" + d.SocketPath
	// Registered first, so it runs last: after every cleanup that still
	// talks to the daemon.
	t.Cleanup(d.Stop)

	config := opts.Config
	if config == nil {
		config = []byte("{}\n")
	}
	if err := os.WriteFile(d.ConfigFile, config, 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("ip", "netns", "add", name).CombinedOutput(); err != nil {
		t.Fatalf("ip netns add %s: %v: %s", name, err, out)
	}
	if out, err := exec.Command("ip", "-n", name, "link", "set", "lo", "up").CombinedOutput(); err != nil {
		t.Fatalf("loopback up in %s: %v: %s", name, err, out)
	}

	args := []string{
		"--host", d.Socket,
		"--data-root", filepath.Join(dir, "data"),
		// The exec root holds containerd's socket: short, under the
		// short temp folder.
		"--exec-root", filepath.Join(dir, "x"),
		"--pidfile", filepath.Join(dir, "d.pid"),
		"--config-file", d.ConfigFile,
		// No bridge and no iptables: a second daemon with the default
		// bridge would take over the machine's docker0, and iptables
		// rules are the machine's daemons'. Nothing here needs a
		// network but loopback.
		"--iptables=false", "--ip6tables=false",
	}
	if !opts.Bridge {
		args = append(args, "--bridge=none")
	}
	// nsenter, not `ip netns exec`, which remounts /sys and breaks
	// dockerd; nsenter execs dockerd, so the PID is dockerd's.
	d.argv = append([]string{"--net=" + d.NetNS, "--", dockerd}, append(args, extra...)...)
	d.start(t)
	return d
}

// start runs dockerd with d.argv, its output appended to d.Log, and waits
// until it answers.
func (d *Daemon) start(t testing.TB) {
	t.Helper()
	log, err := os.OpenFile(d.Log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer log.Close()
	cmd := exec.Command("nsenter", d.argv...)
	cmd.Stdout, cmd.Stderr = log, log
	// SIGTERM to dockerd if the test binary dies without its cleanups
	// (a timeout's panic): it then stops its containerd and unmounts.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start dockerd: %v", err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	d.cmd, d.exited, d.PID = cmd, exited, cmd.Process.Pid

	if err := d.waitPing(); err != nil {
		t.Fatalf("%s in %s: %v; its log ends:\n%s", d.Engine, filepath.Base(d.NetNS), err, d.logTail(30))
	}
}

// Kill ends dockerd with SIGKILL, as a crash or the OOM killer would: no
// shutdown of its own. It returns once the process is gone.
func (d *Daemon) Kill(t testing.TB) {
	t.Helper()
	if err := d.cmd.Process.Kill(); err != nil {
		t.Fatalf("kill dockerd (pid %d): %v", d.PID, err)
	}
	select {
	case <-d.exited:
	case <-time.After(stopTimeout):
		t.Fatalf("dockerd (pid %d) still runs %s after SIGKILL", d.PID, stopTimeout)
	}
}

// Restart starts dockerd again, after Kill, as it was: the same data
// root, exec root, config file, socket and namespace. The containerd the
// killed daemon started outlives it, and Docker 20.10 then fails to
// start ("timeout waiting for containerd to start"): it is ended first,
// as a machine's restart of Docker would.
func (d *Daemon) Restart(t testing.TB) {
	t.Helper()
	select {
	case <-d.exited:
	default:
		t.Fatalf("Restart: dockerd (pid %d) still runs; Kill it first", d.PID)
	}
	var st unix.Stat_t
	if err := unix.Stat(d.NetNS, &st); err != nil {
		t.Fatal(err)
	}
	link := fmt.Sprintf("net:[%d]", st.Ino)
	deadline := time.Now().Add(stopTimeout)
	for {
		var left []int
		for _, pid := range processesIn(link) {
			if exe, _ := os.Readlink(fmt.Sprintf("/proc/%d/exe", pid)); strings.HasPrefix(filepath.Base(exe), "containerd") {
				left = append(left, pid)
				syscall.Kill(pid, syscall.SIGKILL)
			}
		}
		if len(left) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the killed daemon's containerd %v still runs %s after SIGKILL", left, stopTimeout)
		}
		time.Sleep(50 * time.Millisecond)
	}
	// Its pidfile too: where nothing reaps the orphan (a container's
	// init may not), it stays a zombie, which Docker 20.10 takes for a
	// running containerd and waits for in vain.
	if err := os.Remove(filepath.Join(d.Dir, "x", "containerd", "containerd.pid")); err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
	}
	d.start(t)
}

// engineArgs is the dockerd binary of an engine and the flags it needs
// beyond the common ones, or a skip (a failure when required).
func engineArgs(t testing.TB, e Engine) (string, []string) {
	t.Helper()
	if os.Geteuid() != 0 {
		unavailable(t, dockertest.RequireEnv, "a private dockerd needs root (it makes a network namespace)")
	}
	switch e {
	case Docker20:
		if _, err := os.Stat(Docker20Dockerd); err != nil {
			unavailable(t, dockertest.RequireEnv, "%s is missing (apt-get install docker.io)", Docker20Dockerd)
		}
		return Docker20Dockerd, nil
	case Engine29:
		for _, bin := range []string{Engine29Dockerd, Engine29Runc} {
			if _, err := os.Stat(bin); err != nil {
				unavailable(t, RequireEngine29Env, "%s is missing (.ci/engine29 --build-only builds it)", bin)
			}
		}
		// Debian's runc is too old for this engine (.ci/engine29).
		return Engine29Dockerd, []string{"--add-runtime", "runc2=" + Engine29Runc, "--default-runtime", "runc2"}
	}
	t.Fatalf("unknown engine %v", e)
	return "", nil
}

func unavailable(t testing.TB, requireEnv, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...)
	if os.Getenv(requireEnv) == "1" {
		t.Fatalf("%s (%s=1)", msg, requireEnv)
	}
	t.Skip(msg)
}

// waitPing polls /_ping until dockerd answers, it exits, or startTimeout
// passes.
func (d *Daemon) waitPing() error {
	hc := &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, "unix", d.SocketPath)
		},
	}}
	deadline := time.Now().Add(startTimeout)
	for {
		res, err := hc.Get("http://dockerd/_ping")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return nil
			}
			err = fmt.Errorf("/_ping: %s", res.Status)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("no answer within %s: %v", startTimeout, err)
		}
		select {
		case <-d.exited:
			return fmt.Errorf("dockerd exited: %v", d.cmd.ProcessState)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// Client is an API client of the daemon, closed when the test ends.
func (d *Daemon) Client(t testing.TB) *client.Client {
	t.Helper()
	cli, err := client.New(client.WithHost(d.Socket), client.WithAPIVersionNegotiation())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cli.Close() })
	return cli
}

// StandIn gives the daemon the stand-in base image ref (a busybox image
// built FROM scratch, as `go run ./exercises/dockertest/standins` does
// for the course's images), built here, offline.
func (d *Daemon) StandIn(t testing.TB, ref string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	if err := dockertest.EnsureStandIn(ctx, d.Client(t), ref); err != nil {
		t.Fatalf("stand-in %s on the private daemon: %v", ref, err)
	}
}

// Command runs a program in the daemon's network namespace (a registry,
// the tutor), with DOCKER_HOST set to the daemon. nsenter execs the
// program, so the command's PID is the program's.
func (d *Daemon) Command(name string, args ...string) *exec.Cmd {
	cmd := exec.Command("nsenter", append([]string{"--net=" + d.NetNS, "--", name}, args...)...)
	cmd.Env = append(os.Environ(), "DOCKER_HOST="+d.Socket)
	return cmd
}

// DialContext connects to an address in the daemon's network namespace
// (a registry on its 127.0.0.1) from this process: the socket is made on
// a thread that has entered the namespace, and a socket stays in the
// namespace it was made in.
func (d *Daemon) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	type result struct {
		conn net.Conn
		err  error
	}
	done := make(chan result, 1)
	go func() {
		runtime.LockOSThread()
		home, err := os.Open("/proc/thread-self/ns/net")
		if err != nil {
			done <- result{nil, err}
			runtime.UnlockOSThread()
			return
		}
		defer home.Close()
		ns, err := os.Open(d.NetNS)
		if err != nil {
			done <- result{nil, err}
			runtime.UnlockOSThread()
			return
		}
		defer ns.Close()
		if err := unix.Setns(int(ns.Fd()), unix.CLONE_NEWNET); err != nil {
			done <- result{nil, fmt.Errorf("enter %s: %w", d.NetNS, err)}
			runtime.UnlockOSThread()
			return
		}
		conn, err := (&net.Dialer{}).DialContext(ctx, network, addr)
		done <- result{conn, err}
		// Back home before the thread serves another goroutine; a
		// thread that cannot go back stays locked, and Go ends it.
		if unix.Setns(int(home.Fd()), unix.CLONE_NEWNET) == nil {
			runtime.UnlockOSThread()
		}
	}()
	r := <-done
	return r.conn, r.err
}

// HTTPClient is an HTTP client whose connections are made in the
// daemon's network namespace.
func (d *Daemon) HTTPClient() *http.Client {
	return &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DialContext: d.DialContext}}
}

// Reload sends dockerd SIGHUP: it reads its config file again.
func (d *Daemon) Reload() error { return syscall.Kill(d.PID, syscall.SIGHUP) }

// stopTimeout bounds dockerd's own shutdown (it stops its containerd and
// unmounts) before it is killed.
const stopTimeout = 30 * time.Second

// Stop stops the daemon and removes everything it made: its processes
// and those of anything started in its namespace, mounts under its
// folder, the namespace and the folder. It runs once; t.Cleanup calls it.
// What cannot be removed fails the test.
func (d *Daemon) Stop() {
	d.stopOnce.Do(func() {
		if d.t.Failed() && d.cmd != nil {
			d.t.Logf("%s (%s) log ends:\n%s", d.Engine, filepath.Base(d.Dir), d.logTail(40))
		}
		var problems []error
		if d.cmd != nil && d.cmd.Process != nil {
			d.cmd.Process.Signal(syscall.SIGTERM)
			select {
			case <-d.exited:
			case <-time.After(stopTimeout):
				problems = append(problems, fmt.Errorf("dockerd (pid %d) did not stop within %s: killed", d.PID, stopTimeout))
				d.cmd.Process.Kill()
				<-d.exited
			}
		}
		if _, err := os.Stat(d.NetNS); err == nil {
			if err := killNamespace(d.NetNS); err != nil {
				problems = append(problems, err)
			}
		}
		if err := mounts.UnmountUnder(d.Dir); err != nil {
			problems = append(problems, err)
		}
		if _, err := os.Stat(d.NetNS); err == nil {
			if out, err := exec.Command("ip", "netns", "del", filepath.Base(d.NetNS)).CombinedOutput(); err != nil {
				problems = append(problems, fmt.Errorf("ip netns del: %v: %s", err, out))
			}
		}
		if err := os.RemoveAll(d.Dir); err != nil {
			problems = append(problems, err)
		}
		if err := errors.Join(problems...); err != nil {
			d.t.Errorf("stopping the private daemon: %v", err)
		}
	})
}

// killNamespace kills every process left in the network namespace (all
// are this daemon's or were started with Command) and waits until none
// is.
func killNamespace(netns string) error {
	var st unix.Stat_t
	if err := unix.Stat(netns, &st); err != nil {
		return err
	}
	link := fmt.Sprintf("net:[%d]", st.Ino)
	deadline := time.Now().Add(10 * time.Second)
	for {
		pids := processesIn(link)
		if len(pids) == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("processes %v are still in %s", pids, netns)
		}
		for _, pid := range pids {
			syscall.Kill(pid, syscall.SIGKILL)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// processesIn are the processes whose network namespace is link
// ("net:[INODE]"), zombies excluded (their parent reaps them).
func processesIn(link string) []int {
	entries, _ := os.ReadDir("/proc")
	var pids []int
	for _, e := range entries {
		var pid int
		if _, err := fmt.Sscan(e.Name(), &pid); err != nil {
			continue
		}
		if ns, err := os.Readlink(fmt.Sprintf("/proc/%d/ns/net", pid)); err != nil || ns != link {
			continue
		}
		if stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid)); err == nil {
			if rest := stat[bytes.LastIndexByte(stat, ')')+1:]; bytes.HasPrefix(bytes.TrimSpace(rest), []byte("Z")) {
				continue
			}
		}
		pids = append(pids, pid)
	}
	return pids
}

// logTail is the end of dockerd's log.
func (d *Daemon) logTail(lines int) string {
	f, err := os.Open(d.Log)
	if err != nil {
		return err.Error()
	}
	defer f.Close()
	data, _ := io.ReadAll(f)
	all := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	return strings.Join(all[max(0, len(all)-lines):], "\n")
}
