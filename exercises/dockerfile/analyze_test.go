package dockerfile

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// stageSummary is the part of a stage most cases assert on.
type stageSummary struct {
	Name     string
	Line     int
	Kind     BaseKind
	Expanded string // the expanded base name
	Used     bool
}

func summarize(a *Analysis) []stageSummary {
	var out []stageSummary
	for _, s := range a.Stages {
		out = append(out, stageSummary{s.Name, s.Line, s.Base.Kind, s.Base.Expanded, s.Used})
	}
	return out
}

func TestAnalyze(t *testing.T) {
	const sha = "sha256:4bcff63911fcb4448bd4fdacec207030997caf25e9bea4045fa6c8c44de311d1"
	tests := []struct {
		name   string
		src    string
		opts   Options
		stages []stageSummary
		check  func(t *testing.T, a *Analysis)
	}{
		{
			name:   "single stage",
			src:    "FROM alpine:3.20\nRUN echo hi\n",
			stages: []stageSummary{{"", 1, BaseImage, "alpine:3.20", true}},
			check: func(t *testing.T, a *Analysis) {
				if a.Target != 0 || a.FinalStage().Index != 0 {
					t.Errorf("target = %d", a.Target)
				}
				img := a.FinalStage().Base.Image
				if img.Tag.Kind != TagMajorMinor || !img.Official || img.Reference != "docker.io/library/alpine:3.20" {
					t.Errorf("base image = %+v", img)
				}
				if a.CopiesFromEarlierStage(0) {
					t.Error("a single stage copies from an earlier stage")
				}
				if len(a.Warnings) != 0 || a.BuildError != nil {
					t.Errorf("warnings %v, build error %v", a.Warnings, a.BuildError)
				}
			},
		},
		{
			name: "multi-stage into scratch",
			src: `FROM golang:1.22 AS build
WORKDIR /src
COPY . .
RUN go build -o /app .

FROM scratch
COPY --from=build /app /app
ENTRYPOINT ["/app"]
`,
			stages: []stageSummary{{"build", 1, BaseImage, "golang:1.22", true}, {"", 6, BaseScratch, "scratch", true}},
			check: func(t *testing.T, a *Analysis) {
				if !a.CopiesFromEarlierStage(a.Target) {
					t.Error("the final stage copies from build")
				}
				if a.CopiesFromEarlierStage(0) {
					t.Error("the build stage copies from nothing")
				}
				want := []Copy{{Line: 7, From: "build", Kind: SourceStage, Stage: &StageRef{Index: 0, Name: "build"}, Sources: []string{"/app"}, Dest: "/app"}}
				if !reflect.DeepEqual(a.FinalStage().Copies, want) {
					t.Errorf("copies = %+v", a.FinalStage().Copies)
				}
				if got := a.RootBase(1).Kind; got != BaseScratch {
					t.Errorf("root base of the final stage = %s", got)
				}
				if len(a.BaseImages()) != 1 || a.BaseImages()[0].Image.Familiar != "golang:1.22" || a.BaseImages()[0].Line != 1 {
					t.Errorf("base images = %+v", a.BaseImages())
				}
			},
		},
		{
			name: "ARG-expanded FROM uses defaults, chained ARGs and passed build args",
			src: `ARG NODE_VERSION=22
ARG VARIANT=alpine
ARG BASE=node:${NODE_VERSION}-${VARIANT}
FROM ${BASE} AS app
FROM node:${NODE_VERSION}
`,
			opts: Options{BuildArgs: map[string]string{"VARIANT": "slim"}},
			stages: []stageSummary{
				{"app", 4, BaseImage, "node:22-slim", false},
				{"", 5, BaseImage, "node:22", true},
			},
			check: func(t *testing.T, a *Analysis) {
				want := []Variable{
					{Instruction: "ARG", Name: "NODE_VERSION", Default: "22", HasDefault: true, Value: "22", Set: true, Line: 1, Stage: -1},
					{Instruction: "ARG", Name: "VARIANT", Default: "alpine", HasDefault: true, Value: "slim", Set: true, FromBuildArg: true, Line: 2, Stage: -1},
					{Instruction: "ARG", Name: "BASE", Default: "node:${NODE_VERSION}-${VARIANT}", HasDefault: true, Value: "node:22-slim", Set: true, Line: 3, Stage: -1},
				}
				if !reflect.DeepEqual(a.GlobalArgs, want) {
					t.Errorf("global args =\n%+v\nwant\n%+v", a.GlobalArgs, want)
				}
				if a.Stages[0].Base.Written != "${BASE}" || a.Stages[0].Base.Image.Tag.Variant != "slim" {
					t.Errorf("base = %+v", a.Stages[0].Base)
				}
			},
		},
		{
			name: "an undeclared ARG in FROM is a build error, not a parse error",
			src:  "FROM ${IMAGE}\n",
			stages: []stageSummary{
				{"", 1, BaseInvalid, "", true},
			},
			check: func(t *testing.T, a *Analysis) {
				if !strings.Contains(a.Stages[0].Base.Problem, "expands to an empty name") {
					t.Errorf("problem = %q", a.Stages[0].Base.Problem)
				}
				if a.BuildError == nil || a.BuildError.Line != 1 || !strings.Contains(a.BuildError.Message, "should not be blank") {
					t.Errorf("build error = %v", a.BuildError)
				}
				if !a.HasWarning("UndefinedArgInFrom") {
					t.Errorf("warnings = %v", a.Warnings)
				}
				if len(a.BaseImages()) != 0 {
					t.Errorf("base images = %v", a.BaseImages())
				}
			},
		},
		{
			name: "--platform as written and expanded",
			src: `FROM --platform=$BUILDPLATFORM golang:1.22 AS build
ARG TARGETOS TARGETARCH
RUN GOOS=$TARGETOS GOARCH=$TARGETARCH go build -o /out/app .
FROM --platform=linux/amd64 alpine:3.20
COPY --from=build /out/app /app
`,
			opts:   Options{Platform: "linux/arm64"},
			stages: []stageSummary{{"build", 1, BaseImage, "golang:1.22", true}, {"", 4, BaseImage, "alpine:3.20", true}},
			check: func(t *testing.T, a *Analysis) {
				if s := a.Stages[0]; s.Platform != "$BUILDPLATFORM" || s.PlatformExpanded != "linux/arm64" {
					t.Errorf("stage 0 platform %q -> %q", s.Platform, s.PlatformExpanded)
				}
				if s := a.Stages[1]; s.Platform != "linux/amd64" || s.PlatformExpanded != "linux/amd64" {
					t.Errorf("stage 1 platform %q -> %q", s.Platform, s.PlatformExpanded)
				}
				got := a.Stages[0].Runs[0].RecordedArgs
				if len(got) != 2 || got[0].Value != "linux" || got[1].Value != "arm64" {
					t.Errorf("automatic platform ARGs in RUN = %+v", got)
				}
				if !a.HasWarning("FromPlatformFlagConstDisallowed") {
					t.Errorf("warnings = %v", a.Warnings)
				}
			},
		},
		{
			name: "aliases are lower-cased; FROM an alias builds on that stage",
			src: `FROM alpine:3.20 AS Base
RUN echo base
FROM base AS final
RUN echo final
`,
			stages: []stageSummary{{"base", 1, BaseImage, "alpine:3.20", true}, {"final", 3, BaseStage, "base", true}},
			check: func(t *testing.T, a *Analysis) {
				if ref := a.Stages[1].Base.Stage; ref == nil || ref.Index != 0 {
					t.Errorf("stage ref = %+v", ref)
				}
				root := a.RootBase(1)
				if root.Kind != BaseImage || root.Image.Familiar != "alpine:3.20" {
					t.Errorf("root base = %+v", root)
				}
				if a.CopiesFromEarlierStage(1) {
					t.Error("building FROM a stage is not copying from it")
				}
				if !a.HasWarning("StageNameCasing") {
					t.Errorf("warnings = %v", a.Warnings)
				}
				if s, ok := a.StageNamed("BASE"); !ok || s.Index != 0 {
					t.Errorf("StageNamed(BASE) = %v, %v", s, ok)
				}
			},
		},
		{
			name: "FROM names only earlier stages, and exactly",
			src: `FROM alpine AS build
FROM Build
`,
			stages: []stageSummary{{"build", 1, BaseImage, "alpine", false}, {"", 2, BaseInvalid, "Build", true}},
			check: func(t *testing.T, a *Analysis) {
				if !strings.Contains(a.Stages[1].Base.Problem, "must be lowercase") {
					t.Errorf("problem = %q", a.Stages[1].Base.Problem)
				}
				if a.BuildError == nil || a.BuildError.Line != 2 {
					t.Errorf("build error = %v", a.BuildError)
				}
			},
		},
		{
			name: "digests with and without tags",
			src:  "FROM node@" + sha + "\nFROM node:22-alpine@" + sha + "\nFROM localhost:5000/tools/x:1\n",
			stages: []stageSummary{
				{"", 1, BaseImage, "node@" + sha, false},
				{"", 2, BaseImage, "node:22-alpine@" + sha, false},
				{"", 3, BaseImage, "localhost:5000/tools/x:1", true},
			},
			check: func(t *testing.T, a *Analysis) {
				kinds := []TagKind{}
				for _, b := range a.BaseImages() {
					kinds = append(kinds, b.Image.Tag.Kind)
				}
				if !reflect.DeepEqual(kinds, []TagKind{TagDigest, TagDigest, TagMajor}) {
					t.Errorf("kinds = %v", kinds)
				}
				if img := a.Stages[2].Base.Image; img.Domain != "localhost:5000" || img.Official {
					t.Errorf("image = %+v", img)
				}
			},
		},
		{
			name: "parser directives: syntax, escape and check",
			src: "# syntax=docker/dockerfile:1.7\n# escape=`\n# check=skip=JSONArgsRecommended;error=false\n" +
				"FROM alpine:3.20\nRUN echo a `\n    && echo b\nCMD echo hi\nMAINTAINER me\n",
			stages: []stageSummary{{"", 4, BaseImage, "alpine:3.20", true}},
			check: func(t *testing.T, a *Analysis) {
				want := []Directive{
					{Name: "syntax", Value: "docker/dockerfile:1.7", Line: 1},
					{Name: "escape", Value: "`", Line: 2},
					{Name: "check", Value: "skip=JSONArgsRecommended;error=false", Line: 3},
				}
				if !reflect.DeepEqual(a.Directives, want) {
					t.Errorf("directives = %+v", a.Directives)
				}
				if a.EscapeToken != "`" {
					t.Errorf("escape = %q", a.EscapeToken)
				}
				if run := a.Stages[0].Runs[0]; run.Line != 5 || !strings.Contains(run.Source, "echo b") {
					t.Errorf("run = %+v", run)
				}
				// JSONArgsRecommended is skipped, MaintainerDeprecated is not.
				if a.HasWarning("JSONArgsRecommended") || !a.HasWarning("MaintainerDeprecated") {
					t.Errorf("warnings = %v", a.Warnings)
				}
			},
		},
		{
			name: "check=skip=all silences the linter",
			src:  "# check=skip=all\nFROM alpine:3.20 as build\nARG GITHUB_TOKEN\nCMD echo hi\n",
			check: func(t *testing.T, a *Analysis) {
				if len(a.Warnings) != 0 {
					t.Errorf("warnings = %v", a.Warnings)
				}
				// The tutor's own reading of the names does not depend on the linter.
				if vs := a.SecretLookingVariables(0); len(vs) != 1 || vs[0].Name != "GITHUB_TOKEN" {
					t.Errorf("secret-looking = %+v", vs)
				}
			},
		},
		{
			name: "check comment above an instruction applies to that instruction",
			src:  "FROM alpine:3.20\n# check=skip=SecretsUsedInArgOrEnv\nARG API_KEY\nENV DB_PASSWORD=x\n",
			check: func(t *testing.T, a *Analysis) {
				var lines []int
				for _, w := range a.Warnings {
					if w.Rule == "SecretsUsedInArgOrEnv" {
						lines = append(lines, w.Line)
					}
				}
				if !reflect.DeepEqual(lines, []int{4}) {
					t.Errorf("warnings = %v", a.Warnings)
				}
			},
		},
		{
			name: "heredocs",
			src: `FROM alpine:3.20
ARG TOKEN
RUN <<EOF
set -e
echo "$TOKEN" > /dev/null
EOF
COPY <<EOF /etc/motd
hello
EOF
RUN --mount=type=secret,id=token <<EOF
cat /run/secrets/token
EOF
`,
			opts:   Options{BuildArgs: map[string]string{"TOKEN": "secr3t"}},
			stages: []stageSummary{{"", 1, BaseImage, "alpine:3.20", true}},
			check: func(t *testing.T, a *Analysis) {
				runs := a.Stages[0].Runs
				if len(runs) != 2 || runs[0].Line != 3 || runs[1].Line != 10 {
					t.Fatalf("runs = %+v", runs)
				}
				if got := a.ArgsInRuns(0); len(got) != 1 || got[0].Name != "TOKEN" || got[0].Value != "secr3t" || !got[0].FromBuildArg {
					t.Errorf("args in runs = %+v", got)
				}
				if !a.UsesSecretMount("token") {
					t.Errorf("secret mounts = %+v", a.SecretMounts())
				}
			},
		},
		{
			name: "COPY --from by index, by name, forward, and from images",
			src: `FROM alpine:3.20 AS one
FROM alpine:3.20 AS two
COPY --from=0 /a /a
COPY --from=THREE /b /b
COPY --from=nginx:1.27 /etc/nginx /etc/nginx
COPY --from=tools /c /c
FROM alpine:3.20 AS three
`,
			opts: Options{Target: "two"},
			stages: []stageSummary{
				{"one", 1, BaseImage, "alpine:3.20", true},
				{"two", 2, BaseImage, "alpine:3.20", true},
				{"three", 7, BaseImage, "alpine:3.20", true},
			},
			check: func(t *testing.T, a *Analysis) {
				if a.Target != 1 || a.FinalStage().Name != "two" {
					t.Fatalf("target = %d", a.Target)
				}
				copies := a.FinalStage().Copies
				if len(copies) != 4 {
					t.Fatalf("copies = %+v", copies)
				}
				if c := copies[0]; c.Kind != SourceStage || c.Stage.Index != 0 {
					t.Errorf("--from=0: %+v", c)
				}
				if c := copies[1]; c.Kind != SourceStage || c.Stage.Index != 2 || c.Stage.Name != "three" {
					t.Errorf("--from=THREE: %+v", c)
				}
				if c := copies[2]; c.Kind != SourceImage || c.Image.Familiar != "nginx:1.27" {
					t.Errorf("--from=nginx:1.27: %+v", c)
				}
				// An unknown name is an image to BuildKit.
				if c := copies[3]; c.Kind != SourceImage || c.Image.Reference != "docker.io/library/tools:latest" {
					t.Errorf("--from=tools: %+v", c)
				}
				if !a.CopiesFromEarlierStage(1) {
					t.Error("stage two copies from stage one")
				}
			},
		},
		{
			name:   "COPY --from that BuildKit rejects",
			src:    "FROM alpine:3.20\nARG SRC=build\nCOPY --from=$SRC /a /a\nCOPY --from=7 /b /b\n",
			stages: []stageSummary{{"", 1, BaseImage, "alpine:3.20", true}},
			check: func(t *testing.T, a *Analysis) {
				copies := a.Stages[0].Copies
				if copies[0].Kind != SourceInvalid || !strings.Contains(copies[0].Problem, "variable expansion") {
					t.Errorf("--from=$SRC: %+v", copies[0])
				}
				if copies[1].Kind != SourceInvalid || !strings.Contains(copies[1].Problem, "invalid stage index 7") {
					t.Errorf("--from=7: %+v", copies[1])
				}
				if a.BuildError == nil {
					t.Error("BuildKit refuses both")
				}
			},
		},
		{
			name: "secret mounts with BuildKit's defaults",
			src: `FROM alpine:3.20 AS build
ARG SECRET_ID=npmrc
RUN --mount=type=secret,id=${SECRET_ID},target=/root/.npmrc npm ci
RUN --mount=type=secret,id=api,env=API_TOKEN,required=true ./fetch
RUN --mount=type=secret,target=/run/secrets/pip.conf pip install .
RUN --mount=type=secret,id=gh --mount=type=cache,target=/root/.cache true
FROM alpine:3.20 AS unused
RUN --mount=type=secret,id=never cat /run/secrets/never
FROM scratch
COPY --from=build /out /out
`,
			check: func(t *testing.T, a *Analysis) {
				want := []SecretMount{
					{Stage: StageRef{0, "build"}, Used: true, Line: 3, ID: "npmrc", Target: "/root/.npmrc"},
					{Stage: StageRef{0, "build"}, Used: true, Line: 4, ID: "api", Env: "API_TOKEN", Required: true},
					{Stage: StageRef{0, "build"}, Used: true, Line: 5, ID: "pip.conf", Target: "/run/secrets/pip.conf"},
					{Stage: StageRef{0, "build"}, Used: true, Line: 6, ID: "gh", Target: "/run/secrets/gh"},
					{Stage: StageRef{1, "unused"}, Used: false, Line: 8, ID: "never", Target: "/run/secrets/never"},
				}
				if got := a.SecretMounts(); !reflect.DeepEqual(got, want) {
					t.Errorf("secret mounts =\n%+v\nwant\n%+v", got, want)
				}
				for id, want := range map[string]bool{"npmrc": true, "api": true, "pip.conf": true, "gh": true, "never": false, "${SECRET_ID}": false} {
					if got := a.UsesSecretMount(id); got != want {
						t.Errorf("UsesSecretMount(%q) = %v", id, got)
					}
				}
				if m := a.Stages[0].Runs[3].Mounts; len(m) != 2 || m[1].Type != "cache" || m[1].Target != "/root/.cache" {
					t.Errorf("mounts = %+v", m)
				}
			},
		},
		{
			name: "a bad mount is recorded and fails the build",
			src:  "FROM alpine:3.20\nRUN --mount=type=secrte,id=x true\n",
			check: func(t *testing.T, a *Analysis) {
				run := a.Stages[0].Runs[0]
				if len(run.Mounts) != 0 || !strings.Contains(run.MountError, `unsupported mount type "secrte"`) {
					t.Errorf("run = %+v", run)
				}
				if a.BuildError == nil || a.BuildError.Line != 2 {
					t.Errorf("build error = %v", a.BuildError)
				}
			},
		},
		{
			name: "ARG and ENV: values, secrets, inheritance through FROM a stage",
			src: `ARG GLOBAL_TOKEN=g
FROM alpine:3.20 AS build
ARG GLOBAL_TOKEN
ARG BUILD_REPO_SECRET
ARG HOME_DIR=/home/${USER:-app}
ENV API_KEY=abc PATH_PART=$HOME_DIR
ENV HOME_DIR=/override
RUN make
FROM build AS final
ARG TOKEN_FILE=/run/secrets/t
RUN make install
`,
			opts: Options{BuildArgs: map[string]string{"BUILD_REPO_SECRET": "secr3t"}},
			check: func(t *testing.T, a *Analysis) {
				build := a.Stages[0]
				wantArgs := []Variable{
					{Instruction: "ARG", Name: "GLOBAL_TOKEN", Value: "g", Set: true, Line: 3, Stage: 0, LooksSecret: true},
					{Instruction: "ARG", Name: "BUILD_REPO_SECRET", Value: "secr3t", Set: true, FromBuildArg: true, Line: 4, Stage: 0, LooksSecret: true},
					{Instruction: "ARG", Name: "HOME_DIR", Default: "/home/${USER:-app}", HasDefault: true, Value: "/home/app", Set: true, Line: 5, Stage: 0},
				}
				if !reflect.DeepEqual(build.Args, wantArgs) {
					t.Errorf("args =\n%+v\nwant\n%+v", build.Args, wantArgs)
				}
				wantEnv := []Variable{
					{Instruction: "ENV", Name: "API_KEY", Default: "abc", HasDefault: true, Value: "abc", Set: true, Line: 6, Stage: 0, LooksSecret: true},
					{Instruction: "ENV", Name: "PATH_PART", Default: "$HOME_DIR", HasDefault: true, Value: "/home/app", Set: true, Line: 6, Stage: 0},
					{Instruction: "ENV", Name: "HOME_DIR", Default: "/override", HasDefault: true, Value: "/override", Set: true, Line: 7, Stage: 0},
				}
				if !reflect.DeepEqual(build.Env, wantEnv) {
					t.Errorf("env =\n%+v\nwant\n%+v", build.Env, wantEnv)
				}
				// The ENV of the same name overrides what the RUN records.
				names := func(vs []Variable) (out []string) {
					for _, v := range vs {
						out = append(out, v.Name+"="+v.Value)
					}
					return out
				}
				if got := names(build.Runs[0].RecordedArgs); !reflect.DeepEqual(got, []string{"GLOBAL_TOKEN=g", "BUILD_REPO_SECRET=secr3t", "HOME_DIR=/override"}) {
					t.Errorf("recorded args = %v", got)
				}
				// The final stage is built FROM build: it inherits its ARGs
				// (in its RUN history) and its ENV (in its config).
				if got := names(a.ArgsInRuns(1)); !reflect.DeepEqual(got, []string{"GLOBAL_TOKEN=g", "BUILD_REPO_SECRET=secr3t", "HOME_DIR=/override", "TOKEN_FILE=/run/secrets/t"}) {
					t.Errorf("args in final runs = %v", got)
				}
				if got := names(a.SecretLookingVariables(1)); !reflect.DeepEqual(got, []string{"GLOBAL_TOKEN=g", "BUILD_REPO_SECRET=secr3t", "API_KEY=abc"}) {
					t.Errorf("secret-looking in final = %v", got)
				}
			},
		},
		{
			name: "the multi-stage fix: secrets stay in the build stage",
			src: `FROM alpine:3.20 AS build
ARG BUILD_REPO_SECRET
RUN fetch --token "$BUILD_REPO_SECRET"
FROM alpine:3.20
COPY --from=build /src /src
RUN ls /src
`,
			opts: Options{BuildArgs: map[string]string{"BUILD_REPO_SECRET": "secr3t"}},
			check: func(t *testing.T, a *Analysis) {
				if vs := a.SecretLookingVariables(a.Target); len(vs) != 0 {
					t.Errorf("secret-looking in final = %+v", vs)
				}
				if vs := a.ArgsInRuns(a.Target); len(vs) != 0 {
					t.Errorf("args in final runs = %+v", vs)
				}
				if vs := a.ArgsInRuns(0); len(vs) != 1 || vs[0].Value != "secr3t" {
					t.Errorf("args in build runs = %+v", vs)
				}
				if !a.CopiesFromEarlierStage(a.Target) {
					t.Error("final copies from build")
				}
			},
		},
		{
			name: "ENV expands against what came before the line",
			src:  "FROM alpine:3.20\nENV A=1\nENV A=2 B=$A\n",
			check: func(t *testing.T, a *Analysis) {
				if b := a.Stages[0].Env[2]; b.Name != "B" || b.Value != "1" {
					t.Errorf("B = %+v", b)
				}
			},
		},
		{
			name: "duplicate stage names: the later one wins",
			src:  "FROM alpine:3.20 AS x\nFROM busybox AS x\nFROM scratch\nCOPY --from=x /a /a\n",
			check: func(t *testing.T, a *Analysis) {
				if c := a.Stages[2].Copies[0]; c.Stage == nil || c.Stage.Index != 1 {
					t.Errorf("copy = %+v", c)
				}
				if a.Stages[0].Used || !a.Stages[1].Used {
					t.Errorf("used = %v %v", a.Stages[0].Used, a.Stages[1].Used)
				}
				if !a.HasWarning("DuplicateStageName") {
					t.Errorf("warnings = %v", a.Warnings)
				}
			},
		},
		{
			name: "a stage reached only through RUN --mount=from is used",
			src:  "FROM alpine:3.20 AS cfg\nFROM alpine:3.20 AS other\nFROM alpine:3.20\nRUN --mount=from=cfg,target=/cfg ls /cfg\n",
			stages: []stageSummary{
				{"cfg", 1, BaseImage, "alpine:3.20", true},
				{"other", 2, BaseImage, "alpine:3.20", false},
				{"", 3, BaseImage, "alpine:3.20", true},
			},
		},
		{
			name: "lower-case instructions and a byte-order mark",
			src:  "\xEF\xBB\xBF# syntax=docker/dockerfile:1\nfrom alpine:3.20 as build\nrun echo hi\n",
			stages: []stageSummary{
				{"build", 2, BaseImage, "alpine:3.20", true},
			},
			check: func(t *testing.T, a *Analysis) {
				if len(a.Directives) != 1 || a.Directives[0].Line != 1 {
					t.Errorf("directives = %+v", a.Directives)
				}
				if len(a.Stages[0].Runs) != 1 {
					t.Errorf("runs = %+v", a.Stages[0].Runs)
				}
			},
		},
		{
			name: "scratch is only the exact word",
			src:  "FROM scratch AS s\nFROM s\n",
			stages: []stageSummary{
				{"s", 1, BaseScratch, "scratch", true},
				{"", 2, BaseStage, "s", true},
			},
			check: func(t *testing.T, a *Analysis) {
				if a.RootBase(1).Kind != BaseScratch {
					t.Errorf("root = %+v", a.RootBase(1))
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := Analyze([]byte(tt.src), tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			if tt.stages != nil {
				if got := summarize(a); !reflect.DeepEqual(got, tt.stages) {
					t.Errorf("stages =\n%+v\nwant\n%+v", got, tt.stages)
				}
			}
			if tt.check != nil {
				tt.check(t, a)
			}
			if _, err := json.Marshal(a); err != nil {
				t.Errorf("marshal: %v", err)
			}
		})
	}
}

func TestAnalyzeErrors(t *testing.T) {
	tests := []struct {
		name    string
		src     string
		opts    Options
		line    int
		message string
	}{
		{"misspelled instruction", "FROM alpine\nRNU echo hi\n", Options{}, 2, "unknown instruction: RNU (did you mean RUN?)"},
		{"unknown instruction", "FROM alpine\n\nFOOBAR x\n", Options{}, 3, "unknown instruction: FOOBAR"},
		{"instruction before FROM", "# comment\nRUN echo\nFROM alpine\n", Options{}, 2, "no build stage in current context"},
		{"unterminated heredoc", "FROM alpine\nRUN <<EOF\necho\n", Options{}, 2, "unterminated heredoc"},
		{"stage name with a digit first", "FROM alpine\nFROM alpine AS 1x\n", Options{}, 2, `invalid name for build stage: "1x", name can't start with a number or contain symbols`},
		{"FROM with two words", "FROM alpine AS\n", Options{}, 1, "FROM requires either one or three arguments"},
		{"misspelled flag", "FROM alpine\nCOPY --frm=a b c\n", Options{}, 2, "unknown flag: --frm (did you mean from?)"},
		{"ADD has no --from", "FROM alpine\nADD --from=x a b\n", Options{}, 2, "unknown flag: --from"},
		{"ENV without arguments", "FROM alpine\nENV\n", Options{}, 2, "ENV requires at least one argument"},
		{"bad healthcheck interval", "FROM alpine\nHEALTHCHECK --interval=soon CMD true\n", Options{}, 2, `time: invalid duration "soon"`},
		{"only ARGs", "ARG X=1\n", Options{}, 0, "dockerfile contains no stages to build"},
		{"empty file", "", Options{}, 0, "file with no instructions"},
		{"comments only", "# nothing\n\n", Options{}, 2, "file with no instructions"},
		{"two escape directives", "# escape=\\\n# escape=`\nFROM alpine\n", Options{}, 1, "only one escape parser directive can be used"},
		{"unknown target", "FROM alpine AS build\n", Options{Target: "final"}, 0, `target stage "final" could not be found`},
		{"file name in messages", "FROM alpine\nRNU x\n", Options{Filename: "app.Dockerfile"}, 2, "unknown instruction: RNU (did you mean RUN?)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := Analyze([]byte(tt.src), tt.opts)
			if err == nil {
				t.Fatalf("Analyze succeeded: %+v", a)
			}
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error %T %v is not an *Error", err, err)
			}
			file := tt.opts.Filename
			if file == "" {
				file = "Dockerfile"
			}
			if e.Line != tt.line || e.Message != tt.message || e.File != file {
				t.Errorf("error = %q (line %d, message %q)", e, e.Line, e.Message)
			}
			want := file + ": " + tt.message
			if tt.line > 0 {
				want = fmt.Sprintf("%s:%d: %s", file, tt.line, tt.message)
			}
			if e.Error() != want {
				t.Errorf("Error() = %q, want %q", e.Error(), want)
			}
		})
	}
}

func TestAnalyzeRejectsABadPlatform(t *testing.T) {
	if _, err := Analyze([]byte("FROM alpine\n"), Options{Platform: "not a platform!"}); err == nil {
		t.Fatal("Analyze accepted a bad platform")
	}
}

func TestAnalyzeFile(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "Dockerfile.dev")
	if err := os.WriteFile(file, []byte("FROM alpine\nRNU x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := AnalyzeFile(file, Options{})
	if err == nil || err.Error() != "Dockerfile.dev:2: unknown instruction: RNU (did you mean RUN?)" {
		t.Errorf("err = %v", err)
	}
	if _, err := AnalyzeFile(filepath.Join(dir, "missing"), Options{}); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
}

func TestUnknownInstructionSuggestions(t *testing.T) {
	tests := map[string]string{
		"RNU":        "unknown instruction: RNU (did you mean RUN?)",
		"rnu":        "unknown instruction: rnu (did you mean run?)",
		"FORM":       "unknown instruction: FORM (did you mean FROM?)",
		"COYP":       "unknown instruction: COYP (did you mean COPY?)",
		"ENTRYPOIN":  "unknown instruction: ENTRYPOIN (did you mean ENTRYPOINT?)",
		"WORKDR":     "unknown instruction: WORKDR (did you mean WORKDIR?)",
		"EXPSOE":     "unknown instruction: EXPSOE (did you mean EXPOSE?)",
		"BANANA":     "unknown instruction: BANANA",
		"Rnu":        "unknown instruction: Rnu (did you mean RUN?)",
		"HEALTHCHEK": "unknown instruction: HEALTHCHEK (did you mean HEALTHCHECK?)",
	}
	for word, want := range tests {
		// BuildKit's own suggestion depends on map order; ask several times.
		for range 20 {
			_, err := Analyze([]byte("FROM alpine\n"+word+" x\n"), Options{})
			var e *Error
			if !errors.As(err, &e) || e.Message != want || e.Line != 2 {
				t.Fatalf("%s: %v, want %q at line 2", word, err, want)
			}
		}
	}
}

func TestAnalyzeExplainsUTF16(t *testing.T) {
	utf16le := func(s string, bom bool) []byte {
		var b []byte
		if bom {
			b = append(b, 0xFF, 0xFE)
		}
		for _, r := range s {
			b = append(b, byte(r), byte(r>>8))
		}
		return b
	}
	for _, src := range [][]byte{utf16le("FROM alpine\n", true), utf16le("FROM alpine\n", false), {0xFE, 0xFF, 0, 'F'}} {
		_, err := Analyze(src, Options{})
		if err == nil || !strings.Contains(err.Error(), "saved as UTF-16") {
			t.Errorf("Analyze(% x): %v", src[:4], err)
		}
	}
}

// TestAnalyzeKeepsStderrClean feeds bytes that make BuildKit's shell lexer
// (text/scanner) print to standard error, which would land on the tutor's
// screen, and checks that nothing is printed and the file still analyzes.
func TestAnalyzeKeepsStderrClean(t *testing.T) {
	src := []byte("FROM alpine\nARG LATIN=caf\xe9\nENV NUL=a\x00b\nRUN echo $LATIN\n")
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	saved := os.Stderr
	os.Stderr = w
	a, err := Analyze(src, Options{})
	os.Stderr = saved
	w.Close()
	printed, _ := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	if len(printed) > 0 {
		t.Errorf("Analyze printed to stderr: %q", printed)
	}
	if v := a.Stages[0].Args[0]; v.Value != "caf\uFFFD" {
		t.Errorf("LATIN = %q", v.Value)
	}
	if v := a.Stages[0].Env[0]; v.Value != "a\uFFFDb" || v.Line != 3 {
		t.Errorf("NUL = %+v", v)
	}
}

// TestBuildErrorIsDeterministic: BuildKit resolves base images concurrently
// and reports whichever bad reference fails first; the analysis must name
// the same one every time, the first in the file.
func TestBuildErrorIsDeterministic(t *testing.T) {
	src := []byte("FROM Upper AS a\nFROM alpine\nCOPY --from=Other:1 /a /a\nFROM bad..name\n")
	for range 200 {
		a, err := Analyze(src, Options{})
		if err != nil {
			t.Fatal(err)
		}
		e := a.BuildError
		want := `failed to parse stage name "Upper": invalid reference format: repository name (library/Upper) must be lowercase`
		if e == nil || e.Line != 1 || e.Message != want {
			t.Fatalf("build error = %v", e)
		}
	}
}

// TestUndefinedArgSuggestionIsDeterministic: two declared ARGs are equally
// close to the undeclared one; BuildKit suggests either, the analysis always
// the alphabetically first.
func TestUndefinedArgSuggestionIsDeterministic(t *testing.T) {
	src := []byte("ARG IMAGE_B=alpine\nARG IMAGE_A=alpine\nFROM ${IMAGE_C:-alpine}\n")
	for range 100 {
		a, err := Analyze(src, Options{})
		if err != nil {
			t.Fatal(err)
		}
		want := []Warning{{
			Rule:        "UndefinedArgInFrom",
			Message:     "FROM argument 'IMAGE_C' is not declared (did you mean IMAGE_A?)",
			Description: "FROM command must use declared ARGs",
			URL:         "https://docs.docker.com/go/dockerfile/rule/undefined-arg-in-from/",
			Line:        3,
		}}
		if !reflect.DeepEqual(a.Warnings, want) {
			t.Fatalf("warnings = %+v", a.Warnings)
		}
	}
}

// TestMountSuggestionsAreDeterministic: "cash" is as close to "cache" as to
// "ssh"; BuildKit suggests either, the analysis always the first.
func TestMountSuggestionsAreDeterministic(t *testing.T) {
	src := []byte("FROM alpine\nRUN --mount=type=cash,target=/x --mount=type=cache,target=/y,sharing=locket true\n")
	for range 100 {
		a, err := Analyze(src, Options{})
		if err != nil {
			t.Fatal(err)
		}
		want := `unsupported mount type "cash" (did you mean cache?)`
		if got := a.Stages[0].Runs[0].MountError; got != want {
			t.Fatalf("mount error = %q", got)
		}
		if a.BuildError == nil || a.BuildError.Message != want || a.BuildError.Line != 2 {
			t.Fatalf("build error = %v", a.BuildError)
		}
	}
	a, err := Analyze([]byte("FROM alpine\nRUN --mount=type=cache,target=/y,sharing=locket true\n"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := a.Stages[0].Runs[0].MountError, `unsupported sharing value "locket" (did you mean locked?)`; got != want {
		t.Errorf("mount error = %q, want %q", got, want)
	}
}
