package engine

import (
	"os"
	"os/exec"
	"syscall"
)

// detachSSH keeps Ctrl-C in the tutor's console from reaching ssh: the
// tutor ends its connections itself.
func detachSSH(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{CreationFlags: syscall.CREATE_NEW_PROCESS_GROUP}
}

// stopSSH kills ssh: Windows has no SIGTERM to send first.
func stopSSH(p *os.Process, _ bool) { _ = p.Kill() }
