package tutor

import (
	"context"
	"sync"

	"github.com/dockertutor/dockertutor/exercises/engine"
)

// dockerBuild is what the learner's own `docker build` runs, found once
// per session: it changes only when they install a plugin or change their
// environment, and finding it runs the plugin.
type dockerBuild struct {
	detect func(ctx context.Context) engine.DockerBuild
	mu     sync.Mutex
	found  *engine.DockerBuild
}

// DockerBuild is what the learner's own `docker build` runs; its Builder
// is empty when the session was opened without a way to find it.
func (s *Session) DockerBuild(ctx context.Context) engine.DockerBuild {
	b := s.build
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.found != nil {
		return *b.found
	}
	if b.detect == nil {
		return engine.DockerBuild{}
	}
	found := b.detect(ctx)
	if ctx.Err() != nil {
		// Cut short, the plugin may not have answered: ask again next time.
		return engine.DockerBuild{}
	}
	b.found = &found
	return found
}
