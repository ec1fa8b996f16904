package present

import (
	"github.com/dockertutor/dockertutor/exercises/engine"
	"github.com/dockertutor/dockertutor/lessons"
)

// DockerBuildNote is the one line the front ends say, once a session, on
// the first step where it matters: a step that builds with a secret mount,
// when the learner's own `docker build` cannot (the legacy builder, a
// docker build that refuses to start, or no docker CLI). It is "" when
// it does not matter or the tutor does not know.
func DockerBuildNote(st *lessons.Step, b engine.LocalBuilder) string {
	if st == nil || !buildsSecretMounts(st) {
		return ""
	}
	// Short: the status line has one line for it.
	switch b {
	case engine.LocalLegacy:
		return "Your docker build is the legacy builder (no buildx), so --secret fails: press r to build, or install buildx (see dockertutor doctor)."
	case engine.LocalBroken:
		return "Your docker build refuses to start (see dockertutor doctor): press r to build."
	case engine.LocalNoCLI:
		return "No docker CLI here, so the text's docker build commands will not run: press r to build."
	}
	return ""
}

// buildsSecretMounts says whether the step's image is built with a
// secret mount: its action passes secrets or needs BuildKit, or a check
// wants a RUN with a secret mount.
func buildsSecretMounts(st *lessons.Step) bool {
	if a := st.Action; a != nil && a.Build != nil && (len(a.Build.Secrets) > 0 || a.Build.Builder == lessons.BuilderBuildKit) {
		return true
	}
	for _, c := range st.Checks {
		if _, ok := c.Spec.(*lessons.DockerfileSecretMount); ok {
			return true
		}
	}
	return false
}
