package mirror

import (
	"fmt"
	"net/url"
	"path/filepath"
	"strings"
)

// socketPath is the unix socket path of a daemon address: unix:///path or
// a bare absolute path. Anything else names a daemon this machine cannot
// reconfigure: its daemon.json is on another machine or in a VM.
func socketPath(host string) (string, error) {
	if filepath.IsAbs(host) {
		return filepath.Clean(host), nil
	}
	u, err := url.Parse(host)
	if err == nil && u.Scheme == "unix" && u.Path != "" {
		return filepath.Clean(u.Path), nil
	}
	return "", notLocal(host)
}

// notLocal is the one wording of a daemon address that is not a local
// unix socket.
func notLocal(host string) error {
	what := host
	if scheme, _, ok := strings.Cut(host, "://"); ok {
		what = fmt.Sprintf("%s (a %s:// address)", host, scheme)
	}
	return fmt.Errorf("preparing a lab machine changes the configuration of the dockerd that runs on it, reached by its unix socket, and %s is not one: run it on the lab machine with DOCKER_HOST unset (or unix:///var/run/docker.sock)", what)
}
