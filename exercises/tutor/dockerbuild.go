package tutor

import (
	"context"
	"sync"
	"sync/atomic"

	"github.com/dockertutor/dockertutor/exercises/daemon"
	"github.com/dockertutor/dockertutor/exercises/engine"
)

// dockerBuild is what the learner's own `docker build` runs, found once
// per session: it changes only when they install a plugin or change their
// environment, and finding it runs the plugin.
type dockerBuild struct {
	detect func(ctx context.Context) engine.DockerBuild
	mu     sync.Mutex
	// cli is what the docker CLI runs, found once; found is the answer
	// once the engine too was asked. found is read without mu, which
	// DockerBuild holds while the plugin and the daemon answer: the
	// step's page asks onPodman on the interface's own goroutine.
	cli   *engine.DockerBuild
	found atomic.Pointer[engine.DockerBuild]
}

// DockerBuild is what the learner's own `docker build` runs; its Builder
// is empty when the session was opened without a way to find it and the
// engine is not Podman's.
func (s *Session) DockerBuild(ctx context.Context) engine.DockerBuild {
	b := s.build
	b.mu.Lock()
	defer b.mu.Unlock()
	if found := b.found.Load(); found != nil {
		return *found
	}
	if b.cli == nil && b.detect == nil {
		// No way to find the CLI's builder: what the engine is still tells
		// (on Podman no docker build builds a secret mount).
		b.cli = &engine.DockerBuild{}
	}
	if b.cli == nil {
		found := b.detect(ctx)
		if ctx.Err() != nil {
			// Cut short, the plugin may not have answered: ask again next time.
			return engine.DockerBuild{}
		}
		b.cli = &found
	}
	found := *b.cli
	// On Podman no docker build builds a secret mount, whatever the CLI
	// has; a daemon that does not answer now is asked again next time.
	cli, err := s.conn.get(ctx)
	if err != nil {
		return found
	}
	podman, version, err := daemon.IsPodman(ctx, cli)
	if err != nil {
		return found
	}
	if podman {
		found.Builder = engine.LocalPodman
		found.Basis = "the engine is Podman " + version + ", which has no BuildKit: docker build --secret cannot build there, podman build --secret can"
	}
	b.found.Store(&found)
	return found
}

// onPodman says whether DockerBuild has found the engine to be Podman's;
// it never asks the daemon, nor waits for DockerBuild.
func (s *Session) onPodman() bool {
	found := s.build.found.Load()
	return found != nil && found.Builder == engine.LocalPodman
}
