package engine

import "syscall"

// setParentDeathSignal ends ssh when the tutor dies without closing its
// connections (killed, or crashed), as the docker CLI does.
func setParentDeathSignal(a *syscall.SysProcAttr) { a.Pdeathsig = syscall.SIGTERM }
