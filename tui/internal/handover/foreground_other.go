//go:build !linux && !darwin

package handover

import "os/exec"

// StartInForeground starts c and returns what waits for it, in the tutor's
// process group as before. Windows has no process groups of this kind (a
// console's Ctrl+C goes to every process attached to it). On the Unix
// systems other than Linux and macOS, x/sys offers no way to see the child
// stopped without reaping it, and a stopped child in a group of its own
// would hang the tutor.
func StartInForeground(c *exec.Cmd) (wait func() error, err error) {
	if err := c.Start(); err != nil {
		return nil, err
	}
	return c.Wait, nil
}
