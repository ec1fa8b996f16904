package handover

import "golang.org/x/sys/unix"

// sstop is p_stat SSTOP in <sys/proc.h>.
const sstop = 4

// isStopped reports whether the process pid is stopped. Darwin's waitid is
// not in x/sys, and wait4 would reap a child that just ended behind
// exec.Cmd.Wait's back; the process table reads without either.
func isStopped(pid int) bool {
	kp, err := unix.SysctlKinfoProc("kern.proc.pid", pid)
	return err == nil && kp.Proc.P_stat == sstop
}
