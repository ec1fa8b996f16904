//go:build unix

package engine

import (
	"os"
	"os/exec"
	"syscall"
)

// detachSSH puts ssh in a session of its own: without a controlling
// terminal it cannot prompt on the learner's screen even if BatchMode were
// lost, Ctrl-C in the tutor does not reach it, and its process group holds
// any ProxyCommand it starts, so stopSSH ends those too.
func detachSSH(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	setParentDeathSignal(cmd.SysProcAttr)
}

// stopSSH signals ssh's process group: SIGTERM first, SIGKILL when kill.
func stopSSH(p *os.Process, kill bool) {
	sig := syscall.SIGTERM
	if kill {
		sig = syscall.SIGKILL
	}
	if err := syscall.Kill(-p.Pid, sig); err != nil {
		_ = p.Signal(sig)
	}
}
