package check

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dockertutor/dockertutor/exercises/daemon/fakedaemon"
	"github.com/dockertutor/dockertutor/exercises/dockerfile"
	"github.com/dockertutor/dockertutor/lessons"
)

const (
	knownDigest  = "sha256:d32cdf619f63fe0471182d08996dd516c6275bb5fd31ae06e55a570bd9e1ad43"
	madeUpDigest = "sha256:1111111111111111111111111111111111111111111111111111111111111111"
)

func day(s string) lessons.Date {
	t, err := time.Parse("2006-01-02", s)
	if err != nil {
		panic(err)
	}
	return lessons.Date{Time: t}
}

// alpinePin is the digest the test course pins alpine:3.22 to.
const alpinePin = "sha256:14358309a308569c32bdc37e2e0e9694be33a9d99e68afb0f5ff33cc1f695dce"

// releaseEnv is a step folder with a Dockerfile in a course whose release
// table knows the node lines, on 2026-12-02, over a fake daemon.
func releaseEnv(t *testing.T, dockerfile string) (Env, *fakedaemon.Daemon) {
	t.Helper()
	old := today
	today = func() time.Time { return day("2026-12-02").Time }
	t.Cleanup(func() { today = old })
	t.Setenv(OfflineRegistriesEnv, "")
	unreachable.forget()
	c := &lessons.Course{ID: "c1", Images: []lessons.BaseImage{{Ref: "alpine:3.22", Digest: alpinePin}}, Releases: &lessons.Releases{AsOf: day("2026-12-01"), Images: []lessons.ReleaseImage{{
		Repository: "node",
		Lines: []lessons.ReleaseLine{
			{Version: "18", Codename: "hydrogen", Status: lessons.StatusEnded, EndOfLife: day("2025-04-30"), Last: "18.20.8"},
			{Version: "20", Codename: "iron", Status: lessons.StatusEnded, EndOfLife: day("2026-04-30")},
			{Version: "22", Codename: "jod", Status: lessons.StatusMaintenanceLTS, EndOfLife: day("2027-04-30")},
			{Version: "24", Codename: "krypton", Status: lessons.StatusMaintenanceLTS, EndOfLife: day("2028-04-30")},
			{Version: "26", Codename: "lithium", Status: lessons.StatusActiveLTS, EndOfLife: day("2029-04-30")},
		},
		Digests: []lessons.KnownDigest{{Digest: knownDigest, Tag: "24-alpine", Seen: day("2026-12-02")}},
	}}}}
	st := &lessons.Step{ID: "s1", Lesson: &lessons.Lesson{ID: "l1"}}
	env, d := testEnv(t)
	workdir := env.Values.Workdir
	env.Values = c.Values(st, lessons.Learner{Secret: secret, Workspace: t.TempDir()})
	env.Values.Workdir = workdir
	writeFile(t, env, "Dockerfile", dockerfile)
	return env, d
}

const supportedNode = "lines still supported: 22 (Jod, maintenance LTS until 2027-04-30), 24 (Krypton, maintenance LTS until 2028-04-30), 26 (Lithium, active LTS until 2029-04-30)"

func TestCodenameTagsAreTheirLine(t *testing.T) {
	env, _ := releaseEnv(t, "FROM node:jod\n")
	r := checkOne(t, context.Background(), env, &lessons.DockerfileBase{Allow: []string{"partial"}})
	if r.Outcome != Pass || !slices.Contains(r.Evidence, Evidence{Where: "codename", Detail: "jod names the 22 line of node"}) {
		t.Errorf("node:jod as a major tag: %s %q %q", r.Outcome, r.Message, r.Evidence)
	}
	env, _ = releaseEnv(t, "FROM node:krypton-alpine\n")
	r = checkOne(t, context.Background(), env, &lessons.DockerfileBase{Repository: "node", Variants: []string{"alpine", "slim"}, Allow: []string{"partial", "pinned"}})
	if r.Outcome != Pass {
		t.Errorf("node:krypton-alpine: %s %q", r.Outcome, r.Message)
	}
	r = checkOne(t, context.Background(), env, &lessons.DockerfileBase{Allow: []string{"pinned"}})
	if r.Outcome != Fail || !strings.Contains(r.Message, "a major tag") {
		t.Errorf("node:krypton-alpine is a major tag, not pinned: %s %q", r.Outcome, r.Message)
	}
	// An ended line's codename is its line: iron is 20.
	env, _ = releaseEnv(t, "FROM node:iron-slim\n")
	r = checkOne(t, context.Background(), env, &lessons.DockerfileBase{Verify: true})
	if r.Outcome != Fail || !strings.Contains(r.Message, "on the 20 line, which stopped getting fixes on 2026-04-30") {
		t.Errorf("node:iron-slim: %s %q", r.Outcome, r.Message)
	}
	// Without a release table a codename is just a name that moves.
	env = dockerfileEnv(t, "FROM node:jod\n")
	if r := checkOne(t, context.Background(), env, &lessons.DockerfileBase{Allow: []string{"partial"}}); r.Outcome != Fail {
		t.Errorf("node:jod without a table: %s %q", r.Outcome, r.Message)
	}
}

func TestVerifyReleaseLines(t *testing.T) {
	cases := []struct {
		from    string
		outcome Outcome
		message string
	}{
		{"node:20", Fail, "The base node:20 is on the 20 line, which stopped getting fixes on 2026-04-30; " + supportedNode + "."},
		{"node:18.20.4-alpine", Fail, "The base node:18.20.4-alpine is on the 18 line, which stopped getting fixes on 2025-04-30; " + supportedNode + "."},
		{"node:18.20.9", Fail, "The base node:18.20.9 is on the 18 line, which stopped getting fixes on 2025-04-30; " + supportedNode + "; and 18.20.9 cannot exist: the last 18 release was 18.20.8."},
		{"node:30.1.0", Fail, "The base node:30.1.0 cannot exist: the newest node line is 26 (the course's release table, as of 2026-12-01); " + supportedNode + "."},
		{"node:16", Fail, "The base node:16 is older than the 18 line, which itself ended on 2025-04-30; " + supportedNode + "."},
		{"node:20@" + knownDigest, Fail, "The base node:20 is on the 20 line, which stopped getting fixes on 2026-04-30; " + supportedNode + "."},
		{"node:24.12.0-rc.1", Fail, "The base node:24.12.0-rc.1 is a pre-release (rc.1): pre-releases are for trying a release out and get no fixes once it is out; pin a release, such as node:24.12.0."},
		{"node:26.1.0-beta-alpine", Fail, "The base node:26.1.0-beta-alpine is a pre-release (beta): pre-releases are for trying a release out and get no fixes once it is out; pin a release, such as node:26.1.0."},
		{"node:Lithium", Fail, "The tag node:Lithium cannot be pulled: tags are case-sensitive and node writes its tags in lower case (node:lithium)."},
		{"node:24-Alpine", Fail, "The tag node:24-Alpine cannot be pulled: tags are case-sensitive and node writes its tags in lower case (node:24-alpine)."},
		{"node:24.12.0", Pass, "The base image follows the policy. Not checked: whether node:24.12.0 exists (Docker does not answer)."},
		{"node:latest", Pass, "The base image follows the policy. Not checked: whether node:latest exists (Docker does not answer)."},
		{"node:lts-alpine", Pass, "The base image follows the policy. Not checked: whether node:lts-alpine exists (Docker does not answer)."},
	}
	for _, c := range cases {
		env, _ := releaseEnv(t, "FROM "+c.from+"\n")
		env.Docker = nil
		r := checkOne(t, context.Background(), env, &lessons.DockerfileBase{Verify: true})
		if r.Outcome != c.outcome || r.Message != c.message {
			t.Errorf("FROM %s:\n got %s %q\nwant %s %q", c.from, r.Outcome, r.Message, c.outcome, c.message)
		}
	}
}

func TestVerifyTagAgainstTheRegistry(t *testing.T) {
	env, d := releaseEnv(t, "FROM node:24.12.0\n")
	d.Publish("node:24.12.0", knownDigest)
	expectPass(t, checkOne(t, context.Background(), env, &lessons.DockerfileBase{Verify: true}), "the registry docker.io has node:24.12.0")

	env, _ = releaseEnv(t, "FROM node:24.99.0\n")
	env.Docker = d
	expect(t, checkOne(t, context.Background(), env, &lessons.DockerfileBase{Verify: true}), Fail,
		"The registry docker.io has no tag node:24.99.0: check the tags on the image's page.",
		Evidence{Where: "Dockerfile:1", Detail: "FROM node:24.99.0: " + dockerfile.TagFullVersion.Description()},
		Evidence{Where: "verified", Detail: "line 24 (Krypton, maintenance LTS until 2028-04-30)"})

	// Switched off for the registry: nothing is asked, and the result says so.
	t.Setenv(OfflineRegistriesEnv, "ghcr.io, docker.io")
	calls := d.Called("DistributionInspect")
	r := checkOne(t, context.Background(), env, &lessons.DockerfileBase{Verify: true})
	if r.Outcome != Pass || !strings.Contains(r.Message, "Not checked: whether node:24.99.0 exists (lookups in docker.io are switched off by DOCKERTUTOR_OFFLINE_REGISTRIES)") {
		t.Errorf("offline: %s %q", r.Outcome, r.Message)
	}
	if d.Called("DistributionInspect") != calls {
		t.Error("an offline registry was asked")
	}

	// A registry the daemon cannot reach: said, not failed.
	t.Setenv(OfflineRegistriesEnv, "")
	d.FailOn("DistributionInspect", errors.New(`Get "https://registry-1.docker.io/v2/": dial tcp: lookup registry-1.docker.io: no such host`))
	r = checkOne(t, context.Background(), env, &lessons.DockerfileBase{Verify: true})
	if r.Outcome != Pass || !strings.Contains(r.Message, "Not checked: whether node:24.99.0 exists (the registry docker.io could not be reached, offline? Get ") {
		t.Errorf("unreachable registry: %s %q", r.Outcome, r.Message)
	}
	// It is remembered for a while: the next check does not wait for it.
	calls = d.Called("DistributionInspect")
	if r := checkOne(t, context.Background(), env, &lessons.DockerfileBase{Verify: true}); r.Outcome != Pass || d.Called("DistributionInspect") != calls {
		t.Errorf("the unreachable registry was asked again at once: %s %q", r.Outcome, r.Message)
	}
	unreachable.forget()

	// A tag on the daemon exists; the registry is not asked.
	env, d = releaseEnv(t, "FROM node:22.30.1-slim\n")
	d.AddImage(fakedaemon.Image{Tags: []string{"node:22.30.1-slim"}})
	expectPass(t, checkOne(t, context.Background(), env, &lessons.DockerfileBase{Verify: true}), "node:22.30.1-slim is on your daemon")
	if d.Called("DistributionInspect") != 0 {
		t.Error("the registry was asked about a tag the daemon has")
	}
}

func TestVerifyDigest(t *testing.T) {
	t.Run("image ID", func(t *testing.T) {
		env, d := releaseEnv(t, "")
		img := d.AddImage(fakedaemon.Image{Tags: []string{"alpine:3.22"}})
		writeFile(t, env, "Dockerfile", "FROM node:24-alpine@"+img.ID+"\n")
		r := checkOne(t, context.Background(), env, &lessons.DockerfileBase{Verify: true})
		if r.Outcome != Fail || !strings.Contains(r.Message, "is the image ID of alpine:3.22 on your daemon, not a repository digest of node") ||
			!strings.Contains(r.Message, "docker images --digests node") || !strings.Contains(r.Message, "{{index .RepoDigests 0}}") {
			t.Errorf("%s %q", r.Outcome, r.Message)
		}
	})
	t.Run("repository digest of a local image", func(t *testing.T) {
		env, d := releaseEnv(t, "FROM node:22-alpine@"+madeUpDigest+"\n")
		d.AddImage(fakedaemon.Image{Tags: []string{"node:22-alpine"}, RepoDigests: []string{"node@" + madeUpDigest}})
		expectPass(t, checkOne(t, context.Background(), env, &lessons.DockerfileBase{Verify: true}), "sha256:111111111111… is the repository digest of a node image on your daemon")
	})
	t.Run("containerd image store: the ID is the repository digest", func(t *testing.T) {
		env, d := releaseEnv(t, "FROM node:22-alpine@"+madeUpDigest+"\n")
		d.AddImage(fakedaemon.Image{ID: madeUpDigest, Tags: []string{"node:22-alpine"}, RepoDigests: []string{"node@" + madeUpDigest}})
		expectPass(t, checkOne(t, context.Background(), env, &lessons.DockerfileBase{Verify: true}), "sha256:111111111111… is the repository digest of a node image on your daemon")
	})
	t.Run("another repository's digest", func(t *testing.T) {
		env, d := releaseEnv(t, "FROM node:22-alpine@"+madeUpDigest+"\n")
		t.Setenv(OfflineRegistriesEnv, "docker.io")
		d.AddImage(fakedaemon.Image{Tags: []string{"mynode:22-alpine"}, RepoDigests: []string{"mynode@" + madeUpDigest}})
		if r := checkOne(t, context.Background(), env, &lessons.DockerfileBase{Verify: true}); r.Outcome != Fail {
			t.Errorf("%s %q", r.Outcome, r.Message)
		}
	})
	t.Run("known to the course", func(t *testing.T) {
		env, _ := releaseEnv(t, "FROM node:24-alpine@"+knownDigest+"\n")
		env.Docker = nil
		expectPass(t, checkOne(t, context.Background(), env, &lessons.DockerfileBase{Verify: true}),
			"sha256:d32cdf619f63… is the digest of node:24-alpine on 2026-12-02 (the course's release table)")
		env, _ = releaseEnv(t, "FROM node:krypton-alpine@"+knownDigest+"\n")
		env.Docker = nil
		expectPass(t, checkOne(t, context.Background(), env, &lessons.DockerfileBase{Verify: true}),
			"sha256:d32cdf619f63… is the digest of node:24-alpine on 2026-12-02 (the course's release table)")
	})
	t.Run("the course's pin", func(t *testing.T) {
		env, _ := releaseEnv(t, "FROM alpine:3.22@"+alpinePin+"\n")
		env.Docker = nil
		expectPass(t, checkOne(t, context.Background(), env, &lessons.DockerfileBase{Verify: true}),
			"sha256:14358309a308… is the digest the course pins alpine:3.22 to")
		env, _ = releaseEnv(t, "FROM alpine:3.21@"+alpinePin+"\n")
		env.Docker = nil
		r := checkOne(t, context.Background(), env, &lessons.DockerfileBase{Verify: true})
		if r.Outcome != Fail || !strings.Contains(r.Message, "is alpine:3.22's, as the course pins it, but the tag says 3.21") {
			t.Errorf("%s %q", r.Outcome, r.Message)
		}
	})
	t.Run("known, under another line's tag", func(t *testing.T) {
		env, _ := releaseEnv(t, "FROM node:22-alpine@"+knownDigest+"\n")
		env.Docker = nil
		r := checkOne(t, context.Background(), env, &lessons.DockerfileBase{Verify: true})
		if r.Outcome != Fail || !strings.Contains(r.Message, "is that of node:24-alpine, a 24 image, but the tag says 22-alpine") {
			t.Errorf("%s %q", r.Outcome, r.Message)
		}
	})
	t.Run("made up, offline", func(t *testing.T) {
		env, d := releaseEnv(t, "FROM node:22-alpine@"+madeUpDigest+"\n")
		t.Setenv(OfflineRegistriesEnv, "docker.io")
		r := checkOne(t, context.Background(), env, &lessons.DockerfileBase{Verify: true})
		want := "The digest sha256:111111111111… could not be confirmed as a node digest: no local image carries it, the course does not know it, and lookups in docker.io are switched off by DOCKERTUTOR_OFFLINE_REGISTRIES. " +
			"To make it checkable, pull the image (`docker pull node:22-alpine`), then copy its digest from `docker images --digests node`."
		if r.Outcome != Fail || r.Message != want {
			t.Errorf("got %s %q\nwant %q", r.Outcome, r.Message, want)
		}
		if d.Called("DistributionInspect") != 0 {
			t.Error("an offline registry was asked")
		}
	})
	t.Run("made up, the registry answers", func(t *testing.T) {
		env, d := releaseEnv(t, "FROM node:22-alpine@"+madeUpDigest+"\n")
		d.Publish("node:22-alpine", knownDigest)
		r := checkOne(t, context.Background(), env, &lessons.DockerfileBase{Verify: true})
		if r.Outcome != Fail || !strings.HasPrefix(r.Message, "The registry docker.io has no node image with the digest sha256:111111111111…") {
			t.Errorf("%s %q", r.Outcome, r.Message)
		}
	})
	t.Run("confirmed by the registry", func(t *testing.T) {
		env, d := releaseEnv(t, "FROM node:22-alpine@"+madeUpDigest+"\n")
		d.Publish("node:22.30.1-alpine", madeUpDigest)
		expectPass(t, checkOne(t, context.Background(), env, &lessons.DockerfileBase{Verify: true}), "the registry docker.io has sha256:111111111111…")
	})
	t.Run("no daemon", func(t *testing.T) {
		env, _ := releaseEnv(t, "FROM node:22-alpine@"+madeUpDigest+"\n")
		env.Docker = nil
		if r := checkOne(t, context.Background(), env, &lessons.DockerfileBase{Verify: true}); r.Outcome != Error || !strings.Contains(r.Message, "Docker is not reachable") {
			t.Errorf("an unconfirmed digest with no daemon is an error, not a failure: %s %q", r.Outcome, r.Message)
		}
	})
}

// expectPass holds r to a pass whose evidence names the fact.
func expectPass(t *testing.T, r Result, fact string) {
	t.Helper()
	if r.Outcome != Pass {
		t.Errorf("got %s %q, want a pass", r.Outcome, r.Message)
	}
	for _, e := range r.Evidence {
		if e.Where == "verified" && e.Detail == fact {
			return
		}
	}
	t.Errorf("evidence %q lacks the fact %q", r.Evidence, fact)
}

func TestDockerfileBaseLines(t *testing.T) {
	spec := &lessons.DockerfileBase{Lines: []string{"24"}}
	for from, want := range map[string]string{
		"node:24-alpine":    "",
		"node:24.12.0":      "",
		"node:krypton-slim": "",
		"node:22-alpine":    "Node:22-alpine is on the 22 line; this step stays on the 24 line.",
		"node:lithium":      "Node:lithium is on the 26 line; this step stays on the 24 line.",
		"node:alpine":       "Node:alpine names no version, so it does not say it stays on the 24 line.",
		"node:240":          "Node:240 is on the 240 line; this step stays on the 24 line.",
	} {
		env, _ := releaseEnv(t, "FROM "+from+"\n")
		r := checkOne(t, context.Background(), env, spec)
		if want == "" && r.Outcome != Pass || want != "" && (r.Outcome != Fail || r.Message != want) {
			t.Errorf("FROM %s: %s %q, want %q", from, r.Outcome, r.Message, want)
		}
	}
}
