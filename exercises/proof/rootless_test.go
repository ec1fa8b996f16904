package proof

import (
	"context"
	"testing"
	"time"

	"github.com/moby/moby/client"

	"github.com/dockertutor/dockertutor/exercises/daemon"
	"github.com/dockertutor/dockertutor/exercises/dockertest"
	"github.com/dockertutor/dockertutor/lessons"
)

// rootlessLesson is the lesson proven on rootless Docker: its secret
// mounts, build arguments and layer reads are what a user namespace could
// change.
const rootlessLesson = "build-secrets"

// TestBuildSecretsProofOnRootlessDocker proves every step of the
// build-secrets lesson, with the daemon's default builder (BuildKit), on a
// rootless daemon
// ($DOCKERTUTOR_ROOTLESS_HOST, started by .ci/rootless).
func TestBuildSecretsProofOnRootlessDocker(t *testing.T) {
	cli, host := dockertest.Rootless(t)
	// Anything in the session that reads the environment (the learner's
	// own docker build, the docker CLI) sees the same daemon.
	t.Setenv("DOCKER_HOST", host)
	t.Setenv("DOCKER_CONTEXT", "")
	c := dockertest.BuiltinCourse(t, cli)
	connect := func(ctx context.Context) (daemon.Client, error) {
		return client.New(client.FromEnv, client.WithHost(host))
	}
	var lesson *lessons.Lesson
	for _, l := range c.Lessons {
		if l.ID == rootlessLesson {
			lesson = l
		}
	}
	if lesson == nil {
		t.Fatalf("the built-in course has no lesson %q", rootlessLesson)
	}
	proven := proveSteps(t, c, lesson.Steps, Options{Connect: connect, Namespace: dockertest.Namespace(t)}, 5*time.Minute)
	t.Logf("%d cases hold on rootless Docker at %s", proven, host)
}
