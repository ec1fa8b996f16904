//go:build linux

package proof

import (
	"context"
	"os"
	"slices"
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
func TestCourseProofOnPodman(t *testing.T) {
	// The whole course on a fresh Podman service (vfs storage) takes
	// minutes: it runs when asked, as .ci/run does in its Podman pass.
	if testing.Short() || os.Getenv(dockertest.RequirePodmanEnv) != "1" {
		t.Skipf("the whole course on a fresh Podman service takes minutes: set %s=1 to prove it", dockertest.RequirePodmanEnv)
	}
	host, cli := dockertest.Podman(t)
	c := dockertest.BuiltinCourse(t, cli)
	connect := func(ctx context.Context) (daemon.Client, error) { return client.New(client.WithHost(host)) }
	ns := dockertest.Namespace(t)
	start := time.Now()
	for _, st := range c.Steps() {
		if st.Kind == lessons.KindRead {
			continue
		}
		t.Run(st.ID, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
			defer cancel()
			cases, err := Step(ctx, c, st, Options{Connect: connect, Dir: t.TempDir(), Namespace: ns})
			if err != nil {
				t.Fatal(err)
			}
			if len(cases) == 0 {
				t.Fatal("nothing proven")
			}
			if st.Kind == lessons.KindExercise && !slices.ContainsFunc(cases, func(cs Case) bool { return cs.Name == "nothing done" }) {
				t.Error(`no "nothing done" case`)
			}
			for _, cs := range cases {
				if !cs.OK {
					t.Errorf("%s: want %s: %s (action: %s)", cs.Name, cs.Want, cs.Problem, cs.ActionErr)
				}
			}
		})
	}
	t.Logf("the course proven on Podman in %v", time.Since(start).Round(time.Second))
}
