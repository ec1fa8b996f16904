package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dockertutor/dockertutor/exercises/check"
	"github.com/dockertutor/dockertutor/exercises/engine"
	"github.com/dockertutor/dockertutor/exercises/leak"
	"github.com/dockertutor/dockertutor/exercises/pins"
	"github.com/dockertutor/dockertutor/exercises/proof"
	"github.com/dockertutor/dockertutor/report"
)

var updateGolden = flag.Bool("update", false, "rewrite the golden JSON documents in testdata/json")

// assertGolden pins a --json document: its shape changes only when the
// golden file is rewritten (go test -run JSONFormats -update), which a
// review sees, along with FORMATS.md and the format's version.
func assertGolden(t *testing.T, name string, got []byte, doc report.Document) {
	t.Helper()
	if err := report.Read(bytes.NewReader(got), doc); err != nil {
		t.Fatalf("%s: the document does not read back: %v\n%s", name, err, got)
	}
	path := filepath.Join("testdata", "json", name+".json")
	if *updateGolden {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%s: %v (go test -run JSONFormats -update writes it)", name, err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s: the document changed; if on purpose, bump its version when a field went or changed meaning, update FORMATS.md and rerun with -update.\ngot:\n%s\nwant:\n%s", name, got, want)
	}
}

// The commands that need no daemon are run for real; the documents of
// daemon answers are made from fixed values through the same conversion.

func TestJSONFormatsOfCommands(t *testing.T) {
	c := newCLI(t)
	state := os.Getenv("XDG_STATE_HOME")
	normal := strings.NewReplacer(c.workspace, "$WORKSPACE", state, "$STATE", c.ns.String(), "$LEARNER")

	if _, errs, code := c.fixture("show", "fix"); code != 0 {
		t.Fatalf("show: exit %d %s", code, errs)
	}
	if _, errs, code := c.fixture("answer", "pick", "b"); code != 0 {
		t.Fatalf("answer: exit %d %s", code, errs)
	}
	out, errs, code := c.fixture("list", "--json")
	if code != 0 {
		t.Fatalf("list: exit %d %s", code, errs)
	}
	assertGolden(t, "list", []byte(normal.Replace(out)), &report.List{})

	broken := t.TempDir()
	os.WriteFile(filepath.Join(broken, "course.yaml"), []byte("format: 1\nid: x\ntitle: X\nlessons: [missing]\n"), 0o644)
	out, _, code = c.run("course", "lint", broken, "--json")
	if code != exitFail {
		t.Fatalf("lint of a broken pack: exit %d", code)
	}
	assertGolden(t, "lint", []byte(strings.ReplaceAll(out, broken, "$PACK")), &report.Lint{})

	// A clean pack: its course id, and problems an empty list, not null.
	out, _, code = c.run("course", "lint", "testdata/pack", "--json")
	var clean report.Lint
	if err := report.Read(strings.NewReader(out), &clean); err != nil || code != 0 || clean.Course != "fixture" || !strings.Contains(out, `"problems": []`) {
		t.Fatalf("lint of a clean pack: exit %d, %v\n%s", code, err, out)
	}
}

// verdicts are one of each: passed with evidence, failed, and a step
// checked without Docker.
func verdicts(t *testing.T) []check.Verdict {
	build, _ := fixtureCourse(t).Step("build")
	gone := check.Run(context.Background(), check.Env{Step: build, DockerErr: errors.New("dial unix /var/run/docker.sock: connect: no such file or directory")})
	gone.Duration = 0
	// The message is the check package's wording; the document's shape,
	// not that wording, is what this file pins.
	for i := range gone.Results {
		gone.Results[i].Message = "Docker is not reachable."
	}
	return []check.Verdict{
		{Step: "fix", Passed: true, Duration: 192 * time.Millisecond, Results: []check.Result{
			{ID: "pinned", Type: "dockerfile.base", Outcome: check.Pass, Message: "The final stage's base is pinned: alpine:3.22.", Evidence: []check.Evidence{{Where: "Dockerfile line 1", Detail: "FROM alpine:3.22 AS build"}}},
		}},
		{Step: "found", Passed: false, Duration: time.Millisecond, Results: []check.Result{
			{ID: "value", Type: "answer.secret", Outcome: check.Fail, Message: "That is not the secret."},
		}},
		gone,
	}
}

func TestJSONFormatsOfResults(t *testing.T) {
	vs := verdicts(t)
	write := func(doc report.Document) []byte {
		var b bytes.Buffer
		if err := report.Write(&b, doc); err != nil {
			t.Fatal(err)
		}
		return b.Bytes()
	}
	assertGolden(t, "check", write(checkDocument(vs)), &report.Check{})
	assertGolden(t, "prove", write(proveDocument("packs/fixture", []proof.Case{
		{Step: "fix", Name: "solution", Want: "every check passes", OK: true, Verdict: vs[0]},
		{Step: "found", Name: "attempt broken", Want: "fails value", OK: false, Problem: "passed value, which it must fail", Verdict: vs[1], ActionErr: "the build failed: exit code 1"},
	})), &report.Prove{})
	assertGolden(t, "doctor", write(doctorDocument(engine.Report{
		Endpoint: engine.Endpoint{Host: "tcp://10.0.0.5:2376", Source: "DOCKER_HOST", Origin: engine.FromDockerHost, Context: "default",
			ConfigFile: "/home/l/.docker/config.json", TLS: &engine.TLS{CAFile: "/home/l/.docker/ca.pem", CertFile: "/home/l/.docker/cert.pem", KeyFile: "/home/l/.docker/key.pem"},
			Warnings: []string{"the config file could not be read"}},
		Reachable: true,
		Problems: []engine.Problem{{Class: engine.ClassImageMissing, Severity: engine.SeverityWarning, Message: "The base image alpine:3.22 is missing.", Detail: "No such image",
			Fixes: map[string][]engine.Fix{"linux": {{Text: "Pull it:", Command: "docker pull alpine:3.22"}}}}},
		Candidates: []engine.Candidate{{Host: "unix:///run/user/1000/docker.sock", What: "rootless Docker", Answers: true, Use: "export DOCKER_HOST=unix:///run/user/1000/docker.sock"}},
		Server: &engine.Server{Product: "Docker Engine - Community", Version: "28.5.1", OS: "linux", Arch: "amd64", OperatingSystem: "Debian GNU/Linux 12 (bookworm)",
			API:      engine.APIVersions{Negotiated: "1.51", ServerMin: "1.24", ServerMax: "1.51"},
			Builders: engine.Builders{BuildKit: true, Classic: true, Default: "buildkit", Basis: "the daemon's BuilderVersion"}, StorageDriver: "overlay2", ImageStore: "containerd"},
		Images: []engine.ImageStatus{
			{Ref: "alpine:3.22", Digest: "sha256:4bcff63911fcb4448bd4fdacec207030997caf25e9bea4045fa6c8c44de311d1", State: pins.AtPin, ID: "sha256:4bcff63911fc",
				RepoDigests: []string{"alpine@sha256:4bcff63911fcb4448bd4fdacec207030997caf25e9bea4045fa6c8c44de311d1"}},
			{Ref: "debian:12-slim", Digest: "sha256:b1211f6d19afd012477bd34fdcabb6b663d680e0f4b0537da6e6b0fd057a3ec3", State: pins.OtherDigest, ID: "sha256:3e5c6f2a0c1b"},
			{Ref: "node:22-alpine", Digest: "sha256:9a6f2c1a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6", State: pins.Missing},
			{Ref: "python:3.13-slim", State: pins.Unknown, Error: "timeout"}},
		DockerBuild: engine.DockerBuild{Builder: engine.LocalBuildKit, CLI: "/usr/bin/docker", Plugin: "/home/l/.docker/cli-plugins/docker-buildx",
			PluginVersion: "v0.38.2", Basis: "the docker CLI hands docker build to the buildx plugin v0.38.2"},
		ClientOS: "linux",
	})), &report.Doctor{})
	assertGolden(t, "scan", write(scanDocument(&leak.Report{
		Image: "myapp:1.4", ImageID: "sha256:0123456789abcdef", Encodings: []leak.Encoding{leak.Plain, leak.Base64}, Layers: 3,
		Findings: []leak.Finding{
			{Source: leak.SourceHistory, Encoding: leak.Plain, Count: 1, Excerpt: "RUN |1 TOKEN=ca…", History: &leak.HistoryEntry{Index: 2, Row: 1, CreatedBy: "RUN |1 TOKEN=ca… /bin/sh -c echo"}},
			{Source: leak.SourceLayer, Encoding: leak.Base64, Count: 2, Excerpt: "Y2Fu…", File: "blobs/sha256/ab", Layer: &leak.LayerFile{Index: 1, Path: "tmp/t", State: leak.Deleted, By: 2}},
			{Source: leak.SourceInspect, Encoding: leak.Plain, Count: 1, Excerpt: "TOKEN=ca…", Field: "Config.Env[0]"},
		},
		Omitted: 1, RepeatedInMetadata: 2, Problems: []string{"layer 3 could not be read"},
	})), &report.Scan{})
}
