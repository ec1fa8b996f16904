package engine

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// The test binary stands in for ssh when run with fakeSSHEnv set: tests
// put a link named ssh to it first on PATH, so the code under test starts
// it exactly as it starts the real one.
const (
	fakeSSHEnv       = "DTTEST_ENGINE_FAKE_SSH" // what to do: serve, slow, stuck, fail, flood, hang
	fakeSSHLogEnv    = "DTTEST_ENGINE_FAKE_SSH_LOG"
	fakeSSHStderrEnv = "DTTEST_ENGINE_FAKE_SSH_STDERR"
	fakeSSHExitEnv   = "DTTEST_ENGINE_FAKE_SSH_EXIT"
)

// fakeSSHRun is one start of the fake ssh, as it logs it.
type fakeSSHRun struct {
	Args  []string `json:"args"`
	PID   int      `json:"pid"`
	Child int      `json:"child,omitempty"`
}

func fakeSSH(mode string) int {
	run := fakeSSHRun{Args: os.Args[1:], PID: os.Getpid()}
	switch mode {
	case "serve":
		logFakeSSH(run)
		serveFakeDaemon(os.Stdin, os.Stdout)
		return 0
	case "slow", "stuck":
		// Logged in at once; then the remote docker takes its time, or
		// never answers.
		logFakeSSH(run)
		fmt.Fprintf(os.Stderr, "Authenticated to build.example ([192.0.2.7]:22) using \"publickey\".\n")
		if mode == "stuck" {
			time.Sleep(time.Minute)
		}
		time.Sleep(3 * time.Second)
		serveFakeDaemon(os.Stdin, os.Stdout)
		return 0
	case "fail":
		logFakeSSH(run)
		fmt.Fprint(os.Stderr, os.Getenv(fakeSSHStderrEnv))
		code, _ := strconv.Atoi(os.Getenv(fakeSSHExitEnv))
		return code
	case "flood":
		logFakeSSH(run)
		w := bufio.NewWriter(os.Stderr)
		for i := range 5000 {
			fmt.Fprintf(w, "debug1: a chatty line number %d of ssh -vvv\n", i)
		}
		w.WriteString("me@build.example: Permission denied (publickey).\n")
		w.Flush()
		return 255
	case "hang":
		// An ssh that ignores SIGTERM, with a ProxyCommand-like child that
		// ignores it too: only SIGKILL to the process group ends both.
		signal.Ignore(syscall.SIGTERM)
		exe, _ := os.Executable()
		child := exec.Command(exe)
		child.Env = append(os.Environ(), fakeSSHEnv+"=sleep")
		if err := child.Start(); err == nil {
			run.Child = child.Process.Pid
		}
		logFakeSSH(run)
		time.Sleep(time.Minute)
		return 0
	case "sleep":
		signal.Ignore(syscall.SIGTERM)
		time.Sleep(time.Minute)
		return 0
	}
	fmt.Fprintf(os.Stderr, "fake ssh: unknown mode %q\n", mode)
	return 2
}

func logFakeSSH(run fakeSSHRun) {
	f, err := os.OpenFile(os.Getenv(fakeSSHLogEnv), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return
	}
	defer f.Close()
	_ = json.NewEncoder(f).Encode(run)
}

// serveFakeDaemon answers Engine API requests as Docker 20.10 would, until
// the input ends: what `docker system dial-stdio` relays.
func serveFakeDaemon(in io.Reader, out io.Writer) {
	br := bufio.NewReader(in)
	for {
		req, err := http.ReadRequest(br)
		if err != nil {
			return
		}
		_, _ = io.Copy(io.Discard, req.Body)
		resp := &http.Response{StatusCode: http.StatusOK, ProtoMajor: 1, ProtoMinor: 1, Header: http.Header{}, Request: req}
		resp.Header.Set("Api-Version", "1.41")
		resp.Header.Set("Ostype", "linux")
		resp.Header.Set("Server", "Docker/20.10.24+dfsg1 (linux)")
		body := "OK"
		switch path.Base(req.URL.Path) {
		case "_ping":
		case "version":
			resp.Header.Set("Content-Type", "application/json")
			body = `{"Version":"20.10.24+dfsg1","ApiVersion":"1.41","MinAPIVersion":"1.12","Os":"linux","Arch":"amd64"}`
		default:
			resp.StatusCode = http.StatusNotFound
			body = `{"message":"page not found"}`
		}
		resp.ContentLength = int64(len(body))
		resp.Body = io.NopCloser(strings.NewReader(body))
		if err := resp.Write(out); err != nil {
			return
		}
	}
}
