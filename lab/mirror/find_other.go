//go:build !linux

package mirror

import (
	"context"
	"fmt"
	"io/fs"
	"runtime"
)

// Find finds the dockerd that listens on host. Only Linux runs dockerd
// itself: elsewhere the daemon is in a virtual machine (Docker Desktop,
// Colima), whose configuration this machine cannot change.
func Find(ctx context.Context, host string) (*Daemon, error) {
	if _, err := socketPath(host); err != nil {
		return nil, err
	}
	return nil, fmt.Errorf("preparing a lab machine changes the configuration of a dockerd running on it, and on %s the daemon runs in a virtual machine: prepare a Linux lab machine with Docker Engine", runtime.GOOS)
}

func (d *Daemon) reload() error {
	return fmt.Errorf("reloading dockerd's configuration needs Linux")
}

// fileOwner is unknown here: a file is written with this process's owner.
func fileOwner(fs.FileInfo) (uid, gid int) { return -1, -1 }
