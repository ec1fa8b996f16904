//go:build linux || darwin

package handover

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"syscall"

	"golang.org/x/sys/unix"
)

// An editor or a shell that the tutor opens on the learner's terminal runs
// the way a shell runs a foreground job: in a process group of its own that
// is the terminal's foreground group while it runs. The keys that signal
// (Ctrl+C, Ctrl+\, Ctrl+Z) then reach that program only. Left in the
// tutor's group, Ctrl+C in a program that keeps the terminal in cooked mode
// and takes no job control itself (a script as $EDITOR, code --wait, sh)
// would interrupt the tutor too, which then quits under the learner.

// StartInForeground starts c and returns what waits for it. When c's stdin
// is the controlling terminal and the tutor's group is its foreground, c
// runs in a group of its own that takes the terminal, and the wait gives
// the terminal back to the tutor's group when c ends. Otherwise (a pipe, a
// test, a tutor started in the background) c starts as exec.Cmd.Start
// starts it, in the tutor's group.
func StartInForeground(c *exec.Cmd) (wait func() error, err error) {
	tty, ok := c.Stdin.(*os.File)
	if !ok || !ownsForeground(tty) {
		if err := c.Start(); err != nil {
			return nil, err
		}
		return c.Wait, nil
	}
	if c.SysProcAttr == nil {
		c.SysProcAttr = &syscall.SysProcAttr{}
	}
	// Foreground implies a new group (Setpgid, the child's pid as its id).
	// Unlike Setctty's, Foreground's Ctty is a descriptor of this process,
	// not an index into the child's files: the child sets the terminal's
	// foreground before its descriptors are rearranged.
	c.SysProcAttr.Setpgid = true
	c.SysProcAttr.Foreground = true
	c.SysProcAttr.Ctty = int(tty.Fd())

	// Asked for before the start, so that no stop goes unseen.
	childChanged := make(chan os.Signal, 1)
	signal.Notify(childChanged, syscall.SIGCHLD)
	if err := c.Start(); err != nil {
		signal.Stop(childChanged)
		// A child whose exec failed may have taken the terminal first.
		return nil, errors.Join(err, takeForeground(tty))
	}
	return func() error {
		err := waitResuming(c, childChanged)
		signal.Stop(childChanged)
		return errors.Join(err, takeForeground(tty))
	}, nil
}

// ownsForeground reports whether f is this process's controlling terminal
// and this process's group is its foreground group. The terminal answers
// the question only for the session it controls.
func ownsForeground(f *os.File) bool {
	fg, err := unix.IoctlGetInt(int(f.Fd()), unix.TIOCGPGRP)
	return err == nil && fg == unix.Getpgrp()
}

// takeForeground makes the tutor's group the terminal's foreground again.
// At that moment the tutor is in a background group, and the terminal
// answers a background group's tcsetpgrp with SIGTTOU, whose default action
// stops the tutor (its shell would then say "Stopped" and wait for fg). So
// SIGTTOU is ignored around this one call, and only if it was not ignored
// already; the rest of the time a write to the terminal from the
// background stays under the terminal's rules.
func takeForeground(tty *os.File) error {
	if !signal.Ignored(syscall.SIGTTOU) {
		signal.Ignore(syscall.SIGTTOU)
		defer signal.Reset(syscall.SIGTTOU)
	}
	if err := unix.IoctlSetPointerInt(int(tty.Fd()), unix.TIOCSPGRP, unix.Getpgrp()); err != nil {
		return fmt.Errorf("cannot take the terminal back: %w", err)
	}
	return nil
}

// waitResuming waits for c, resuming it whenever it is stopped. A child
// stopped by Ctrl+Z (or any stop signal) keeps the terminal and would hang
// the tutor, which offers no job control (no prompt to come back to, no
// fg): so a stop lasts no longer than it takes to notice it, which is what
// Ctrl+Z does under a shell without job control. childChanged is notified
// of SIGCHLD, which a child's stop raises in its parent.
func waitResuming(c *exec.Cmd, childChanged <-chan os.Signal) error {
	done := make(chan error, 1)
	go func() { done <- c.Wait() }()
	pid := c.Process.Pid
	for {
		select {
		case err := <-done:
			return err
		case <-childChanged:
			if isStopped(pid) {
				// The whole group: what the child started stopped with it.
				_ = unix.Kill(-pid, unix.SIGCONT)
			}
		}
	}
}
