package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"time"
)

// classServer is one `dockertutor class serve` process with its own
// home, state and database under dir.
type classServer struct {
	cmd    *exec.Cmd
	dir    string
	db     string
	base   string // http://127.0.0.1:PORT
	code   string
	token  string // the instructor's
	stderr *lockedBuffer
	exited chan struct{}
	// inProcess: the server runs in this process (for a CPU profile);
	// its memory and CPU then include the learners' and dashboards'.
	inProcess bool
	stopOnce  func() error

	mu      sync.Mutex
	peakKiB int64 // VmHWM
	lastKiB int64 // VmRSS at the last sample
}

var joinRE = regexp.MustCompile(`dockertutor class join (http://\S+)/join/(\S+)`)

// parseJoin finds the join command in serve's output: the server's base
// URL and the class code.
func parseJoin(out string) (base, code string, err error) {
	m := joinRE.FindStringSubmatch(out)
	if m == nil {
		return "", "", errors.New("no join command in the server's output")
	}
	return m[1], m[2], nil
}

// startServer starts bin as a class server on a free loopback port, with
// HOME and the XDG folders inside dir so that it never sees a real class,
// and waits until it says it is serving.
func startServer(bin, dir string) (*classServer, error) {
	s := &classServer{dir: dir, db: filepath.Join(dir, "class.db"), stderr: &lockedBuffer{}, exited: make(chan struct{})}
	env := []string{"PATH=" + os.Getenv("PATH"), "TERM=dumb", "TMPDIR=" + dir}
	for _, v := range []string{"HOME", "XDG_STATE_HOME", "XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME"} {
		d := filepath.Join(dir, strings.ToLower(v))
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, err
		}
		env = append(env, v+"="+d)
	}
	if g := os.Getenv("GODEBUG"); g != "" {
		env = append(env, "GODEBUG="+g) // for gctrace and the like
	}
	// Port 0: the kernel picks a free one, and serve prints it.
	s.cmd = exec.Command(bin, "class", "serve", "--addr", "127.0.0.1:0", "--db", s.db, "--title", "Bench class")
	s.cmd.Env = env
	s.cmd.Stderr = s.stderr
	out, err := s.cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := s.cmd.Start(); err != nil {
		return nil, err
	}
	go func() { s.cmd.Wait(); close(s.exited) }()

	lines := make(chan string)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()
	var seen strings.Builder
	timeout := time.After(30 * time.Second)
wait:
	for {
		select {
		case line, ok := <-lines:
			if !ok {
				s.stop()
				return nil, fmt.Errorf("the server ended before serving:\n%s%s", seen.String(), s.stderr.String())
			}
			seen.WriteString(line + "\n")
			if strings.HasPrefix(line, "Press Ctrl+C") {
				break wait
			}
		case <-timeout:
			s.stop()
			return nil, fmt.Errorf("the server did not start in 30 s:\n%s%s", seen.String(), s.stderr.String())
		}
	}
	go func() {
		for range lines { // the goodbye line; never block the server on its stdout
		}
	}()
	if s.base, s.code, err = parseJoin(seen.String()); err != nil {
		s.stop()
		return nil, err
	}
	// The instructor's token, as serve saved it for the dashboard.
	var f struct{ URL, Token, Code string }
	data, err := os.ReadFile(filepath.Join(dir, "xdg_state_home", "dockertutor", "class-instructor.json"))
	if err == nil {
		err = json.Unmarshal(data, &f)
	}
	if err != nil {
		s.stop()
		return nil, fmt.Errorf("the instructor's file: %w", err)
	}
	if f.Code != s.code || f.URL != s.base || f.Token == "" {
		s.stop()
		return nil, fmt.Errorf("the instructor's file (%s, code %s) does not match the output (%s, code %s)", f.URL, f.Code, s.base, s.code)
	}
	if u, err := url.Parse(s.base); err != nil || u.Hostname() != "127.0.0.1" {
		s.stop()
		return nil, fmt.Errorf("the server is at %s, not on loopback", s.base)
	}
	s.token = f.Token
	go s.sample()
	return s, nil
}

func (s *classServer) pid() int {
	if s.inProcess {
		return os.Getpid()
	}
	return s.cmd.Process.Pid
}

// sample reads the server's memory every 100 ms until it exits.
func (s *classServer) sample() {
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	for {
		s.readMemory()
		select {
		case <-s.exited:
			return
		case <-t.C:
		}
	}
}

func (s *classServer) readMemory() {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", s.pid()))
	if err != nil {
		return
	}
	rss, hwm := procStatus(string(data))
	s.mu.Lock()
	s.lastKiB, s.peakKiB = rss, max(s.peakKiB, hwm, rss)
	s.mu.Unlock()
}

// memory is the server's peak and current resident memory, in KiB.
func (s *classServer) memory() (peak, now int64) {
	s.readMemory()
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.peakKiB, s.lastKiB
}

// cpu is the CPU time the server has used so far.
func (s *classServer) cpu() time.Duration {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", s.pid()))
	if err != nil {
		return 0
	}
	ticks, err := procCPUTicks(string(data))
	if err != nil {
		return 0
	}
	// USER_HZ is 100 on every Linux the Go toolchain supports.
	return time.Duration(ticks) * 10 * time.Millisecond
}

// stop asks the server to stop as Ctrl+C does (it checkpoints and closes
// the database), and kills it if it has not stopped in 10 s.
func (s *classServer) stop() error {
	if s.inProcess {
		return s.stopOnce()
	}
	select {
	case <-s.exited:
		return nil
	default:
	}
	s.cmd.Process.Signal(syscall.SIGINT)
	select {
	case <-s.exited:
		return nil
	case <-time.After(10 * time.Second):
		s.cmd.Process.Kill()
		<-s.exited
		return errors.New("the server did not stop in 10 s after SIGINT; killed")
	}
}

// dbBytes is the size of the database with its write-ahead log (gone
// after a clean stop, which folds it into the database).
func (s *classServer) dbBytes() int64 {
	var n int64
	for _, suffix := range []string{"", "-wal"} {
		if fi, err := os.Stat(s.db + suffix); err == nil {
			n += fi.Size()
		}
	}
	return n
}

// lockedBuffer is the server's stderr: written by exec's copier, read by
// us.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

var _ io.Writer = (*lockedBuffer)(nil)
