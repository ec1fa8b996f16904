package check

import (
	"cmp"
	"fmt"

	"github.com/dockertutor/dockertutor/exercises/builder"
	"github.com/dockertutor/dockertutor/exercises/engine"
	"github.com/dockertutor/dockertutor/lessons"
)

// The fix a check advises for a secret found where it does not belong
// depends on when the app needs it, as the step declares
// (secret-needed-at), never on which step it is: a build secret goes to
// the one RUN that needs it through a secret mount, a runtime secret is
// handed to the container when it starts.

// secretAdvice is the sentence that says how to keep the secret (held in
// the variable name, when known) out of the image. fallback is used when
// the step does not say when the secret is needed; it may be empty.
func secretAdvice(env Env, name string, fallback lessons.SecretNeededAt) string {
	at := cmp.Or(env.Step.SecretNeededAt, fallback)
	switch at {
	case lessons.SecretNeededAtBuild:
		advice := "Hand it only to the RUN that needs it, with a secret mount (RUN --mount=type=secret,id=…), not as an ARG, an ENV or a copied file."
		if !hasSecretMountCheck(env.Step) {
			advice += byHandBuildNote(env) // else the secret-mount check says it, once
		}
		return advice
	case lessons.SecretNeededAtRun:
		if name == "" {
			return "The running service needs it, so leave it out of the image and hand it in when the container starts: docker run -e with the variable's name (taken from your shell's environment), --env-file, or a secrets store."
		}
		return fmt.Sprintf("The running service needs it, so leave it out of the image and hand it in when the container starts: docker run -e %s (taken from your shell's environment), --env-file, or a secrets store.", name)
	}
	return ""
}

// hasSecretMountCheck says whether the step checks for a secret mount,
// whose message then carries the note on building one by hand.
func hasSecretMountCheck(st *lessons.Step) bool {
	for _, c := range st.Checks {
		if _, ok := c.Spec.(*lessons.DockerfileSecretMount); ok {
			return true
		}
	}
	return false
}

// UsesDockerBuild says whether the step's checks word any advice from
// Env.DockerBuild, so that a session finds it only for them.
func UsesDockerBuild(st *lessons.Step) bool {
	return st.SecretNeededAt == lessons.SecretNeededAtBuild || hasSecretMountCheck(st)
}

// byHandBuildNote says, when the learner's own `docker build` cannot build
// a secret mount, how to build it anyway; empty when it can, or when the
// tutor does not know.
func byHandBuildNote(env Env) string {
	run := fmt.Sprintf("build with the tutor (r, or dockertutor run %s), which uses BuildKit", env.Step.Number)
	switch env.DockerBuild {
	case engine.LocalPodman:
		return podmanBuildNote(env)
	case engine.LocalLegacy:
		return " Your docker build is the legacy builder (no buildx plugin), where docker build --secret is an unknown flag: " + run + ", or install the buildx plugin (dockertutor doctor says how)."
	case engine.LocalBroken:
		return " Your docker build refuses to start (dockertutor doctor says why): " + run + "."
	case engine.LocalNoCLI:
		return " There is no docker CLI here: " + run + "."
	}
	return ""
}

// withAdvice appends advice to a message, when there is any.
func withAdvice(msg, advice string) string {
	if advice == "" {
		return msg
	}
	return msg + " " + advice
}

// podmanBuildNote is the by-hand note on Podman, whose Docker API has no
// BuildKit: the tutor's build goes through Buildah, and by hand Podman's
// own --secret builds the same secret mount.
func podmanBuildNote(env Env) string {
	id := "ID"
	for _, c := range env.Step.Checks {
		if m, ok := c.Spec.(*lessons.DockerfileSecretMount); ok && m.Secret != "" {
			id = m.Secret
		}
	}
	return fmt.Sprintf(" Your engine is Podman, which has no BuildKit, so docker build --secret cannot build this there: build with the tutor (r, or dockertutor run %s), which uses Buildah, Podman's builder, or by hand with podman build %s.", env.Step.Number, builder.PodmanSecret(id, builder.SecretEnv(id)))
}
