package outbox

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/dockertutor/dockertutor/classroom/wire"
	"github.com/dockertutor/dockertutor/exercises/engine"
	"github.com/dockertutor/dockertutor/exercises/pins"
)

// The wire's image states are the pins package's, every one of them.
func TestWireKnowsEveryImageState(t *testing.T) {
	if len(wire.ImageStates) != len(pins.States) {
		t.Errorf("wire.ImageStates %v, pins.States %v", wire.ImageStates, pins.States)
	}
	for _, s := range pins.States {
		if !wire.ImageStates[string(s)] {
			t.Errorf("wire does not know the image state %q", s)
		}
	}
}

// The class learns the engine, its builders and the course's images, and
// nothing that names the machine, its paths or its user.
func TestReadinessNamesNoPathOrPerson(t *testing.T) {
	rep := engine.Report{
		Endpoint:  engine.Endpoint{Host: "ssh://alice@lab-07.example/home/alice", Source: "context in /home/alice/.docker/config.json", Context: "alice-lab", ConfigFile: "/home/alice/.docker/config.json"},
		Reachable: true,
		Server: &engine.Server{Product: "Docker Engine - Community", Version: "28.5.1", OS: "linux", Arch: "amd64", OperatingSystem: "Debian GNU/Linux 12 (bookworm)",
			API: engine.APIVersions{Negotiated: "1.51"}, Builders: engine.Builders{BuildKit: true, Classic: true, Basis: "/var/lib/docker"}, StorageDriver: "overlay2"},
		Images: []engine.ImageStatus{
			{Ref: "alpine:3.22", Digest: "sha256:4bcff63911fcb4448bd4fdacec207030997caf25e9bea4045fa6c8c44de311d1", State: pins.AtPin, ID: "sha256:abc",
				RepoDigests: []string{"alpine@sha256:4bcff63911fcb4448bd4fdacec207030997caf25e9bea4045fa6c8c44de311d1"}},
			{Ref: "debian:12-slim", State: pins.OtherDigest, ID: "sha256:def"},
			{Ref: "python:3.13-slim", State: pins.Unknown, Error: "/var/run/docker.sock: denied"}},
		DockerBuild: engine.DockerBuild{Builder: engine.LocalBuildKit, CLI: "/usr/bin/docker", Plugin: "/home/alice/.docker/cli-plugins/docker-buildx", Basis: "the buildx plugin in /home/alice"},
	}
	r := ReadinessOf(rep)
	want := wire.Readiness{Docker: true, Engine: "Docker Engine - Community", Version: "28.5.1", API: "1.51", BuildKit: true, Classic: true, DockerBuild: "buildkit",
		Images: []wire.ImageReadiness{{Ref: "alpine:3.22", Present: true, State: "pinned"}, {Ref: "debian:12-slim", Present: true, State: "other-digest"},
			{Ref: "python:3.13-slim", State: "unknown"}}}
	got, _ := json.Marshal(r)
	wanted, _ := json.Marshal(want)
	if string(got) != string(wanted) {
		t.Fatalf("readiness %s\nwant      %s", got, wanted)
	}
	for _, bad := range []string{"alice", "/home", "/usr", "/var", "lab-07", "Debian", "sha256"} {
		if strings.Contains(string(got), bad) {
			t.Errorf("the readiness names %q: %s", bad, got)
		}
	}

	// Sent at join, and again only when it changed.
	b := Open(t.TempDir())
	now := time.Now()
	for i, c := range []struct {
		r    wire.Readiness
		want bool
	}{{r, true}, {r, false}, {ReadinessOf(engine.Report{}), true}, {r, true}} {
		appended, err := b.AppendReadiness(c.r, now)
		if err != nil || appended != c.want {
			t.Errorf("readiness %d: appended %v (%v), want %v", i, appended, err, c.want)
		}
	}
	if got := seqsOf(t, b); len(got) != 3 {
		t.Errorf("outbox %v, want 3 readiness events", got)
	}
}
