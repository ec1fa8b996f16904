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
	t.Run("the learner types podman build", func(t *testing.T) {
		var steps []*lessons.Step
		for _, st := range c.Steps() {
			handBuilt := st.Action != nil && byHand(st.Action) ||
				slices.ContainsFunc(st.Attempts, func(a lessons.Attempt) bool { act := attemptAction(st, a); return act != nil && byHand(act) })
			if st.Kind == lessons.KindExercise && handBuilt {
				steps = append(steps, st)
			}
		}
		if len(steps) == 0 {
			t.Fatal("no step of the course is built by hand")
		}
		start := time.Now()
		n := proveSteps(t, c, steps, Options{Connect: connect, Namespace: ns, LearnerBuild: podmanBuild(t, host)}, 10*time.Minute)
		t.Logf("%d cases of %d steps hold with the learner's podman build in %v", n, len(steps), time.Since(start).Round(time.Second))
	})
}

// podmanBuild is a Podman learner's build: the command the tutor shows on
// Podman, typed into bash, whose podman is Podman's remote client set to
// the service at host (as Podman Desktop's is to its machine).
func podmanBuild(t *testing.T, host string) LearnerBuild {
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
		if !strings.Contains(command, "podman build ") {
			return fmt.Errorf("the tutor did not show podman build on Podman: %s", command)
		}
		cmd := exec.CommandContext(ctx, "bash", "-c", command)
		cmd.Env = append(os.Environ(), "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"))
		out, err := cmd.CombinedOutput()
		if err != nil {
			return fmt.Errorf("%s: %w\n%s", command, err, out)
		}
		if !strings.Contains(string(out), "Successfully tagged localhost/") {
			return fmt.Errorf("podman build did not name its image localhost/…: %s", out)
		}
		return nil
	}
}
