//go:build linux || darwin

package handover

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/creack/pty"
	"golang.org/x/sys/unix"
)

// The tests start the test binary again on a pseudo-terminal, as a learner's
// shell with job control runs the tutor: the "shell" is the session leader
// and puts the stand-in for the tutor in a process group of its own that
// has the terminal. The tests then type on that terminal. (A tutor that is
// itself the session leader would be in an orphaned group, where the
// kernel neither stops it on SIGTTIN, SIGTTOU or SIGTSTP nor lets it read
// from the background: not what a learner's tutor sees.)

// foregroundHelperEnv names the part the re-started test binary plays;
// tutorPartEnv, the part the shell's job plays.
const (
	foregroundHelperEnv = "DOCKERTUTOR_FOREGROUND_HELPER"
	tutorPartEnv        = "DOCKERTUTOR_FOREGROUND_TUTOR"
)

// interruptScript is an editor that Ctrl+C ends: it reports the
// interrupt and exits 3. It waits in short sleeps: a shell runs a trap
// only once its foreground command ends, and an interrupt that lands
// before a long sleep has started would wait for all of it (seen on a
// loaded machine).
const interruptScript = `trap "echo child-int; exit 3" INT; echo ready; i=0; while [ $i -lt 300 ]; do sleep 0.1; i=$((i+1)); done`

// suspendScript is an editor that reports being resumed after a stop
// (Ctrl+Z) and exits 4.
const suspendScript = `trap 'echo child-cont; kill $pid; exit 4' CONT
sleep 30 & pid=$!
echo ready
wait $pid`

// TestForegroundHelperProcess is no test of its own: started by the tests
// below with foregroundHelperEnv set, it plays the learner's shell or the
// tutor.
func TestForegroundHelperProcess(t *testing.T) {
	mode := os.Getenv(foregroundHelperEnv)
	if mode == "" {
		t.Skip("the stand-in for the tutor in the foreground tests; runs only when they start it")
	}
	if mode == "shell" {
		os.Exit(jobControlShell(os.Getenv(tutorPartEnv)))
	}
	os.Exit(foregroundHelper(mode))
}

// jobControlShell runs the tutor in mode as a shell runs a foreground job,
// and ends as the tutor ended. A tutor stopped is killed and reported: the
// learner would be back at their prompt with a stopped tutor.
func jobControlShell(mode string) int {
	c := exec.Command(os.Args[0], "-test.run=^TestForegroundHelperProcess$")
	c.Env = append(os.Environ(), foregroundHelperEnv+"="+mode)
	c.Stdin, c.Stdout, c.Stderr = os.Stdin, os.Stdout, os.Stderr
	c.SysProcAttr = &syscall.SysProcAttr{Foreground: true, Ctty: int(os.Stdin.Fd())}
	if err := c.Start(); err != nil {
		fmt.Printf("shell: cannot start the tutor: %v\n", err)
		return 2
	}
	for {
		var ws syscall.WaitStatus
		if _, err := syscall.Wait4(c.Process.Pid, &ws, syscall.WUNTRACED, nil); err != nil {
			if err == syscall.EINTR {
				continue
			}
			fmt.Printf("shell: wait: %v\n", err)
			return 2
		}
		switch {
		case ws.Stopped():
			fmt.Printf("shell: the tutor was stopped by %v\n", ws.StopSignal())
			syscall.Kill(-c.Process.Pid, syscall.SIGKILL)
			return 1
		case ws.Signaled():
			fmt.Printf("shell: the tutor was killed by %v\n", ws.Signal())
			return 1
		case ws.Exited():
			if ws.ExitStatus() != 0 {
				fmt.Printf("shell: the tutor exited with %d\n", ws.ExitStatus())
			}
			return ws.ExitStatus()
		}
	}
}

// foregroundHelper plays the tutor: it opens a child through
// StartInForeground on the terminal its shell gave it, says how the child
// ended ("back: ..."), then reads a line from the terminal, which it can do
// only if its group has the terminal again.
func foregroundHelper(mode string) int {
	if mode == "report-group" {
		fmt.Println(unix.Getpgrp())
		return 0
	}
	// As the tutor's main does (fang.WithNotifySignal): an interrupt ends it
	// with 130.
	interrupted := make(chan os.Signal, 1)
	signal.Notify(interrupted, os.Interrupt)
	go func() {
		<-interrupted
		fmt.Println("tutor got SIGINT")
		os.Exit(130)
	}()

	var c *exec.Cmd
	switch mode {
	case "interrupt":
		c = exec.Command("sh", "-c", interruptScript)
	case "suspend":
		c = exec.Command("sh", "-c", suspendScript)
	case "exec-fails":
		// Built by hand: exec.Command would refuse the file before forking,
		// and it is the forked child that takes the terminal.
		path := os.Getenv("DOCKERTUTOR_FOREGROUND_NOT_EXECUTABLE")
		c = &exec.Cmd{Path: path, Args: []string{path}}
	default:
		fmt.Printf("unknown mode %q\n", mode)
		return 2
	}
	c.Stdin, c.Stdout, c.Stderr = os.Stdin, os.Stdout, os.Stderr
	wait, err := StartInForeground(c)
	if err == nil {
		err = wait()
	}
	fmt.Printf("back: %v\n", err)
	line, err := bufio.NewReader(os.Stdin).ReadString('\n')
	if err != nil {
		fmt.Printf("tutor cannot read the terminal: %v\n", err)
		return 1
	}
	fmt.Printf("tutor read %q\n", strings.TrimRight(line, "\r\n"))
	return 0
}

// terminalSession is the learner's shell, running the tutor, on a
// pseudo-terminal.
type terminalSession struct {
	t      *testing.T
	cmd    *exec.Cmd
	master *os.File
	exited chan struct{} // closed once cmd.Wait returned

	mu  sync.Mutex
	out bytes.Buffer
	at  int // how far expect has read
}

func startTutorStandIn(t *testing.T, mode string, env ...string) *terminalSession {
	t.Helper()
	if _, err := exec.LookPath("sh"); err != nil {
		t.Skip("no sh on this system")
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestForegroundHelperProcess$")
	cmd.Env = append(append(os.Environ(), foregroundHelperEnv+"=shell", tutorPartEnv+"="+mode), env...)
	// pty.Start makes the shell a session leader with the terminal as its
	// controlling terminal.
	master, err := pty.Start(cmd)
	if err != nil {
		t.Fatalf("start a shell on a pseudo-terminal: %v", err)
	}
	s := &terminalSession{t: t, cmd: cmd, master: master, exited: make(chan struct{})}
	go func() {
		buf := make([]byte, 4096)
		for {
			n, err := master.Read(buf)
			s.mu.Lock()
			s.out.Write(buf[:n])
			s.mu.Unlock()
			if err != nil {
				return // EIO once the shell and its children are gone
			}
		}
	}()
	go func() {
		cmd.Wait()
		close(s.exited)
	}()
	t.Cleanup(func() {
		// Whatever has the terminal may be stopped, where a hangup would
		// not end it; then the shell, which kills a stopped tutor itself.
		if fg, err := unix.IoctlGetInt(int(master.Fd()), unix.TIOCGPGRP); err == nil && fg > 0 {
			unix.Kill(-fg, unix.SIGKILL)
		}
		cmd.Process.Kill()
		<-s.exited
		master.Close()
	})
	return s
}

func (s *terminalSession) transcript() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.out.String()
}

// expect waits for want in what the terminal showed since the last match.
func (s *terminalSession) expect(want string) {
	s.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		s.mu.Lock()
		rest := s.out.String()[s.at:]
		if i := strings.Index(rest, want); i >= 0 {
			s.at += i + len(want)
			s.mu.Unlock()
			return
		}
		s.mu.Unlock()
		if time.Now().After(deadline) {
			s.t.Fatalf("the terminal never showed %q; it showed:\n%s", want, s.transcript())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (s *terminalSession) typeKeys(keys string) {
	s.t.Helper()
	if _, err := s.master.Write([]byte(keys)); err != nil {
		s.t.Fatalf("type %q: %v", keys, err)
	}
}

// expectExitZero waits for the shell to end and wants the tutor to have
// ended well.
func (s *terminalSession) expectExitZero() {
	s.t.Helper()
	select {
	case <-s.exited:
	case <-time.After(10 * time.Second):
		s.t.Fatalf("the tutor did not end; the terminal showed:\n%s", s.transcript())
	}
	if st := s.cmd.ProcessState; !st.Success() {
		s.t.Fatalf("the tutor's shell ended with %v, not 0; the terminal showed:\n%s", st, s.transcript())
	}
}

// readsTheTerminalAgain types a line and wants the tutor to read it: a
// tutor left in a background group would be stopped there (SIGTTIN).
func (s *terminalSession) readsTheTerminalAgain() {
	s.t.Helper()
	s.typeKeys("line\n")
	s.expect(`tutor read "line"`)
	s.expectExitZero()
}

func TestCtrlCReachesTheChildAndNotTheTutor(t *testing.T) {
	s := startTutorStandIn(t, "interrupt")
	s.expect("ready")
	s.typeKeys("\x03") // Ctrl+C
	s.expect("child-int")
	if strings.Contains(s.transcript(), "tutor got SIGINT") {
		t.Fatalf("the interrupt reached the tutor too:\n%s", s.transcript())
	}
	s.expect("back: exit status 3")
	s.readsTheTerminalAgain()
}

func TestCtrlZDoesNotHangTheTutor(t *testing.T) {
	s := startTutorStandIn(t, "suspend")
	s.expect("ready")
	s.typeKeys("\x1a") // Ctrl+Z
	// The child's trap runs on the SIGCONT that resumes it.
	s.expect("child-cont")
	s.expect("back: exit status 4")
	s.readsTheTerminalAgain()
}

func TestAFailedExecGivesTheTerminalBack(t *testing.T) {
	notExecutable := filepath.Join(t.TempDir(), "editor")
	if err := os.WriteFile(notExecutable, []byte("#!/bin/sh\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	s := startTutorStandIn(t, "exec-fails", "DOCKERTUTOR_FOREGROUND_NOT_EXECUTABLE="+notExecutable)
	s.expect("back: fork/exec " + notExecutable + ": permission denied")
	s.readsTheTerminalAgain()
}

// childGroup runs the helper in report-group mode with stdin and says
// which process group it ran in.
func childGroup(t *testing.T, stdin *os.File) int {
	t.Helper()
	c := exec.Command(os.Args[0], "-test.run=^TestForegroundHelperProcess$")
	c.Env = append(os.Environ(), foregroundHelperEnv+"=report-group")
	var out bytes.Buffer
	c.Stdin, c.Stdout = stdin, &out
	wait, err := StartInForeground(c)
	if err != nil {
		t.Fatal(err)
	}
	if err := wait(); err != nil {
		t.Fatalf("%v: %s", err, out.String())
	}
	pgrp, err := strconv.Atoi(strings.TrimSpace(out.String()))
	if err != nil {
		t.Fatalf("the child said %q, not its process group", out.String())
	}
	return pgrp
}

func TestAChildNotOnTheControllingTerminalStaysInTheTutorsGroup(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	w.Close()
	if got, want := childGroup(t, r), syscall.Getpgrp(); got != want {
		t.Errorf("a child reading a pipe ran in group %d, not the tutor's %d", got, want)
	}

	// A terminal, but not this process's controlling terminal.
	master, tty, err := pty.Open()
	if err != nil {
		t.Fatal(err)
	}
	defer master.Close()
	defer tty.Close()
	if got, want := childGroup(t, tty), syscall.Getpgrp(); got != want {
		t.Errorf("a child on a terminal that is not the controlling one ran in group %d, not the tutor's %d", got, want)
	}
}
