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
	case engine.LocalPodman:
		return "Your engine is Podman (no BuildKit), so docker build --secret fails: press r (Buildah builds it), or use podman build --secret."
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

// ActionNeedsBuildx says whether the docker command of the step's action
// is `docker buildx build`: its build passes secrets (which course lint
// allows only with BuildKit), and that is how the command asks for
// BuildKit whatever the learner's default builder.
func ActionNeedsBuildx(st *lessons.Step) bool {
	return st != nil && st.Action != nil && st.Action.Build != nil && len(st.Action.Build.Secrets) > 0
}

// ActionCommandCaveat is said, before its colon, where the tutor hands
// the learner the docker command of the step's action to type: when that
// command is `docker buildx build` and the learner's own docker build is
// the legacy builder, so that they are not handed a command their setup
// cannot run. It is "" otherwise.
func ActionCommandCaveat(st *lessons.Step, b engine.LocalBuilder) string {
	if !ActionNeedsBuildx(st) {
		return ""
	}
	switch b {
	case engine.LocalLegacy:
		return " (this command needs the buildx plugin: see dockertutor doctor)"
	case engine.LocalPodman:
		return " (Podman's own build: Podman has no BuildKit, so no docker build --secret builds there)"
	}
	return ""
}
