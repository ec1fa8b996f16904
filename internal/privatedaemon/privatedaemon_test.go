//go:build linux

package privatedaemon

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/client"
)

// TestPrivateDaemonHasNoNetworkAndLeavesNothing starts each engine in its
// own namespace, gives it the stand-in and a registry, and checks that
// the daemon has no route anywhere, that Command and DialContext are in
// its namespace and the test itself is not, and that Stop leaves nothing.
func TestPrivateDaemonHasNoNetworkAndLeavesNothing(t *testing.T) {
	for _, e := range []Engine{Docker20, Engine29} {
		t.Run(strings.ReplaceAll(e.String(), " ", "_"), func(t *testing.T) {
			began := time.Now()
			d := Start(t, Options{Engine: e})
			t.Logf("%s answered in %s", e, time.Since(began).Round(time.Millisecond))
			cli := d.Client(t)
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
			defer cancel()

			info, err := cli.Info(ctx, client.InfoOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if info.Info.DockerRootDir != d.Dir+"/data" {
				t.Errorf("data root %s, want under %s", info.Info.DockerRootDir, d.Dir)
			}

			// No IPv4 route at all, IPv6 only loopback's: a machine
			// with no network.
			routes, err := os.ReadFile(fmt.Sprintf("/proc/%d/net/route", d.PID))
			if err != nil {
				t.Fatal(err)
			}
			if lines := strings.Split(strings.TrimSpace(string(routes)), "\n"); len(lines) != 1 {
				t.Errorf("dockerd has IPv4 routes:\n%s", routes)
			}
			v6, _ := os.ReadFile(fmt.Sprintf("/proc/%d/net/ipv6_route", d.PID))
			for line := range strings.SplitSeq(strings.TrimSpace(string(v6)), "\n") {
				if f := strings.Fields(line); len(f) == 10 && f[9] != "lo" {
					t.Errorf("dockerd has an IPv6 route off loopback: %s", line)
				}
			}

			ns, _ := os.Readlink(fmt.Sprintf("/proc/%d/ns/net", d.PID))
			own, _ := os.Readlink("/proc/self/ns/net")
			if ns == own {
				t.Fatalf("dockerd is in the test's own network namespace %s", ns)
			}
			out, err := d.Command("readlink", "/proc/self/ns/net").Output()
			if err != nil || strings.TrimSpace(string(out)) != ns {
				t.Errorf("Command runs in %q (%v), dockerd in %s", out, err, ns)
			}

			d.StandIn(t, "alpine:3.22")
			if _, err := cli.ImageInspect(ctx, "alpine:3.22"); err != nil {
				t.Fatalf("stand-in: %v", err)
			}

			reg := d.StartRegistry(t)
			// Reached through the namespace, and not from the test's own.
			if res, err := d.HTTPClient().Get(reg.URL + "/v2/"); err != nil || res.StatusCode != 200 {
				t.Errorf("registry in the namespace: %v %v", res, err)
			}
			if _, err := (&http.Client{Timeout: 2 * time.Second}).Get(reg.URL + "/v2/"); err == nil {
				t.Errorf("the registry answers outside the daemon's namespace")
			}
			if got := reg.Requests(); len(got) == 0 || got[len(got)-1] != "GET /v2/ 200" {
				t.Errorf("requests read from the registry's log: %q", got)
			}

			d.Stop()
			assertGone(t, d)
		})
	}
}

// assertGone fails unless nothing of the daemon is left: process, folder,
// namespace, mounts.
func assertGone(t *testing.T, d *Daemon) {
	t.Helper()
	select {
	case <-d.exited:
	default:
		t.Errorf("dockerd %d still runs", d.PID)
	}
	for _, p := range []string{d.Dir, d.NetNS} {
		if _, err := os.Stat(p); err == nil {
			t.Errorf("%s is left", p)
		}
	}
	mounts, _ := os.ReadFile("/proc/self/mountinfo")
	if strings.Contains(string(mounts), d.Dir) || strings.Contains(string(mounts), d.NetNS) {
		t.Errorf("mounts left under %s or %s", d.Dir, d.NetNS)
	}
	for _, ps := range processesWith(d.Dir) {
		t.Errorf("process left: %s", ps)
	}
}

// processesWith are the command lines naming path.
func processesWith(path string) []string {
	entries, _ := os.ReadDir("/proc")
	var out []string
	for _, e := range entries {
		cmd, err := os.ReadFile("/proc/" + e.Name() + "/cmdline")
		if err == nil && strings.Contains(string(cmd), path) {
			out = append(out, e.Name()+": "+strings.ReplaceAll(string(cmd), "\x00", " "))
		}
	}
	return out
}
