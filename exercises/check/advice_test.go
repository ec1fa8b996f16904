package check

import (
	"context"
	"strings"
	"testing"

	"github.com/dockertutor/dockertutor/exercises/daemon/fakedaemon"
	"github.com/dockertutor/dockertutor/exercises/engine"
	"github.com/dockertutor/dockertutor/exercises/leak"
	"github.com/dockertutor/dockertutor/lessons"
)

// The advice for a secret found in the image follows the step's declared
// secret-needed-at, and a by-hand build follows the learner's docker build.
func TestSecretAdviceFollowsTheStep(t *testing.T) {
	const argAndEnv = "FROM alpine:3.22\nARG APP_TOKEN\nRUN true\n"
	cases := []struct {
		at            lessons.SecretNeededAt
		build         engine.LocalBuilder
		want, wantNot []string
	}{
		{at: lessons.SecretNeededAtRun, build: engine.LocalLegacy,
			want:    []string{"hand it in when the container starts", "docker run -e APP_TOKEN", "--env-file"},
			wantNot: []string{"secret mount", "--mount", "buildx"}},
		{at: lessons.SecretNeededAtBuild, build: engine.LocalBuildKit,
			want:    []string{"secret mount", "RUN --mount=type=secret"},
			wantNot: []string{"docker run", "legacy", "buildx"}},
		{at: lessons.SecretNeededAtBuild, build: engine.LocalLegacy,
			want:    []string{"secret mount", "legacy builder", "unknown flag", "dockertutor run 4.6", "install the buildx plugin"},
			wantNot: []string{"docker run"}},
		// A step that does not say when its secret is needed gets the
		// general advice, both ways, and nothing about the learner's build.
		{at: lessons.SecretNeededUnsaid, build: engine.LocalLegacy,
			want:    []string{"Keep it out of that stage"},
			wantNot: []string{"legacy", "buildx"}},
	}
	for _, tc := range cases {
		env := dockerfileEnv(t, argAndEnv)
		env.Step.Number, env.Step.SecretNeededAt, env.DockerBuild = "4.6", tc.at, tc.build
		r := checkOne(t, context.Background(), env, &lessons.DockerfileNoSecretArgs{})
		if r.Outcome != Fail {
			t.Fatalf("%s/%s: %s %q", tc.at, tc.build, r.Outcome, r.Message)
		}
		for _, w := range tc.want {
			if !strings.Contains(r.Message, w) {
				t.Errorf("%s/%s: %q does not say %q", tc.at, tc.build, r.Message, w)
			}
		}
		for _, w := range tc.wantNot {
			if strings.Contains(r.Message, w) {
				t.Errorf("%s/%s: %q says %q", tc.at, tc.build, r.Message, w)
			}
		}
	}
}

func TestLeakAdviceFollowsTheStep(t *testing.T) {
	env, d := testEnv(t)
	addBuilt(t, d, leakySteps, fakedaemon.ExportOptions{})
	env.Step.SecretNeededAt = lessons.SecretNeededAtRun
	r := checkOne(t, context.Background(), env, &lessons.LeakAbsent{})
	if r.Outcome != Fail || !strings.Contains(r.Message, "when the container starts") || strings.Contains(r.Message, "mount") {
		t.Errorf("run-time secret: %s %q", r.Outcome, r.Message)
	}
	env.Step.SecretNeededAt = lessons.SecretNeededAtBuild
	r = checkOne(t, context.Background(), env, &lessons.LeakAbsent{})
	if r.Outcome != Fail || !strings.Contains(r.Message, "secret mount") {
		t.Errorf("build secret: %s %q", r.Outcome, r.Message)
	}
}

// The secret-mount check's failure says how a learner whose docker build
// is the legacy builder builds the fix; with BuildKit it says nothing more.
func TestSecretMountAdviceFollowsTheDockerBuild(t *testing.T) {
	env := dockerfileEnv(t, "FROM alpine:3.22\nRUN true\n")
	env.Step.Number = "4.6"
	env.DockerBuild = engine.LocalBuildKit
	plain := checkOne(t, context.Background(), env, &lessons.DockerfileSecretMount{Secret: "repo"})
	env.DockerBuild = engine.LocalLegacy
	legacy := checkOne(t, context.Background(), env, &lessons.DockerfileSecretMount{Secret: "repo"})
	if plain.Outcome != Fail || strings.Contains(plain.Message, "legacy") {
		t.Errorf("BuildKit: %s %q", plain.Outcome, plain.Message)
	}
	if legacy.Outcome != Fail || !strings.HasPrefix(legacy.Message, plain.Message) || !strings.Contains(legacy.Message, "dockertutor run 4.6") {
		t.Errorf("legacy: %s %q", legacy.Outcome, legacy.Message)
	}
}

// The note on building a secret mount by hand is said once a verdict:
// by the secret-mount check when the step has one.
func TestByHandBuildNoteOnceAVerdict(t *testing.T) {
	env := dockerfileEnv(t, "FROM alpine:3.22\nARG APP_TOKEN\nRUN true\n")
	env.Step.Number, env.Step.SecretNeededAt, env.DockerBuild = "4.6", lessons.SecretNeededAtBuild, engine.LocalLegacy
	env.Step.Checks = []lessons.Check{
		{ID: "mount", Type: "dockerfile.secret-mount", Spec: &lessons.DockerfileSecretMount{Secret: "repo"}},
		{ID: "args", Type: "dockerfile.no-secret-args", Spec: &lessons.DockerfileNoSecretArgs{}},
	}
	v := Run(context.Background(), env)
	notes := 0
	for _, r := range v.Results {
		if r.Outcome != Fail {
			t.Fatalf("%s: %s %q", r.ID, r.Outcome, r.Message)
		}
		notes += strings.Count(r.Message, "legacy builder")
	}
	if notes != 1 || !strings.Contains(v.Results[0].Message, "legacy builder") {
		t.Errorf("the note is said %d times: %+v", notes, v.Results)
	}
}

func TestEnvVarOfNamesTheVariableThatHoldsTheSecret(t *testing.T) {
	for _, tc := range []struct {
		findings []leak.Finding
		want     string
	}{
		{[]leak.Finding{{Field: "Config.Env[1]", Excerpt: "APP_TOKEN=ca…"}}, "APP_TOKEN"},
		{[]leak.Finding{{Source: leak.SourceHistory, Excerpt: "ENV APP_TOKEN=ca…"}, {Field: "Config.Env[0]", Excerpt: "DB_PASSWORD=ca…"}}, "DB_PASSWORD"},
		{[]leak.Finding{{Source: leak.SourceHistory, Excerpt: "|1 TOKEN=ca… /bin/sh -c true"}}, ""},
		{nil, ""},
	} {
		if got := envVarOf(tc.findings); got != tc.want {
			t.Errorf("%+v: %q, want %q", tc.findings, got, tc.want)
		}
	}
}
