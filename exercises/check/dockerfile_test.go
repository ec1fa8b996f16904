package check

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/dockertutor/dockertutor/exercises/dockerfile"
	"github.com/dockertutor/dockertutor/lessons"
)

// dockerfileEnv is a step folder holding a Dockerfile, with no daemon:
// Dockerfile checks never ask one.
func dockerfileEnv(t *testing.T, content string) Env {
	t.Helper()
	env, _ := testEnv(t)
	env.Docker = nil
	writeFile(t, env, "Dockerfile", content)
	return env
}

const multiStage = `FROM golang:1.22.5-alpine AS build
ARG GITHUB_TOKEN
RUN --mount=type=secret,id=repo,env=REPO_TOKEN go build -o /out/app .
FROM alpine:3.22
COPY --from=build /out/app /app
`

func TestDockerfileParses(t *testing.T) {
	env, _ := testEnv(t)
	env.Docker = nil
	expect(t, checkOne(t, context.Background(), env, &lessons.DockerfileParses{}), Fail,
		"There is no Dockerfile in the step folder yet: "+env.Values.Workdir)

	env = dockerfileEnv(t, multiStage)
	expect(t, checkOne(t, context.Background(), env, &lessons.DockerfileParses{}), Pass, "The Dockerfile parses: 2 stage(s).")

	env = dockerfileEnv(t, "FROM alpine\nRUN <<EOF\n")
	if r := checkOne(t, context.Background(), env, &lessons.DockerfileParses{}); r.Outcome != Fail || !strings.HasPrefix(r.Message, "The Dockerfile does not parse: ") ||
		len(r.Evidence) != 1 || !strings.HasPrefix(r.Evidence[0].Where, "Dockerfile:") {
		t.Errorf("%s %q %q", r.Outcome, r.Message, r.Evidence)
	}

	env = dockerfileEnv(t, "FROM ${IMAGE}\n")
	if r := checkOne(t, context.Background(), env, &lessons.DockerfileParses{}); r.Outcome != Fail ||
		!strings.HasPrefix(r.Message, "The Dockerfile parses, but a build would stop at once: ") || len(r.Evidence) != 1 || r.Evidence[0].Where != "Dockerfile:1" {
		t.Errorf("%s %q %q", r.Outcome, r.Message, r.Evidence)
	}
}

// The file the step's build uses is the one checked, with the build's
// arguments filled with the learner's values.
func TestDockerfileOfTheAction(t *testing.T) {
	env, _ := testEnv(t)
	env.Docker = nil
	writeFile(t, env, "build/Dockerfile.prod", "ARG BASE\nFROM ${BASE}\n")
	env.Step.Action = &lessons.Action{Build: &lessons.BuildAction{Dockerfile: "build/Dockerfile.prod", Args: map[string]string{"BASE": "alpine:{{.Step}}"}}}
	expect(t, checkOne(t, context.Background(), env, &lessons.DockerfileBase{Allow: []string{"floating"}}), Pass,
		"The base image follows the policy.", Evidence{Where: "build/Dockerfile.prod:2", Detail: "FROM ${BASE} (expands to alpine:s1): " + dockerfile.TagMovingName.Description()})
	env.Step.Action.Build.Args["BASE"] = "{{.Nope}}"
	if r := checkOne(t, context.Background(), env, &lessons.DockerfileParses{}); r.Outcome != Error {
		t.Errorf("a build arg the values cannot fill: %s %q", r.Outcome, r.Message)
	}
}

func TestDockerfileBase(t *testing.T) {
	env := dockerfileEnv(t, multiStage)
	final := Evidence{Where: "Dockerfile:4", Detail: "FROM alpine:3.22: " + dockerfile.TagMajorMinor.Description()}
	build := Evidence{Where: "Dockerfile:1", Detail: "FROM golang:1.22.5-alpine: " + dockerfile.TagFullVersion.Description()}
	expect(t, checkOne(t, context.Background(), env, &lessons.DockerfileBase{Allow: []string{"partial", "pinned"}}), Pass, "The base image follows the policy.", final)
	expect(t, checkOne(t, context.Background(), env, &lessons.DockerfileBase{Allow: []string{"pinned"}}), Fail,
		"Alpine:3.22 is a major minor tag; this step wants pinned tags.", final)
	expect(t, checkOne(t, context.Background(), env, &lessons.DockerfileBase{Stage: lessons.StageAll, Allow: []string{"full-version"}}), Fail,
		"Alpine:3.22 is a major minor tag; this step wants full-version tags.", build, final)
	expect(t, checkOne(t, context.Background(), env, &lessons.DockerfileBase{Repository: "node", Variants: []string{"slim"}}), Fail,
		"The base image is alpine, but this step is about node; alpine:3.22 is not a slim variant.", final)
	expect(t, checkOne(t, context.Background(), env, &lessons.DockerfileBase{Stage: lessons.StageAll, Variants: []string{"alpine"}}), Fail,
		"Alpine:3.22 is not a alpine variant.", build, final)
	expect(t, checkOne(t, context.Background(), env, &lessons.DockerfileBase{Repository: "docker.io/library/alpine"}), Pass, "The base image follows the policy.", final)
	expect(t, checkOne(t, context.Background(), env, &lessons.DockerfileBase{Allow: []string{"sometimes"}}), Error,
		`unknown tag class "sometimes" (use no-tag, latest, named, variant-only, major, major-minor, full-version, dated, digest, or a group: floating, partial, pinned)`)

	env = dockerfileEnv(t, "FROM scratch\nCOPY app /\n")
	expect(t, checkOne(t, context.Background(), env, &lessons.DockerfileBase{Allow: []string{"pinned"}}), Fail,
		"Stage 0 builds FROM scratch: there is no base image to pin here.", Evidence{Where: "Dockerfile:1", Detail: "FROM scratch"})
	env = dockerfileEnv(t, "FROM alpine AS build\nFROM Build\n")
	if r := checkOne(t, context.Background(), env, &lessons.DockerfileBase{Allow: []string{"pinned"}}); r.Outcome != Fail ||
		!strings.HasPrefix(r.Message, "Stage 1: ") || len(r.Evidence) != 1 || r.Evidence[0] != (Evidence{Where: "Dockerfile:2", Detail: "FROM Build"}) {
		t.Errorf("%s %q %q", r.Outcome, r.Message, r.Evidence)
	}
}

func TestDockerfileStages(t *testing.T) {
	env := dockerfileEnv(t, multiStage)
	ev := []Evidence{{Where: "Dockerfile:1", Detail: "stage 0 (build) FROM golang:1.22.5-alpine"}, {Where: "Dockerfile:4", Detail: "stage 1 FROM alpine:3.22"}}
	expect(t, checkOne(t, context.Background(), env, &lessons.DockerfileStages{Min: 2}), Pass, "The Dockerfile has 2 stage(s).", ev...)
	expect(t, checkOne(t, context.Background(), env, &lessons.DockerfileStages{Min: 3}), Fail,
		"The Dockerfile has 2 stage(s); this step needs at least 3 (each FROM starts a stage).", ev...)
	expect(t, checkOne(t, context.Background(), env, &lessons.DockerfileStages{Max: 1}), Fail, "The Dockerfile has 2 stages; this step wants at most 1.", ev...)
}

func TestDockerfileCopiesFromStage(t *testing.T) {
	env := dockerfileEnv(t, multiStage)
	expect(t, checkOne(t, context.Background(), env, &lessons.DockerfileCopiesFromStage{}), Pass,
		"The final stage copies its files from an earlier stage.", Evidence{Where: "Dockerfile:5", Detail: "COPY --from=build /out/app /app"})
	env = dockerfileEnv(t, "FROM alpine:3.22\nCOPY app /app\n")
	expect(t, checkOne(t, context.Background(), env, &lessons.DockerfileCopiesFromStage{}), Fail,
		"There is only one stage: add a build stage and COPY --from it into a clean final stage.")
	env = dockerfileEnv(t, "FROM golang:1.22 AS build\nFROM alpine:3.22\n")
	expect(t, checkOne(t, context.Background(), env, &lessons.DockerfileCopiesFromStage{}), Fail,
		"The final stage copies nothing from an earlier stage: add COPY --from=<build stage> for the build's output.")
}

func TestDockerfileSecretMount(t *testing.T) {
	env := dockerfileEnv(t, multiStage)
	ev := Evidence{Where: "Dockerfile:3", Detail: "RUN --mount=type=secret,id=repo,env=REPO_TOKEN"}
	expect(t, checkOne(t, context.Background(), env, &lessons.DockerfileSecretMount{}), Pass, "A RUN mounts a secret.", ev)
	expect(t, checkOne(t, context.Background(), env, &lessons.DockerfileSecretMount{Secret: "repo"}), Pass, `A RUN mounts the secret "repo".`, ev)
	expect(t, checkOne(t, context.Background(), env, &lessons.DockerfileSecretMount{Secret: "npm"}), Fail,
		`No RUN that the build runs mounts the secret with id "npm": use RUN --mount=type=secret,id=npm … and read the file /run/secrets/npm in that command (BuildKit; env=VAR instead of the file needs Dockerfile syntax 1.10 or later).`, ev)

	// A mount in a stage the build skips does not count.
	env = dockerfileEnv(t, "FROM alpine:3.22 AS unused\nRUN --mount=type=secret,id=repo true\nFROM alpine:3.22\n")
	expect(t, checkOne(t, context.Background(), env, &lessons.DockerfileSecretMount{}), Fail,
		"No RUN that the build runs mounts a secret: use RUN --mount=type=secret,id=ID … and read the file /run/secrets/ID in that command (BuildKit; env=VAR instead of the file needs Dockerfile syntax 1.10 or later).",
		Evidence{Where: "Dockerfile:2", Detail: "RUN --mount=type=secret,id=repo (in a stage this build skips)"})
}

func TestDockerfileNoSecretArgs(t *testing.T) {
	env := dockerfileEnv(t, multiStage)
	expect(t, checkOne(t, context.Background(), env, &lessons.DockerfileNoSecretArgs{}), Pass, "No secret-looking ARG or ENV in the image's stage.")
	const argWhy = "BuildKit on Docker Engine 27 and later writes an ARG's value into the history (ARG NAME=value) even when no command uses it, so an image that looks clean on an older builder leaks on a current one"
	const envWhy = "an ENV's value is in the image config, for every container and everyone who pulls the image"
	const keepOut = " Keep it out of that stage: a build secret goes in through a secret mount (or an ARG of an earlier build stage only), a runtime secret comes from the environment the container runs in (docker run -e)."
	expect(t, checkOne(t, context.Background(), env, &lessons.DockerfileNoSecretArgs{Stage: lessons.StageAll}), Fail,
		"A secret-looking ARG or ENV is declared in a stage the build runs: "+argWhy+"; an earlier stage keeps it in the build cache."+keepOut,
		Evidence{Where: "Dockerfile:2", Detail: "ARG GITHUB_TOKEN"})

	env = dockerfileEnv(t, "FROM alpine:3.22\nARG REPO\nENV DEPLOY_KEY=x\n")
	const inImage = "A secret-looking ARG or ENV is declared in a stage that becomes the image: "
	const advice = "." + keepOut
	expect(t, checkOne(t, context.Background(), env, &lessons.DockerfileNoSecretArgs{Names: []string{"repo"}}), Fail, inImage+argWhy+"; "+envWhy+advice,
		Evidence{Where: "Dockerfile:3", Detail: "ENV DEPLOY_KEY"}, Evidence{Where: "Dockerfile:2", Detail: "ARG REPO"})
	expect(t, checkOne(t, context.Background(), env, &lessons.DockerfileNoSecretArgs{}), Fail, inImage+envWhy+advice,
		Evidence{Where: "Dockerfile:3", Detail: "ENV DEPLOY_KEY"})

	// The multi-stage fix with the ARG still declared, unused, in the final
	// stage: no builder before Engine 27 records its value, so only this check
	// sees it there.
	env = dockerfileEnv(t, "FROM alpine:3.22 AS build\nARG BUILD_REPO_SECRET\nRUN true\nFROM alpine:3.22\nARG BUILD_REPO_SECRET\nCOPY --from=build /etc/hostname /x\n")
	expect(t, checkOne(t, context.Background(), env, &lessons.DockerfileNoSecretArgs{}), Fail, inImage+argWhy+advice,
		Evidence{Where: "Dockerfile:5", Detail: "ARG BUILD_REPO_SECRET"})
}

// Checks of files answer the same, cancelled or not: they ask no daemon
// and are done at once.
func TestDockerfileChecksIgnoreCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	env := dockerfileEnv(t, multiStage)
	expect(t, checkOne(t, ctx, env, &lessons.DockerfileStages{Min: 2}), Pass, "The Dockerfile has 2 stage(s).",
		Evidence{Where: "Dockerfile:1", Detail: "stage 0 (build) FROM golang:1.22.5-alpine"}, Evidence{Where: "Dockerfile:4", Detail: "stage 1 FROM alpine:3.22"})
}

func TestDockerfileNoContextFile(t *testing.T) {
	spec := &lessons.DockerfileNoContextFile{Path: "repo-token.txt"}
	for _, tc := range []struct {
		name, dockerfile, ignore string
		pass                     bool
		evidence                 string
	}{
		{"a secret mount only", "FROM alpine:3.22\nRUN --mount=type=secret,id=repo true\n", "", true, ""},
		{"copied in the image", "FROM alpine:3.22\nCOPY repo-token.txt /tmp/\n", "", false, "COPY repo-token.txt"},
		{"copied in a build stage", "FROM alpine:3.22 AS build\nCOPY ./repo-token.txt /tmp/\nRUN true\nFROM alpine:3.22\nCOPY --from=build /etc/hostname /x\n", "", false, "COPY ./repo-token.txt"},
		{"added by a pattern", "FROM alpine:3.22\nADD *.txt /tmp/\n", "", false, "ADD *.txt"},
		{"the whole context", "FROM alpine:3.22\nWORKDIR /app\nCOPY . .\n", "", false, "COPY ."},
		{"the whole context, ignored", "FROM alpine:3.22\nWORKDIR /app\nCOPY . .\n", "# the token stays here\nrepo-token.txt\n", true, ""},
		{"a bind mount", "FROM alpine:3.22\nRUN --mount=type=bind,source=repo-token.txt,target=/t cat /t >/dev/null\n", "", false, "RUN --mount=type=bind repo-token.txt"},
		{"a bind mount of the context", "FROM alpine:3.22\nRUN --mount=type=bind,target=/src true\n", "", false, "RUN --mount=type=bind ."},
		{"another file", "FROM alpine:3.22\nCOPY app.sh /app/\nRUN --mount=type=bind,from=alpine:3.22,source=/etc,target=/e true\n", "", true, ""},
		{"a stage the build skips", "FROM alpine:3.22 AS old\nCOPY repo-token.txt /tmp/\nFROM alpine:3.22\n", "", true, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := dockerfileEnv(t, tc.dockerfile)
			if tc.ignore != "" {
				writeFile(t, env, ".dockerignore", tc.ignore)
			}
			r := checkOne(t, context.Background(), env, spec)
			if (r.Outcome == Pass) != tc.pass {
				t.Fatalf("%s %q", r.Outcome, r.Message)
			}
			if tc.evidence != "" && (len(r.Evidence) == 0 || r.Evidence[0].Detail != tc.evidence) {
				t.Errorf("evidence %q, want %q", r.Evidence, tc.evidence)
			}
		})
	}
	env := dockerfileEnv(t, "FROM alpine:3.22\nCOPY repo-token.txt /tmp/\n")
	expect(t, checkOne(t, context.Background(), env, spec), Fail,
		"A stage the build runs takes repo-token.txt from the build context: even in a build stage the file lands in a layer of the build cache (and, with the classic builder, in an image left on the daemon). Mount the secret in the RUN that needs it instead (RUN --mount=type=secret,…), and list repo-token.txt in .dockerignore so it is never sent to the builder.",
		Evidence{Where: "Dockerfile:2", Detail: "COPY repo-token.txt /tmp/"[:len("COPY repo-token.txt")]})
}

func TestDockerfileBaseEveryStageCopiesFromImages(t *testing.T) {
	env := dockerfileEnv(t, "FROM node:24.12.0\nCOPY --from=node:latest /usr/local/bin/node /usr/local/bin/node\n")
	spec := &lessons.DockerfileBase{Stage: lessons.StageAll, Allow: []string{"pinned"}}
	r := checkOne(t, context.Background(), env, spec)
	if r.Outcome != Fail || r.Message != "Node:latest is a latest tag; this step wants pinned tags." ||
		!slices.Contains(r.Evidence, Evidence{Where: "Dockerfile:2", Detail: "COPY --from=node:latest: " + dockerfile.TagLatest.Description()}) {
		t.Errorf("%s %q %q", r.Outcome, r.Message, r.Evidence)
	}
	// The final stage alone does not look at what it copies from.
	if r := checkOne(t, context.Background(), env, &lessons.DockerfileBase{Allow: []string{"pinned"}}); r.Outcome != Pass {
		t.Errorf("final only: %s %q", r.Outcome, r.Message)
	}
}
