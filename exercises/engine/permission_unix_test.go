//go:build unix

package engine

import (
	"encoding/json"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
)

// TestConnectPermissionDenied makes a socket this user may not open: as
// root, by running the dial as nobody; otherwise, with mode 000.
func TestConnectPermissionDenied(t *testing.T) {
	dir := shortTempDir(t)
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "docker.sock")
	l, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })

	if os.Geteuid() != 0 {
		if err := os.Chmod(path, 0); err != nil {
			t.Fatal(err)
		}
		ce, _ := connectTimed(t, unixEndpoint(path))
		if ce.Class != ClassPermission {
			t.Errorf("class = %s (%v), want %s", ce.Class, ce.Err, ClassPermission)
		}
		return
	}

	if err := os.Chmod(path, 0o600); err != nil {
		t.Fatal(err)
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	// The test binary's own directory may be private; copy it where
	// nobody can run it.
	bin := filepath.Join(dir, "engine.test")
	data, err := os.ReadFile(self)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bin, data, 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-test.run=^$")
	cmd.Env = []string{helperEnv + "=unix://" + path, "PATH=/usr/bin:/bin"}
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	out, err := cmd.Output()
	if err != nil {
		t.Skipf("cannot run as nobody here: %v", err)
	}
	var res map[string]string
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatalf("helper said %q: %v", out, err)
	}
	if Class(res["class"]) != ClassPermission {
		t.Errorf("as nobody: class %s (%s), want %s", res["class"], res["error"], ClassPermission)
	}
}
