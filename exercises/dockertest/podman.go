//go:build linux

package dockertest

import (
	"cmp"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/moby/moby/client"

	"github.com/dockertutor/dockertutor/internal/mounts"
)

// RequirePodmanEnv makes a machine without podman a failure instead of a
// skip for the tests that start their own Podman service.
const RequirePodmanEnv = "DOCKERTUTOR_REQUIRE_PODMAN"

// PodmanStorageEnv names the storage driver of the tests' Podman services:
// overlay by default (kernel overlayfs: a layer is not copied whole for
// each step and container, as vfs copies it; the two hand-built steps
// ran in 0.74 of vfs's time here), vfs where overlayfs cannot mount.
const PodmanStorageEnv = "DOCKERTUTOR_PODMAN_STORAGE"

// podmanContainersConf keeps a container's limits within what any service
// may give: as root Podman raises a container's open-files and process
// limits past the service's own hard limits in a CI container, and runc
// then refuses to start it ("error setting rlimit type 7").
const podmanContainersConf = "[containers]\ndefault_ulimits = [\"nofile=4096:4096\", \"nproc=4096:4096\"]\n"

// Podman starts a private Podman Docker-API service for the test, with its
// own root, run root, tmp and volume folders (storage as
// PodmanStorageEnv says; what stays mounted is unmounted at the end) and
// socket, and the stand-in base images of the
// built-in course on it. It returns the DOCKER_HOST value and a client.
// When the test ends it removes the service's containers, stops it and
// removes its folders. Without podman the test is skipped, or fails with
// DOCKERTUTOR_REQUIRE_PODMAN=1.
func Podman(t testing.TB) (string, *client.Client) {
	t.Helper()
	registryLookupsOff()
	bin, err := exec.LookPath("podman")
	if err != nil {
		if os.Getenv(RequirePodmanEnv) == "1" {
			t.Fatalf("podman required (%s=1) but not found: %v", RequirePodmanEnv, err)
		}
		t.Skipf("no podman here (apt-get install podman): %v", err)
	}
	// A short folder: a unix socket's path has room for about 100 bytes.
	dir, err := os.MkdirTemp("", "dtpodman-")
	if err != nil {
		t.Fatal(err)
	}
	for _, sub := range []string{"root", "runroot", "tmp", "volumes"} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	conf := filepath.Join(dir, "containers.conf")
	if err := os.WriteFile(conf, []byte(podmanContainersConf), 0o600); err != nil {
		t.Fatal(err)
	}
	host := "unix://" + filepath.Join(dir, "podman.sock")
	logFile, err := os.Create(filepath.Join(dir, "service.log"))
	if err != nil {
		t.Fatal(err)
	}
	// No network folder of its own: netavark takes its lock in the network
	// folder (<dir>/netavark.lock), but every rootful service shares the
	// host's iptables and IPAM (/run/containers/networks/ipam.db), so two
	// services with two folders ran netavark at once, and a container's
	// start failed with "netavark: code: 1, msg: iptables: Chain already
	// exists" while another service set up its own. In the host's folder
	// (/etc/containers/networks) every service's netavark takes turns.
	cmd := exec.Command(bin,
		"--root", filepath.Join(dir, "root"), "--runroot", filepath.Join(dir, "runroot"),
		"--tmpdir", filepath.Join(dir, "tmp"),
		"--volumepath", filepath.Join(dir, "volumes"), "--storage-driver", cmp.Or(os.Getenv(PodmanStorageEnv), "overlay"),
		"--events-backend", "file", "--cgroup-manager", "cgroupfs",
		"system", "service", "--time=0", host)
	cmd.Env = append(os.Environ(), "CONTAINERS_CONF="+conf)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start podman system service: %v", err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()

	cli, err := client.New(client.WithHost(host))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		if list, err := cli.ContainerList(ctx, client.ContainerListOptions{All: true}); err == nil {
			for _, c := range list.Items {
				cli.ContainerRemove(ctx, c.ID, client.ContainerRemoveOptions{Force: true})
			}
		}
		cli.Close()
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(30 * time.Second):
			syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-exited
		}
		logFile.Close()
		mounts.UnmountUnder(dir)
		if err := os.RemoveAll(dir); err != nil {
			t.Errorf("remove the Podman service's folder: %v", err)
		}
	})

	deadline := time.Now().Add(60 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		_, err := cli.Ping(ctx, client.PingOptions{NegotiateAPIVersion: true})
		cancel()
		if err == nil {
			break
		}
		select {
		case <-exited:
			log, _ := os.ReadFile(filepath.Join(dir, "service.log"))
			t.Fatalf("podman system service exited: %s", log)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("podman system service did not answer within 60 s: %v", err)
		}
		time.Sleep(200 * time.Millisecond)
	}
	return host, cli
}
