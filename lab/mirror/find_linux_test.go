package mirror

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// requireDocker is the project's switch that turns a missing daemon into
// a failure (dockertest.RequireEnv; this package's tests do not import
// dockertest, which would make the package a daemon package in CI's
// second pass).
const requireDocker = "DOCKERTUTOR_REQUIRE_DOCKER"

// TestFindTheMachinesDaemons finds the machine's own daemons, only reading
// (/proc and the config file): the shared daemons are never changed. The
// PID is checked against the daemon's own pidfile.
func TestFindTheMachinesDaemons(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("finding a root dockerd's process needs root")
	}
	for _, c := range []struct{ socket, pidfile string }{
		{"/var/run/docker.sock", "/var/run/docker.pid"},
		{"/run/docker29.sock", "/run/docker29.pid"},
	} {
		t.Run(filepath.Base(c.socket), func(t *testing.T) {
			// A socket file is not a daemon: one left behind by a daemon
			// that has stopped is still on disk (CI found /run/docker29.sock
			// so before its engine was started).
			conn, err := net.Dial("unix", c.socket)
			if err != nil {
				if c.socket == "/var/run/docker.sock" && os.Getenv(requireDocker) == "1" {
					t.Fatalf("%s=1 but no daemon: %v", requireDocker, err)
				}
				t.Skipf("no daemon at %s: %v", c.socket, err)
			}
			conn.Close()
			data, err := os.ReadFile(c.pidfile)
			if err != nil {
				t.Skipf("no pidfile %s to check the PID against: %v", c.pidfile, err)
			}
			want, _ := strconv.Atoi(strings.TrimSpace(string(data)))
			d, err := Find(context.Background(), "unix://"+c.socket)
			if err != nil {
				t.Fatal(err)
			}
			if d.PID != want {
				t.Errorf("PID %d, the pidfile says %d", d.PID, want)
			}
			args, _ := procStrings(d.PID, "cmdline")
			wantConfig := "/etc/docker/daemon.json"
			if f := flagValue(args, "config-file"); f != "" {
				wantConfig = f
			}
			if d.ConfigFile != wantConfig || d.Rootless {
				t.Errorf("config %s (rootless %v), want %s", d.ConfigFile, d.Rootless, wantConfig)
			}
			if d.CanChange() != nil {
				t.Errorf("root cannot change it: %v", d.CanChange())
			}
			if d.Backup() != wantConfig+BackupSuffix {
				t.Errorf("backup %s", d.Backup())
			}
		})
	}
}

func TestFindRefusesWhatIsNotADockerd(t *testing.T) {
	dir := t.TempDir()
	t.Run("a socket another program serves", func(t *testing.T) {
		path := filepath.Join(dir, "proxy.sock")
		l, err := net.Listen("unix", path)
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		_, err = Find(context.Background(), "unix://"+path)
		want := "served by " + filepath.Base(os.Args[0]) + " (pid " + strconv.Itoa(os.Getpid()) + "), not by dockerd"
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Fatalf("err %v, want %q", err, want)
		}
	})
	t.Run("a socket nobody listens on", func(t *testing.T) {
		path := filepath.Join(dir, "stale.sock")
		l, err := net.Listen("unix", path)
		if err != nil {
			t.Fatal(err)
		}
		l.(*net.UnixListener).SetUnlinkOnClose(false)
		l.Close()
		_, err = Find(context.Background(), path)
		if err == nil || !strings.Contains(err.Error(), "no process on this machine listens on "+path) {
			t.Fatalf("err %v", err)
		}
	})
	t.Run("not a socket", func(t *testing.T) {
		path := filepath.Join(dir, "file")
		os.WriteFile(path, nil, 0o644)
		if _, err := Find(context.Background(), path); err == nil || !strings.Contains(err.Error(), "is not a socket") {
			t.Fatalf("err %v", err)
		}
	})
	t.Run("no such socket", func(t *testing.T) {
		if _, err := Find(context.Background(), filepath.Join(dir, "none.sock")); err == nil || !strings.Contains(err.Error(), "no Docker socket at") {
			t.Fatalf("err %v", err)
		}
	})
	t.Run("not local", func(t *testing.T) {
		if _, err := Find(context.Background(), "ssh://teacher@lab"); err == nil || !strings.Contains(err.Error(), "ssh://teacher@lab (a ssh:// address)") {
			t.Fatalf("err %v", err)
		}
	})
}

func TestListeningInodes(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "d.sock")
	l, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	sock, _ := os.Stat(path)
	// The same file by another name, as /var/run/docker.sock is
	// /run/docker.sock.
	link := filepath.Join(dir, "link")
	os.Symlink(dir, link)
	table := "Num       RefCount Protocol Flags    Type St Inode Path\n" +
		"0000000000000000: 00000002 00000000 00010000 0001 01 111 " + path + "\n" +
		"0000000000000000: 00000003 00000000 00000000 0001 03 222 " + path + "\n" + // a connection, not the listener
		"0000000000000000: 00000002 00000000 00010000 0001 01 333 " + filepath.Join(link, "d.sock") + "\n" +
		"0000000000000000: 00000002 00000000 00010000 0001 01 444 @" + path + "\n" + // abstract
		"0000000000000000: 00000002 00000000 00010000 0001 01 555 /elsewhere.sock\n" +
		"0000000000000000: 00000002 00000000 00010000 0001 01 666\n"
	got := strings.Join(listeningInodes([]byte(table), path, sock), ",")
	if got != "111,333" {
		t.Fatalf("inodes %s, want 111,333", got)
	}
}

func TestConfigFileOfAProcess(t *testing.T) {
	cases := []struct {
		args, env []string
		rootless  bool
		want      string
	}{
		{[]string{"dockerd", "-H", "fd://"}, nil, false, "/etc/docker/daemon.json"},
		{[]string{"dockerd", "--config-file", "/srv/d.json"}, nil, false, "/srv/d.json"},
		{[]string{"dockerd", "--config-file=/srv/e.json"}, nil, false, "/srv/e.json"},
		{[]string{"dockerd"}, []string{"HOME=/home/ann", "ROOTLESSKIT_STATE_DIR=/x"}, true, "/home/ann/.config/docker/daemon.json"},
		{[]string{"dockerd"}, []string{"XDG_CONFIG_HOME=/cfg", "HOME=/home/ann"}, true, "/cfg/docker/daemon.json"},
	}
	for _, c := range cases {
		if got := configFile(os.Getpid(), c.args, c.env, c.rootless); got != c.want {
			t.Errorf("%q %q: %s, want %s", c.args, c.env, got, c.want)
		}
	}
	// A relative --config-file is the daemon's working folder's.
	cwd, _ := os.Getwd()
	if got := configFile(os.Getpid(), []string{"dockerd", "--config-file", "d.json"}, nil, false); got != filepath.Join(cwd, "d.json") {
		t.Errorf("relative: %s", got)
	}
}
