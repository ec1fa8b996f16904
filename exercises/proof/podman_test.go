//go:build linux

package proof

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/client"

	"github.com/dockertutor/dockertutor/exercises/daemon"
	"github.com/dockertutor/dockertutor/exercises/dockertest"
	"github.com/dockertutor/dockertutor/lessons"
)

// TestCourseProofOnPodman proves every step of the built-in course on a
// private Podman 4.3 Docker-API service the test starts itself: Buildah
// builds the secret mounts (through the build API's secrets parameter),
// runs follow the logs after the start, and every solution passes, every
// starter and must-fail attempt fails what it names, as on Docker. One
// builder only: Podman has no other.
//
// Then each step a learner builds by hand is proven again with the
// learner's own build, as the tutor tells a Podman learner to do it: the
// command the tutor shows, with podman build typed for docker build,
// from Podman's remote client (Podman Desktop, podman machine) on the same
// service. Podman names what it builds localhost/NAME; the checks must
// find it under the name the course gives.
func TestCourseProofOnPodman(t *testing.T) {
	// The whole course on a fresh Podman service takes
	// minutes: it runs when asked, as .ci/run does in its Podman pass.
	if testing.Short() || os.Getenv(dockertest.RequirePodmanEnv) != "1" {
		t.Skipf("the whole course on a fresh Podman service takes minutes: set %s=1 to prove it", dockertest.RequirePodmanEnv)
	}
	host, cli := dockertest.Podman(t)
	c := dockertest.BuiltinCourse(t, cli)
	connect := func(ctx context.Context) (daemon.Client, error) { return client.New(client.WithHost(host)) }
	ns := dockertest.Namespace(t)
	t.Run("the tutor builds", func(t *testing.T) {
		start := time.Now()
		n := proveSteps(t, c, c.Steps(), Options{Connect: connect, Namespace: ns}, 10*time.Minute)
		t.Logf("%d cases of the course hold on Podman in %v", n, time.Since(start).Round(time.Second))
	})
	t.Run("the learner types podman build and podman run", func(t *testing.T) {
		var steps []*lessons.Step
		runs := 0
		for _, st := range c.Steps() {
			byHand := st.Action != nil && typedByHand(st.Action) ||
				slices.ContainsFunc(st.Attempts, func(a lessons.Attempt) bool { act := attemptAction(st, a); return act != nil && typedByHand(act) })
			if st.Kind == lessons.KindExercise && byHand {
				steps = append(steps, st)
				if st.Action != nil && st.Action.Run != nil {
					runs++
				}
			}
		}
		if len(steps) == 0 || runs == 0 {
			t.Fatalf("%d steps of the course are done by hand, %d of them with a run: want both", len(steps), runs)
		}
		start := time.Now()
		n := proveSteps(t, c, steps, Options{Connect: connect, Namespace: ns, ByHand: podmanByHand(t, host)}, 10*time.Minute)
		t.Logf("%d cases of %d steps (%d with a run) hold with the learner's podman build and podman run in %v", n, len(steps), runs, time.Since(start).Round(time.Second))
	})
}

// podmanByHand is a Podman learner's build and run: the command the tutor
// shows on Podman, typed into bash, whose podman is Podman's remote client
// set to the service at host (as Podman Desktop's is to its machine).
func podmanByHand(t *testing.T, host string) ByHand {
	podman, err := exec.LookPath("podman")
	if err != nil {
		t.Fatal(err)
	}
	bin := t.TempDir()
	wrapper := "#!/bin/sh\nexec " + podman + " --remote --url " + host + " \"$@\"\n"
	if err := os.WriteFile(filepath.Join(bin, "podman"), []byte(wrapper), 0o755); err != nil {
		t.Fatal(err)
	}
	return func(ctx context.Context, command string) error {
		if strings.Contains(command, "docker ") || !strings.Contains(command, "podman build ") && !strings.Contains(command, "podman run ") {
			return fmt.Errorf("the tutor did not show podman's commands on Podman: %s", command)
		}
		cmd := exec.CommandContext(ctx, "bash", "-c", command)
		cmd.Env = append(os.Environ(), "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"))
		out, err := cmd.CombinedOutput()
		if err != nil {
			return fmt.Errorf("%s: %w\n%s", command, err, out)
		}
		if strings.Contains(command, "podman build ") && !strings.Contains(string(out), "Successfully tagged localhost/") {
			return fmt.Errorf("podman build did not name its image localhost/…: %s", out)
		}
		return nil
	}
}
