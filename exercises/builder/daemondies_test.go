package builder_test

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/moby/moby/client"

	"github.com/dockertutor/dockertutor/exercises/builder"
	"github.com/dockertutor/dockertutor/exercises/dockertest"
)

// privateDaemon is a dockerd of the test's own, which the test may kill.
// It runs in a network namespace of its own, with its own docker0 there:
// on the host, a second dockerd would share the shared daemon's docker0,
// and one started with --bridge=none deletes the host's docker0 at
// start-up, cutting every container of the shared daemon off its network.
type privateDaemon struct {
	dir    string
	socket string
	cmd    *exec.Cmd
	exited chan struct{}
	cli    *client.Client
}

// startPrivateDaemon starts a private dockerd, or skips the test when this
// machine cannot run one (not root, no dockerd or unshare), failing
// instead under DOCKERTUTOR_REQUIRE_DOCKER=1.
func startPrivateDaemon(t *testing.T) *privateDaemon {
	t.Helper()
	cannot := func(why string) {
		if os.Getenv(dockertest.RequireEnv) == "1" {
			t.Fatalf("a private Docker daemon is required (%s=1) but %s", dockertest.RequireEnv, why)
		}
		t.Skipf("cannot start a private Docker daemon: %s", why)
	}
	if os.Geteuid() != 0 {
		cannot("the test does not run as root")
	}
	for _, bin := range []string{"dockerd", "unshare"} {
		if _, err := exec.LookPath(bin); err != nil {
			cannot(bin + " is not installed")
		}
	}
	// A unix socket path must stay short, so not t.TempDir().
	dir, err := os.MkdirTemp("", "dttb")
	if err != nil {
		cannot(err.Error())
	}
	p := &privateDaemon{dir: dir, socket: filepath.Join(dir, "d.sock")}
	t.Cleanup(func() { p.tearDown(t) })
	if err := p.start(); err != nil {
		cannot(err.Error())
	}
	return p
}

func (p *privateDaemon) start() error {
	logFile, err := os.OpenFile(filepath.Join(p.dir, "dockerd.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	defer logFile.Close()
	p.cmd = exec.Command("unshare", "--net", "--",
		"dockerd",
		"--host", "unix://"+p.socket,
		"--data-root", filepath.Join(p.dir, "data"),
		"--exec-root", filepath.Join(p.dir, "exec"),
		"--pidfile", filepath.Join(p.dir, "dockerd.pid"),
		"--iptables=false", "--ip-masq=false",
	)
	p.cmd.Stdout, p.cmd.Stderr = logFile, logFile
	if err := p.cmd.Start(); err != nil {
		return err
	}
	p.exited = make(chan struct{})
	go func(cmd *exec.Cmd, exited chan struct{}) { _ = cmd.Wait(); close(exited) }(p.cmd, p.exited)

	if p.cli == nil {
		p.cli, err = client.New(client.WithHost("unix://"+p.socket), client.WithAPIVersionNegotiation())
		if err != nil {
			return err
		}
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		_, err := p.cli.Ping(ctx, client.PingOptions{NegotiateAPIVersion: true})
		cancel()
		if err == nil {
			return nil
		}
		select {
		case <-p.exited:
			return errors.New("dockerd exited at start-up; see " + filepath.Join(p.dir, "dockerd.log") + ": " + p.logTail())
		default:
		}
		if time.Now().After(deadline) {
			return errors.New("dockerd did not answer within 60s: " + p.logTail())
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func (p *privateDaemon) running() bool {
	if p.exited == nil {
		return false
	}
	select {
	case <-p.exited:
		return false
	default:
		return true
	}
}

// kill kills dockerd the hard way, as a crash would.
func (p *privateDaemon) kill(t *testing.T) {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatalf("kill the private dockerd: %v", err)
	}
	<-p.exited
}

// stop shuts dockerd down cleanly, which also stops its containerd.
func (p *privateDaemon) stop(t *testing.T) {
	if !p.running() {
		return
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
	case <-time.After(60 * time.Second):
		t.Errorf("the private dockerd did not stop within 60s; killing it")
		_ = p.cmd.Process.Signal(syscall.SIGKILL)
		<-p.exited
	}
}

// tearDown leaves nothing of the private daemon: a daemon that was killed
// is started once more, because at start-up it kills the containers its
// dead predecessor left running, then stopped; its mounts go, then its
// folder.
func (p *privateDaemon) tearDown(t *testing.T) {
	if p.cmd != nil && !p.running() && p.cmd.ProcessState != nil && !p.cmd.ProcessState.Success() {
		// The killed dockerd's containerd dies with it, but not at once;
		// a new dockerd finding it still there waits for it in vain.
		p.waitContainerdGone(t)
		if err := p.start(); err != nil {
			t.Logf("restart the private dockerd to reap its containers: %v", err)
		}
	}
	p.stop(t)
	p.reapOrphans(t)
	if p.cli != nil {
		p.cli.Close()
	}
	for _, m := range mountsUnder(p.dir) {
		if err := syscall.Unmount(m, syscall.MNT_DETACH); err != nil {
			t.Logf("unmount %s: %v", m, err)
		}
	}
	if err := os.RemoveAll(p.dir); err != nil {
		t.Logf("remove %s: %v", p.dir, err)
	}
}

func (p *privateDaemon) waitContainerdGone(t *testing.T) {
	pidFile := filepath.Join(p.dir, "exec", "containerd", "containerd.pid")
	b, err := os.ReadFile(pidFile)
	if err != nil {
		return
	}
	pid := strings.TrimSpace(string(b))
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		cmdline, err := os.ReadFile("/proc/" + pid + "/cmdline")
		if err != nil || !strings.Contains(string(cmdline), p.dir) {
			// Gone, or a zombie nobody reaped (an init that does not
			// reap orphans): dockerd would take the pid for a live
			// containerd and wait for it, so the stale pid file goes.
			_ = os.Remove(pidFile)
			return
		}
	}
	t.Logf("the private containerd (pid %s) outlived its dockerd by 30s", pid)
}

// reapOrphans kills what a killed dockerd can leave that no later dockerd
// knows of. A container it started but had not yet recorded as running
// keeps its shim and processes: they are found by the shim's -address,
// inside this daemon's folder, and the shim's socket file goes too. A
// BuildKit step's process outlives the runc that started it: it is found
// by its root file system, inside this daemon's folder.
func (p *privateDaemon) reapOrphans(t *testing.T) {
	procs := processes()
	for pid := range procs.args {
		mounts, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "mountinfo"))
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(mounts), "\n") {
			// Fields 4 and 5 are the mount's root and mount point.
			if f := strings.Fields(line); len(f) > 4 && f[4] == "/" && strings.Contains(line, p.dir+"/") {
				_ = syscall.Kill(pid, syscall.SIGKILL)
				t.Logf("killed the orphaned build process %d %v", pid, procs.args[pid])
				break
			}
		}
	}
	for pid, args := range procs.args {
		if !strings.Contains(filepath.Base(firstOf(args)), "containerd-shim") {
			continue
		}
		address, ns, id := flagValue(args, "-address"), flagValue(args, "-namespace"), flagValue(args, "-id")
		if !strings.HasPrefix(address, p.dir+"/") {
			continue
		}
		for _, child := range procs.descendants(pid) {
			_ = syscall.Kill(child, syscall.SIGKILL)
		}
		_ = syscall.Kill(pid, syscall.SIGKILL)
		// containerd names a shim's socket after the hash of its path.
		sum := sha256.Sum256([]byte(filepath.Join(address, ns, id)))
		_ = os.Remove(filepath.Join("/run/containerd/s", hex.EncodeToString(sum[:])))
		t.Logf("killed the orphaned shim %d of container %s", pid, id)
	}
}

type processTable struct {
	args map[int][]string
	ppid map[int]int
}

func processes() processTable {
	pt := processTable{args: map[int][]string{}, ppid: map[int]int{}}
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		cmdline, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err != nil {
			continue
		}
		pt.args[pid] = strings.Split(strings.TrimRight(string(cmdline), "\x00"), "\x00")
		stat, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		// "pid (comm) state ppid ...": comm may hold spaces and parentheses.
		if i := strings.LastIndexByte(string(stat), ')'); i >= 0 {
			if f := strings.Fields(string(stat)[i+1:]); len(f) > 1 {
				pt.ppid[pid], _ = strconv.Atoi(f[1])
			}
		}
	}
	return pt
}

func (pt processTable) descendants(pid int) []int {
	var out []int
	for child, parent := range pt.ppid {
		if parent == pid {
			out = append(out, pt.descendants(child)...)
			out = append(out, child)
		}
	}
	return out
}

func flagValue(args []string, name string) string {
	for i, a := range args {
		if a == name && i+1 < len(args) {
			return args[i+1]
		}
	}
	return ""
}

func firstOf(args []string) string {
	if len(args) == 0 {
		return ""
	}
	return args[0]
}

// mountsUnder lists the mount points inside dir, deepest first.
func mountsUnder(dir string) []string {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return nil
	}
	defer f.Close()
	var mounts []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) > 4 && (fields[4] == dir || strings.HasPrefix(fields[4], dir+"/")) {
			mounts = append(mounts, fields[4])
		}
	}
	sort.Slice(mounts, func(i, j int) bool { return len(mounts[i]) > len(mounts[j]) })
	return mounts
}

func (p *privateDaemon) logTail() string {
	b, _ := os.ReadFile(filepath.Join(p.dir, "dockerd.log"))
	if len(b) > 2000 {
		b = b[len(b)-2000:]
	}
	return string(b)
}

// copyImage moves an image from the shared daemon to the private one, as
// `docker save | docker load` does; nothing is pulled.
func copyImage(t *testing.T, from, to *client.Client, ref string) {
	t.Helper()
	ctx := tctx(t)
	saved, err := from.ImageSave(ctx, []string{ref})
	if err != nil {
		t.Fatal(err)
	}
	defer saved.Close()
	loaded, err := to.ImageLoad(ctx, saved)
	if err != nil {
		t.Fatal(err)
	}
	defer loaded.Close()
	// The daemon loads while it answers; the image is there once the
	// answer has been read to its end.
	if _, err := io.Copy(io.Discard, loaded); err != nil {
		t.Fatal(err)
	}
	if _, err := to.ImageInspect(ctx, ref); err != nil {
		t.Fatalf("%s not on the private daemon after the load: %v", ref, err)
	}
}

// TestDaemonDyingMidBuild kills the daemon while a step runs: the build
// must end with a clear error, not hang, panic or read as aborted.
func TestDaemonDyingMidBuild(t *testing.T) {
	shared := daemon(t)
	for _, kind := range bothBuilders {
		t.Run(string(kind), func(t *testing.T) {
			p := startPrivateDaemon(t)
			copyImage(t, shared, p.cli, "alpine:3.22")
			dir := dockertest.WriteFiles(t, map[string]string{"Dockerfile": "FROM alpine:3.22\nRUN echo started && sleep 30\n"})

			var once sync.Once
			running := make(chan struct{})
			done := make(chan error, 1)
			go func() {
				_, err := builder.Build(tctx(t), p.cli, builder.Options{Course: "dttest", Step: "dies", Dir: dir, Builder: kind, NoCache: true}, func(e builder.Event) {
					if e.Kind == builder.StepLog && e.Text == "started" {
						once.Do(func() { close(running) })
					}
				})
				done <- err
			}()
			select {
			case <-running:
			case err := <-done:
				t.Fatalf("the build ended before its step ran: %v\n%s", err, p.logTail())
			case <-time.After(90 * time.Second):
				t.Fatalf("the step never ran\n%s", p.logTail())
			}
			// Past the step's start, as a crash mid-step would be (and
			// late enough for the daemon to have recorded the step's
			// container as running, so its next start cleans it up).
			time.Sleep(2 * time.Second)
			p.kill(t)
			killedAt := time.Now()
			var err error
			select {
			case err = <-done:
			case <-time.After(30 * time.Second):
				t.Fatal("Build hung after the daemon died")
			}
			t.Logf("%s: Build returned %v after the kill: %v", kind, time.Since(killedAt).Round(time.Millisecond), err)
			if err == nil || errors.Is(err, builder.ErrAborted) {
				t.Fatalf("err = %v, want a failure", err)
			}
			if !strings.Contains(err.Error(), "lost the Docker daemon during the build") {
				t.Errorf("err = %v, want it to say the daemon was lost", err)
			}
			// The session tells a lost daemon by this, not by the words.
			if !errors.Is(err, builder.ErrDaemonLost) {
				t.Errorf("err = %v, want it to match builder.ErrDaemonLost", err)
			}
		})
	}
}
