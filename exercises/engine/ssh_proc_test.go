//go:build unix

package engine

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/moby/moby/client"
)

// useFakeSSH makes the test binary the only ssh on PATH, acting in mode,
// and returns the file its runs are logged to.
func useFakeSSH(t *testing.T, mode string) string {
	t.Helper()
	dir := t.TempDir()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(exe, filepath.Join(dir, "ssh")); err != nil {
		t.Fatal(err)
	}
	log := filepath.Join(dir, "runs.jsonl")
	t.Setenv("PATH", dir)
	t.Setenv(fakeSSHEnv, mode)
	t.Setenv(fakeSSHLogEnv, log)
	return log
}

func fakeSSHRuns(t *testing.T, log string) []fakeSSHRun {
	t.Helper()
	data, err := os.ReadFile(log)
	if err != nil {
		t.Fatalf("the fake ssh never ran: %v", err)
	}
	var runs []fakeSSHRun
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		var r fakeSSHRun
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatal(err)
		}
		runs = append(runs, r)
	}
	return runs
}

// processGone is true once pid no longer exists or is a zombie someone
// else must reap; our own zombie is not gone.
func processGone(pid int) bool {
	if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
		return true
	}
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	// pid (comm) state ppid ...
	fields := strings.Fields(string(data[strings.LastIndexByte(string(data), ')')+1:]))
	ppid, _ := strconv.Atoi(fields[1])
	return fields[0] == "Z" && ppid != os.Getpid()
}

// requireGone fails unless every pid is gone within wait.
func requireGone(t testing.TB, wait time.Duration, pids ...int) {
	t.Helper()
	deadline := time.Now().Add(wait)
	for _, pid := range pids {
		for !processGone(pid) {
			if time.Now().After(deadline) {
				t.Errorf("process %d is still there (or an unreaped zombie)", pid)
				break
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
}

func sshEndpoint(host string) Endpoint {
	return Endpoint{Host: host, Source: "DOCKER_HOST", Origin: FromDockerHost, Context: "default"}
}

// The whole path, with a stand-in for ssh and the remote daemon: the ssh
// command line, the API over its stdin and stdout, and the end of every
// ssh process when the client closes.
func TestConnectThroughSSHProcess(t *testing.T) {
	log := useFakeSSH(t, "serve")
	ep := sshEndpoint("ssh://me@build.example:2222/run/user/1000/docker.sock")
	cli, err := Connect(context.Background(), ep)
	if err != nil {
		t.Fatalf("Connect: %v", err)
	}
	if cli.ClientVersion() != "1.41" {
		t.Errorf("negotiated %s, want 1.41", cli.ClientVersion())
	}
	ver, err := cli.ServerVersion(context.Background(), client.ServerVersionOptions{})
	if err != nil || ver.Version != "20.10.24+dfsg1" {
		t.Errorf("ServerVersion over ssh: %+v, %v", ver, err)
	}
	cli.Close()

	runs := fakeSSHRuns(t, log)
	want := []string{"-o", "ConnectTimeout=1", "-o", "BatchMode=yes", "-o", "LogLevel=VERBOSE", "-T", "-l", "me", "-p", "2222", "--", "build.example",
		"docker --host=unix:///run/user/1000/docker.sock system dial-stdio"}
	var pids []int
	for _, r := range runs {
		if !slices.Equal(r.Args, want) {
			t.Errorf("ssh ran with %q, want %q", r.Args, want)
		}
		pids = append(pids, r.PID)
	}
	// Closing the client ends and reaps its ssh processes; it does not
	// wait for anything, so they are gone at once.
	requireGone(t, 0, pids...)
}

func TestSSHConnHalfCloseAndClose(t *testing.T) {
	log := useFakeSSH(t, "serve")
	target, _ := parseSSHHost("ssh://me@build.example")
	conn, err := dialSSH(context.Background(), target)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := io.WriteString(conn, "GET /v1.41/version HTTP/1.1\r\nHost: docker.example.com\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	// Half-close: the remote end sees the end of the requests, and the
	// answer still arrives, then a clean EOF as ssh exits with 0.
	if err := conn.(interface{ CloseWrite() error }).CloseWrite(); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `"ApiVersion":"1.41"`) {
		t.Errorf("answer %d %s", resp.StatusCode, body)
	}
	if n, err := conn.Read(make([]byte, 1)); n != 0 || err != io.EOF {
		t.Errorf("after the answer: %d, %v; want a clean EOF", n, err)
	}
	pid := fakeSSHRuns(t, log)[0].PID
	conn.Close()
	requireGone(t, 0, pid)
	if err := conn.Close(); err != nil {
		t.Errorf("a second Close: %v", err)
	}
}

// A failing ssh explains itself through Connect, and is reaped.
func TestConnectReportsWhatSSHSaid(t *testing.T) {
	log := useFakeSSH(t, "fail")
	t.Setenv(fakeSSHStderrEnv, "me@build.example: Permission denied (publickey).\r\n")
	t.Setenv(fakeSSHExitEnv, "255")
	ep := sshEndpoint("ssh://me@build.example")
	ce, took := connectTimed(t, ep)
	if ce.Class != ClassSSH {
		t.Errorf("class %s (%v), want %s", ce.Class, ce.Err, ClassSSH)
	}
	var se *sshError
	if !errors.As(ce, &se) || se.ExitCode != 255 || se.symptom() != sshAuth {
		t.Fatalf("error chain %v should hold ssh's exit and words", ce)
	}
	p := Explain(ep, ce)
	if !strings.Contains(p.Message, "could not log in to me@build.example as me") || !strings.Contains(p.Detail, "Permission denied (publickey)") {
		t.Errorf("problem %q / %q", p.Message, p.Detail)
	}
	if took >= PingTimeout {
		t.Errorf("took %s", took)
	}
	// The ping's second try (GET after HEAD) does not run ssh again to
	// fail the same way.
	runs := fakeSSHRuns(t, log)
	if len(runs) != 1 {
		t.Errorf("ssh ran %d times, want once", len(runs))
	}
	requireGone(t, 0, runs[0].PID)
}

// Reading from a connection whose ssh failed gives ssh's reason, not a
// bare EOF.
func TestSSHConnReadSaysWhySSHEnded(t *testing.T) {
	useFakeSSH(t, "fail")
	t.Setenv(fakeSSHStderrEnv, "ssh: Could not resolve hostname build.example: Name or service not known\n")
	t.Setenv(fakeSSHExitEnv, "255")
	target, _ := parseSSHHost("ssh://build.example")
	conn, err := dialSSH(context.Background(), target)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_, err = conn.Read(make([]byte, 64))
	var se *sshError
	if !errors.As(err, &se) || se.ExitCode != 255 || Classify(err) != ClassNetwork {
		t.Errorf("Read: %v (class %s)", err, Classify(err))
	}
}

func TestSSHStderrIsBounded(t *testing.T) {
	useFakeSSH(t, "flood")
	ce, _ := connectTimed(t, sshEndpoint("ssh://me@build.example"))
	var se *sshError
	if !errors.As(ce, &se) {
		t.Fatalf("%v", ce)
	}
	if len(se.Stderr) > sshStderrMax || !strings.HasSuffix(se.Stderr, "Permission denied (publickey).\n") || !strings.HasPrefix(se.Stderr, "debug1:") {
		t.Errorf("kept %d bytes: %q ... %q", len(se.Stderr), se.Stderr[:min(60, len(se.Stderr))], se.Stderr[max(0, len(se.Stderr)-60):])
	}
	if ce.Class != ClassSSH {
		t.Errorf("class %s", ce.Class)
	}
}

// An ssh that hangs and ignores SIGTERM, with a child of its own, is
// killed with its child within PingTimeout.
func TestConnectEndsAHungSSHInTime(t *testing.T) {
	log := useFakeSSH(t, "hang")
	ce, took := connectTimed(t, sshEndpoint("ssh://me@build.example"))
	if ce.Class != ClassTimeout {
		t.Errorf("class %s (%v), want %s", ce.Class, ce.Err, ClassTimeout)
	}
	if took >= PingTimeout {
		t.Errorf("took %s, want under %s", took, PingTimeout)
	}
	p := Explain(ce.Endpoint, ce)
	if !strings.Contains(p.Message, "did not log in to me@build.example within 2s") {
		t.Errorf("message %q", p.Message)
	}
	runs := fakeSSHRuns(t, log)
	var pids []int
	for _, r := range runs {
		if r.Child == 0 {
			t.Fatal("the fake ssh could not start its child")
		}
		pids = append(pids, r.PID, r.Child)
	}
	// ssh itself is reaped before Connect returns; its child, killed in
	// the same breath, is gone a moment later.
	requireGone(t, 0, runs[0].PID)
	requireGone(t, time.Second, pids...)
	t.Logf("hung ssh reported after %s", took)
}

func TestConnectWithoutSSHProgram(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	ep := sshEndpoint("ssh://me@build.example")
	ce, took := connectTimed(t, ep)
	if ce.Class != ClassSSH || took >= PingTimeout {
		t.Errorf("class %s after %s (%v), want %s at once", ce.Class, took, ce.Err, ClassSSH)
	}
	if p := Explain(ep, ce); !strings.Contains(p.Message, "this machine has none") || !strings.Contains(commands(p.Fixes[Linux]), "apt-get install openssh-client") {
		t.Errorf("problem %+v", p)
	}
}

func TestDialSSHHonoursADoneContext(t *testing.T) {
	log := useFakeSSH(t, "serve")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	target, _ := parseSSHHost("ssh://build.example")
	if c, err := dialSSH(ctx, target); err == nil || c != nil {
		t.Errorf("dial with a cancelled context: %v, %v", c, err)
	}
	if _, err := os.Stat(log); err == nil {
		t.Error("ssh was started anyway")
	}
}

// Once ssh has logged in, the remote docker may take longer than
// PingTimeout (a slow login shell, a busy host), up to sshAnswerTimeout.
func TestConnectWaitsLongerOnceLoggedIn(t *testing.T) {
	useFakeSSH(t, "slow")
	start := time.Now()
	cli, err := Connect(context.Background(), sshEndpoint("ssh://me@build.example"))
	if err != nil {
		t.Fatalf("Connect after a slow remote start: %v", err)
	}
	cli.Close()
	if took := time.Since(start); took < 3*time.Second || took >= sshAnswerTimeout {
		t.Errorf("took %s", took)
	}
}

func TestConnectGivesUpOnAStuckRemoteDocker(t *testing.T) {
	log := useFakeSSH(t, "stuck")
	ep := sshEndpoint("ssh://me@build.example")
	ce, took := connectTimed(t, ep)
	if ce.Class != ClassTimeout || took < sshAnswerTimeout || took >= sshAnswerTimeout+PingTimeout {
		t.Errorf("class %s after %s (%v), want %s after %s", ce.Class, took, ce.Err, ClassTimeout, sshAnswerTimeout)
	}
	if p := Explain(ep, ce); !strings.Contains(p.Message, "ssh logged in to me@build.example, but Docker there did not answer within 10s") ||
		!strings.Contains(p.Detail, "Authenticated to build.example") {
		t.Errorf("problem %q (%s)", p.Message, p.Detail)
	}
	for _, r := range fakeSSHRuns(t, log) {
		requireGone(t, 0, r.PID)
	}
}

// Close and abort return only once ssh has been reaped: Close after the
// grace period for an ssh that ignores SIGTERM, abort at once.
func TestSSHConnEndsReapTheProcess(t *testing.T) {
	log := useFakeSSH(t, "hang")
	target, _ := parseSSHHost("ssh://build.example")
	for i, graceful := range []bool{true, false} {
		conn, err := dialSSH(context.Background(), target)
		if err != nil {
			t.Fatal(err)
		}
		c := conn.(*sshConn)
		// It logs its start once it ignores SIGTERM.
		for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(5 * time.Millisecond) {
			if data, _ := os.ReadFile(log); strings.Count(string(data), "\n") > i {
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("the fake ssh did not start")
			}
		}
		start := time.Now()
		if graceful {
			c.Close()
		} else {
			c.abort()
		}
		took := time.Since(start)
		select {
		case <-c.exited:
		default:
			t.Errorf("graceful=%v: returned before ssh was reaped", graceful)
		}
		if graceful && took < sshTermGrace || !graceful && took >= sshTermGrace {
			t.Errorf("graceful=%v took %s (grace %s)", graceful, took, sshTermGrace)
		}
	}
}

// An ssh context is offered as a candidate, probed within probeTimeout:
// the longer wait for a logged-in host is Connect's, not the doctor's
// side search.
func TestCandidatesProbeSSHContextsQuickly(t *testing.T) {
	m := newMachine(t)
	m.writeContext(t, "classroom", "ssh://me@build.example", false)
	env := m.env(Linux)
	current := Endpoint{Host: "unix:///nonexistent/docker.sock", Context: "default"}
	for mode, answers := range map[string]bool{"serve": true, "slow": false} {
		useFakeSSH(t, mode)
		start := time.Now()
		found := findCandidates(context.Background(), env, current)
		took := time.Since(start)
		var c *Candidate
		for i := range found {
			if found[i].Host == "ssh://me@build.example" {
				c = &found[i]
			}
		}
		if c == nil || c.Answers != answers || c.Use != "docker context use classroom" {
			t.Errorf("%s: candidates %+v", mode, found)
		}
		if took >= 2*probeTimeout {
			t.Errorf("%s: the search took %s", mode, took)
		}
	}
}
