package mirror

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// Find finds the dockerd on this machine that listens on host (unix:///path
// or a path: the endpoint the tutor resolved), and the config file it
// reads. It only reads: /proc/*/net/unix for the listening socket's inode
// (per network namespace, so a daemon in another one is found too),
// /proc/*/fd for the process holding it, its command line and
// environment for the config file, and that file, which must be valid.
func Find(ctx context.Context, host string) (*Daemon, error) {
	path, err := socketPath(host)
	if err != nil {
		return nil, err
	}
	sock, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("no Docker socket at %s (%v): is the Docker daemon running on this machine (sudo systemctl start docker)?", path, err)
	}
	if sock.Mode()&fs.ModeSocket == 0 {
		return nil, fmt.Errorf("%s is not a socket: point DOCKER_HOST at the daemon's unix socket (unix:///var/run/docker.sock)", path)
	}
	pid, err := listener(ctx, path, sock)
	if err != nil {
		return nil, err
	}
	d := &Daemon{Socket: path, PID: pid}
	if d.started, err = startTime(pid); err != nil {
		return nil, fmt.Errorf("reading dockerd (pid %d): %w", pid, err)
	}
	args, err := procStrings(pid, "cmdline")
	if err != nil {
		return nil, fmt.Errorf("reading dockerd's command line (pid %d): %w", pid, err)
	}
	if flagValue(args, "registry-mirror") != "" {
		return nil, fmt.Errorf("dockerd (pid %d) was started with --registry-mirror, and dockerd refuses a setting given both as a flag and in its config file: move the mirrors into daemon.json, restart dockerd, and run again", pid)
	}
	env, _ := procStrings(pid, "environ") // unreadable only without root, which the fds needed already
	d.Rootless = envValue(env, "ROOTLESSKIT_STATE_DIR") != ""
	d.ConfigFile = configFile(pid, args, env, d.Rootless)
	if _, err := readOriginal(d.ConfigFile); err != nil {
		return nil, err
	}
	d.changeErr = mayChange(pid, d.ConfigFile)
	var uts unix.Utsname
	if err := unix.Uname(&uts); err == nil {
		d.Platform = "linux/" + unix.ByteSliceToString(uts.Machine[:])
	}
	return d, nil
}

// soAcceptCon is __SO_ACCEPTCON in /proc/net/unix's Flags: a listening
// socket.
const soAcceptCon = 0x10000

// listener is the dockerd process holding the listening socket at path.
func listener(ctx context.Context, path string, sock fs.FileInfo) (int, error) {
	pids, err := allPIDs()
	if err != nil {
		return 0, err
	}
	// The socket's inode, read from the unix socket table of every
	// network namespace a process is in (once per namespace).
	inodes := map[string]bool{}
	seenNS := map[string]bool{}
	for _, pid := range pids {
		ns, err := os.Readlink(fmt.Sprintf("/proc/%d/ns/net", pid))
		if err != nil || seenNS[ns] {
			continue
		}
		seenNS[ns] = true
		data, err := os.ReadFile(fmt.Sprintf("/proc/%d/net/unix", pid))
		if err != nil {
			continue
		}
		for _, ino := range listeningInodes(data, path, sock) {
			inodes[ino] = true
		}
	}
	if len(inodes) == 0 {
		return 0, fmt.Errorf("no process on this machine listens on %s: is the Docker daemon running here (sudo systemctl start docker)?", path)
	}
	// The processes holding it: dockerd, and with socket activation
	// systemd (pid 1) as well.
	type holder struct {
		pid  int
		name string
	}
	var holders []holder
	denied := false
	for _, pid := range pids {
		if err := ctx.Err(); err != nil {
			return 0, err
		}
		fdDir := fmt.Sprintf("/proc/%d/fd", pid)
		fds, err := os.ReadDir(fdDir)
		if err != nil {
			denied = denied || errors.Is(err, fs.ErrPermission)
			continue
		}
		for _, fd := range fds {
			target, err := os.Readlink(filepath.Join(fdDir, fd.Name()))
			if err != nil || !strings.HasPrefix(target, "socket:[") {
				continue
			}
			if inodes[strings.TrimSuffix(strings.TrimPrefix(target, "socket:["), "]")] {
				holders = append(holders, holder{pid, processName(pid)})
				break
			}
		}
	}
	var dockerds, others []holder
	for _, h := range holders {
		switch {
		case h.name == "dockerd":
			dockerds = append(dockerds, h)
		case h.pid != 1: // systemd's socket activation, beside dockerd
			others = append(others, h)
		}
	}
	switch {
	case len(dockerds) == 1:
		return dockerds[0].pid, nil
	case len(dockerds) > 1:
		return 0, fmt.Errorf("%d dockerd processes hold %s (pids %d and %d): stop the extra one and run again", len(dockerds), path, dockerds[0].pid, dockerds[1].pid)
	case len(others) > 0:
		h := others[0]
		if strings.Contains(h.name, "com.docker") || strings.Contains(h.name, "docker-desktop") {
			return 0, fmt.Errorf("%s is Docker Desktop's (%s, pid %d), whose dockerd runs in a virtual machine: prepare a lab machine that runs dockerd itself (Docker Engine on Linux)", path, h.name, h.pid)
		}
		return 0, fmt.Errorf("%s is served by %s (pid %d), not by dockerd: point DOCKER_HOST at dockerd's own socket", path, h.name, h.pid)
	case euid() != 0 && denied:
		return 0, fmt.Errorf("finding the dockerd behind %s needs root: run it with sudo", path)
	default:
		return 0, fmt.Errorf("no dockerd process holds %s (only systemd's socket activation does, so dockerd is not running): start it (sudo systemctl start docker) and run again", path)
	}
}

// listeningInodes are the inodes of the listening sockets bound at path in
// one /proc/net/unix table ("Num RefCount Protocol Flags Type St Inode
// Path"). The path is compared as a file, so /var/run/docker.sock matches a
// socket bound as /run/docker.sock.
func listeningInodes(table []byte, path string, sock fs.FileInfo) []string {
	var out []string
	sc := bufio.NewScanner(bytes.NewReader(table))
	sc.Scan() // the header
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 8 || strings.HasPrefix(f[7], "@") {
			continue
		}
		flags, err := strconv.ParseUint(f[3], 16, 32)
		if err != nil || flags&soAcceptCon == 0 {
			continue
		}
		bound := f[7]
		if bound != path {
			info, err := os.Stat(bound)
			if err != nil || !os.SameFile(info, sock) {
				continue
			}
		}
		out = append(out, f[6])
	}
	return out
}

// configFile is the daemon.json dockerd reads: --config-file (relative to
// its working folder), else the default, which for a rootless daemon is
// under its XDG config home.
func configFile(pid int, args, env []string, rootless bool) string {
	if f := flagValue(args, "config-file"); f != "" {
		if !filepath.IsAbs(f) {
			cwd, _ := os.Readlink(fmt.Sprintf("/proc/%d/cwd", pid))
			f = filepath.Join(cwd, f)
		}
		return f
	}
	if !rootless {
		return "/etc/docker/daemon.json"
	}
	home := envValue(env, "XDG_CONFIG_HOME")
	if home == "" {
		home = filepath.Join(envValue(env, "HOME"), ".config")
	}
	return filepath.Join(home, "docker", "daemon.json")
}

// flagValue is the value of --name in a command line (--name VALUE or
// --name=VALUE), "" when absent.
func flagValue(args []string, name string) string {
	for i, a := range args {
		switch {
		case a == "--"+name && i+1 < len(args):
			return args[i+1]
		case strings.HasPrefix(a, "--"+name+"="):
			return strings.TrimPrefix(a, "--"+name+"=")
		}
	}
	return ""
}

func envValue(env []string, name string) string {
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, name+"="); ok {
			return v
		}
	}
	return ""
}

// mayChange says why this process may not write the config file's folder
// and signal dockerd: that takes root, or being the daemon's owner (a
// rootless daemon).
func mayChange(pid int, configFile string) error {
	if euid() == 0 {
		return nil
	}
	uid, err := processUID(pid)
	if err != nil || uid != euid() {
		return errors.New("changing dockerd's configuration needs root: run it with sudo")
	}
	dir := filepath.Dir(configFile)
	if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
		dir = filepath.Dir(dir)
	}
	if err := unix.Access(dir, unix.W_OK); err != nil {
		return fmt.Errorf("cannot write %s (%v): run it with sudo", dir, err)
	}
	return nil
}

// reload makes dockerd read its config file again (SIGHUP), after making
// sure the PID is still the dockerd that was found.
func (d *Daemon) reload() error {
	started, err := startTime(d.PID)
	if err != nil || started != d.started {
		return fmt.Errorf("dockerd (pid %d) has stopped since it was found: start it again and run again", d.PID)
	}
	if err := syscall.Kill(d.PID, syscall.SIGHUP); err != nil {
		return fmt.Errorf("asking dockerd (pid %d) to reload its configuration: %w", d.PID, err)
	}
	return nil
}

func euid() int { return os.Geteuid() }

// fileOwner is the uid and gid owning a file.
func fileOwner(info fs.FileInfo) (uid, gid int) {
	if st, ok := info.Sys().(*syscall.Stat_t); ok {
		return int(st.Uid), int(st.Gid)
	}
	return -1, -1
}

func allPIDs() ([]int, error) {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil, fmt.Errorf("reading /proc: %w", err)
	}
	var pids []int
	for _, e := range entries {
		if pid, err := strconv.Atoi(e.Name()); err == nil {
			pids = append(pids, pid)
		}
	}
	return pids, nil
}

// processName is the program a process runs: argv[0]'s base name, which
// unlike comm is not cut at 15 bytes.
func processName(pid int) string {
	if args, err := procStrings(pid, "cmdline"); err == nil && len(args) > 0 && args[0] != "" {
		return filepath.Base(args[0])
	}
	comm, _ := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
	return strings.TrimSpace(string(comm))
}

// procStrings reads a NUL-separated /proc/PID file (cmdline, environ).
func procStrings(pid int, name string) ([]string, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/%s", pid, name))
	if err != nil {
		return nil, err
	}
	return strings.Split(strings.TrimRight(string(data), "\x00"), "\x00"), nil
}

// startTime is field 22 of /proc/PID/stat, the process's start in clock
// ticks since boot: with the PID it names one process for good.
func startTime(pid int) (string, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return "", err
	}
	// The command name (field 2) is in parentheses and may hold spaces.
	rest := data[bytes.LastIndexByte(data, ')')+1:]
	f := strings.Fields(string(rest))
	if len(f) < 20 {
		return "", fmt.Errorf("unexpected /proc/%d/stat", pid)
	}
	return f[19], nil
}

// processUID is the effective uid of a process.
func processUID(pid int) (int, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for line := range strings.SplitSeq(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "Uid:"); ok {
			f := strings.Fields(v)
			if len(f) >= 2 {
				return strconv.Atoi(f[1])
			}
		}
	}
	return 0, fmt.Errorf("no Uid in /proc/%d/status", pid)
}
