package proof

import (
	"context"
	"testing"
	"time"

	"github.com/moby/moby/client"

	"github.com/dockertutor/dockertutor/exercises/daemon"
	"github.com/dockertutor/dockertutor/exercises/dockertest"
)

// TestCourseProofOnRootlessDocker proves every step of the built-in
// course, with the daemon's default builder (BuildKit), on a rootless
// daemon ($DOCKERTUTOR_ROOTLESS_HOST, started by .ci/rootless): its user
// namespace could change what the secret mounts, build arguments, layer
// reads and runs see.
func TestCourseProofOnRootlessDocker(t *testing.T) {
	cli, host := dockertest.Rootless(t)
	// Anything in the session that reads the environment (the learner's
	// own docker build, the docker CLI) sees the same daemon.
	t.Setenv("DOCKER_HOST", host)
	t.Setenv("DOCKER_CONTEXT", "")
	c := dockertest.BuiltinCourse(t, cli)
	connect := func(ctx context.Context) (daemon.Client, error) {
		return client.New(client.FromEnv, client.WithHost(host))
	}
	start := time.Now()
	proven := proveSteps(t, c, c.Steps(), Options{Connect: connect, Namespace: dockertest.Namespace(t)}, 5*time.Minute)
	t.Logf("%d cases hold on rootless Docker at %s in %v", proven, host, time.Since(start).Round(time.Second))
}
