package proof

import (
	"context"
	"testing"
	"time"

	"github.com/moby/moby/client"

	"github.com/dockertutor/dockertutor/exercises/daemon"
	"github.com/dockertutor/dockertutor/exercises/dockertest"
)

// TestCourseProof proves every step of the built-in course on the real
// daemon: solutions pass, starters do not, attempts fail what they name.
func TestCourseProof(t *testing.T) {
	cli := dockertest.Client(t)
	c := dockertest.BuiltinCourse(t, cli)
	connect := func(ctx context.Context) (daemon.Client, error) { return client.New(client.FromEnv) }
	// A private namespace: the course's own names are a learner's.
	proveSteps(t, c, c.Steps(), Options{Connect: connect, BothBuilders: true, Namespace: dockertest.Namespace(t)}, 5*time.Minute)
}
