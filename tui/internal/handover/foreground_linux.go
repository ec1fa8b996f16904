package handover

import "golang.org/x/sys/unix"

// cldStopped is si_code CLD_STOPPED in <signal.h>.
const cldStopped = 5

// isStopped reports whether the child pid is stopped, without reaping it
// or consuming the report: exec.Cmd.Wait stays the only one to reap.
func isStopped(pid int) bool {
	var info unix.Siginfo
	err := unix.Waitid(unix.P_PID, pid, &info, unix.WSTOPPED|unix.WNOHANG|unix.WNOWAIT, nil)
	return err == nil && info.Code == cldStopped
}
