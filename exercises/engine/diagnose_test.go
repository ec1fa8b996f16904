package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/image"
	"github.com/moby/moby/api/types/system"
	"github.com/moby/moby/client"

	"github.com/dockertutor/dockertutor/exercises/pins"
	"github.com/dockertutor/dockertutor/lessons"
)

// stubAPI is a daemon as describe sees it.
type stubAPI struct {
	negotiated string
	version    client.ServerVersionResult
	versionErr error
	info       system.Info
	infoErr    error
	images     map[string]string   // ref -> ID
	digests    map[string][]string // ref -> RepoDigests
}

// Digests the stub's images are pinned at, as a course pins them.
const (
	alpineDigest = "sha256:4bcff63911fcb4448bd4fdacec207030997caf25e9bea4045fa6c8c44de311d1"
	debianDigest = "sha256:b1211f6d19afd012477bd34fdcabb6b663d680e0f4b0537da6e6b0fd057a3ec3"
)

// bases are course images pinned at the stub's digests (alpine and
// debian), or at none.
func bases(refs ...string) []lessons.BaseImage {
	pinned := map[string]string{"alpine:3.22": alpineDigest, "debian:12-slim": debianDigest}
	out := make([]lessons.BaseImage, len(refs))
	for i, r := range refs {
		out[i] = lessons.BaseImage{Ref: r, Digest: pinned[r]}
	}
	return out
}

func (s *stubAPI) ClientVersion() string { return s.negotiated }

func (s *stubAPI) ServerVersion(context.Context, client.ServerVersionOptions) (client.ServerVersionResult, error) {
	return s.version, s.versionErr
}

func (s *stubAPI) Info(context.Context, client.InfoOptions) (client.SystemInfoResult, error) {
	return client.SystemInfoResult{Info: s.info}, s.infoErr
}

func (s *stubAPI) ImageInspect(_ context.Context, ref string, _ ...client.ImageInspectOption) (client.ImageInspectResult, error) {
	if ref == "broken:1" {
		return client.ImageInspectResult{}, errors.New("Error response from daemon: layer store is corrupt")
	}
	id, ok := s.images[ref]
	if !ok {
		return client.ImageInspectResult{}, cerrdefs.ErrNotFound.WithMessage("No such image: " + ref)
	}
	return client.ImageInspectResult{InspectResponse: image.InspectResponse{ID: id, RepoDigests: s.digests[ref]}}, nil
}

// debian2010 is Debian's Docker 20.10 as it answers on the build machines.
func debian2010() *stubAPI {
	return &stubAPI{
		negotiated: "1.41",
		version:    client.ServerVersionResult{Version: "20.10.24+dfsg1", APIVersion: "1.41", MinAPIVersion: "1.12", Os: "linux", Arch: "amd64"},
		info: system.Info{
			Driver:          "overlay2",
			DriverStatus:    [][2]string{{"Backing Filesystem", "extfs"}, {"Supports d_type", "true"}},
			SecurityOptions: []string{"name=seccomp,profile=default"},
			OperatingSystem: "Debian GNU/Linux 12 (bookworm)",
			OSType:          "linux",
			Architecture:    "x86_64",
		},
		images: map[string]string{
			"alpine:3.22":    "sha256:f8e0442372884c3d97bf661793481eac08e145b127ff2e399596293936d3cc05",
			"debian:12-slim": "sha256:3e5c6f2a0c1b9d5f8c0a4e0c0c44f6c1e8a8f9c0d1b2a3c4d5e6f708192a3b4c",
			// a pack that pins no digest for it
			"python:3.13-slim": "sha256:9d2c1a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f7",
		},
		// alpine as pulled from Docker Hub (the short name, as Docker
		// lists it); debian loaded from a file: no repository digest.
		digests: map[string][]string{"alpine:3.22": {"alpine@" + alpineDigest}},
	}
}

func hasProblem(ps []Problem, class Class) *Problem {
	for i := range ps {
		if ps[i].Class == class {
			return &ps[i]
		}
	}
	return nil
}

func TestDescribeDocker2010(t *testing.T) {
	s, images, problems := describe(context.Background(), debian2010(), pingFacts{
		PingResult: client.PingResult{APIVersion: "1.41", OSType: "linux"}, Server: "Docker/20.10.24+dfsg1 (linux)",
	}, bases("alpine:3.22", "node:22", "broken:1", "debian:12-slim"))

	want := APIVersions{Negotiated: "1.41", ServerMin: "1.12", ServerMax: "1.41"}
	if s.API != want || s.Version != "20.10.24+dfsg1" || s.OS != "linux" || s.Arch != "amd64" {
		t.Errorf("server = %+v", s)
	}
	if !s.Builders.BuildKit || !s.Builders.Classic || s.Builders.Default != "" || !strings.Contains(s.Builders.Basis, "18.09") {
		t.Errorf("builders = %+v: 20.10 has BuildKit but does not advertise a default", s.Builders)
	}
	if s.StorageDriver != "overlay2" || s.ImageStore != "graphdriver" || s.Rootless {
		t.Errorf("storage = %s %s rootless=%v", s.StorageDriver, s.ImageStore, s.Rootless)
	}
	var states []pins.State
	for _, im := range images {
		states = append(states, im.State)
	}
	if want := []pins.State{pins.AtPin, pins.Missing, pins.Unknown, pins.OtherDigest}; !slices.Equal(states, want) || images[0].ID == "" || images[2].Error == "" {
		t.Errorf("images = %+v, want states %v", images, want)
	}
	p := hasProblem(problems, ClassImageMissing)
	if p == nil || !strings.Contains(p.Message, "node:22") || strings.Contains(p.Message, "broken:1") || p.Fixes[Linux][0].Command != "dockertutor prepare" {
		t.Errorf("missing image problem = %+v", p)
	}
	p = hasProblem(problems, ClassImageOtherDigest)
	if p == nil || !strings.Contains(p.Message, "debian:12-slim") || strings.Contains(p.Message, "alpine") || p.Fixes[Linux][0].Command != "dockertutor prepare" {
		t.Errorf("other digest problem = %+v", p)
	}
	if hasProblem(problems, ClassNoBuildKit) != nil {
		t.Errorf("20.10 has BuildKit: %+v", problems)
	}
}

func TestDescribeCurrentEngineWithContainerdStore(t *testing.T) {
	api := debian2010()
	api.negotiated = "1.52"
	api.version = client.ServerVersionResult{Version: "29.1.0", APIVersion: "1.52", MinAPIVersion: "1.44", Os: "linux", Arch: "arm64",
		Platform: client.PlatformInfo{Name: "Docker Desktop 4.52.0 (210994)"}}
	api.info.Driver = "overlayfs"
	api.info.DriverStatus = [][2]string{{"driver-type", "io.containerd.snapshotter.v1"}}
	api.info.SecurityOptions = []string{"name=seccomp,profile=builtin", "name=rootless", "name=cgroupns"}
	s, _, problems := describe(context.Background(), api, pingFacts{PingResult: client.PingResult{APIVersion: "1.52", OSType: "linux", BuilderVersion: "2"}}, nil)
	if s.ImageStore != "containerd" || s.StorageDriver != "overlayfs" || !s.Rootless || s.Product != "Docker Desktop 4.52.0 (210994)" {
		t.Errorf("server = %+v", s)
	}
	if !s.Builders.BuildKit || s.Builders.Default != "buildkit" || !strings.Contains(s.Builders.Basis, "advertises") {
		t.Errorf("builders = %+v", s.Builders)
	}
	if len(problems) != 0 {
		t.Errorf("problems = %+v", problems)
	}
}

func TestDescribePodmanHasNoBuildKit(t *testing.T) {
	api := debian2010()
	// Podman 4.3 gives the host's platform where Docker gives its product.
	api.version = client.ServerVersionResult{Platform: client.PlatformInfo{Name: "linux/amd64/debian-12"}, Version: "4.3.1", APIVersion: "1.41", MinAPIVersion: "1.24", Os: "linux", Arch: "amd64",
		Components: []system.ComponentVersion{{Name: "Podman Engine", Version: "4.3.1"}}}
	s, _, problems := describe(context.Background(), api, pingFacts{PingResult: client.PingResult{APIVersion: "1.41"}, Podman: true}, nil)
	if s.Builders.BuildKit || !s.Builders.Classic || s.Product != "Podman 4.3.1" {
		t.Errorf("server = %+v", s)
	}
	p := hasProblem(problems, ClassNoBuildKit)
	if p == nil || p.Severity != SeverityWarning || !strings.Contains(commands(p.Fixes[Linux]), "podman build --secret id=") {
		t.Fatalf("problems = %+v", problems)
	}
	for _, differs := range []string{"Podman 4.3.1", "Buildah", "localhost/NAME:TAG"} {
		if !strings.Contains(p.Message, differs) {
			t.Errorf("doctor's note on Podman lacks %q: %s", differs, p.Message)
		}
	}
}

func TestDescribeWindowsEngine(t *testing.T) {
	api := debian2010()
	api.version.Os, api.info.OSType = "windows", "windows"
	s, _, problems := describe(context.Background(), api, pingFacts{PingResult: client.PingResult{APIVersion: "1.41", OSType: "windows"}}, nil)
	if s.Builders.BuildKit || !s.Builders.Classic || hasProblem(problems, ClassNoBuildKit) == nil {
		t.Errorf("a Windows engine without the header has only the classic builder: %+v %+v", s.Builders, problems)
	}
}

func TestDescribeKeepsGoingWhenCallsFail(t *testing.T) {
	api := debian2010()
	api.versionErr = errors.New("Error response from daemon: busy")
	api.infoErr = errors.New("Error response from daemon: busy")
	s, images, problems := describe(context.Background(), api, pingFacts{
		PingResult: client.PingResult{APIVersion: "1.41", OSType: "linux"}, Server: "Docker/20.10.24+dfsg1 (linux)",
	}, bases("alpine:3.22"))
	if s.Version != "20.10.24+dfsg1" || s.OS != "linux" {
		t.Errorf("the ping's headers should fill in: %+v", s)
	}
	if n := len(problems); n != 2 || problems[0].Severity != SeverityWarning {
		t.Errorf("problems = %+v", problems)
	}
	if images[0].State != pins.AtPin {
		t.Errorf("images = %+v", images)
	}
}

func TestDoctorReportsUnresolvableEndpoint(t *testing.T) {
	m := newMachine(t)
	m.vars["DOCKER_CONTEXT"] = "nosuch"
	r := doctorIn(context.Background(), m.env("linux"), bases("alpine:3.22"))
	if r.Reachable || len(r.Problems) == 0 || r.Problems[0].Class != ClassConfig || r.ClientOS != Linux {
		t.Fatalf("report = %+v", r)
	}
	file := filepath.Join(m.configDir, "contexts", "meta", ContextDirName("nosuch"), "meta.json")
	if !strings.Contains(r.Problems[0].Message, file) {
		t.Errorf("message %q should name %s", r.Problems[0].Message, file)
	}
	if _, err := json.Marshal(r); err != nil {
		t.Fatal(err)
	}
}

// serveFakePing answers pings on a unix socket at path, like a daemon.
func serveFakePing(t *testing.T, path string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(pingOK), ReadHeaderTimeout: time.Second}
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { srv.Close() })
}

func TestCandidatesFoundOnThisMachine(t *testing.T) {
	home := shortTempDir(t)
	runtimeDir := filepath.Join(home, "run")
	m := &machine{home: home, configDir: filepath.Join(home, ".docker"), vars: map[string]string{"XDG_RUNTIME_DIR": runtimeDir, "DOCKER_HOST": "unix:///nonexistent/docker.sock"}}

	colima := filepath.Join(home, ".colima", "default", "docker.sock")
	serveFakePing(t, colima)
	podman := filepath.Join(runtimeDir, "podman", "podman.sock")
	serveFakePing(t, podman)
	// A rootless socket left behind by a stopped daemon.
	rootless := filepath.Join(runtimeDir, "docker.sock")
	l, err := net.Listen("unix", rootless)
	if err != nil {
		t.Fatal(err)
	}
	l.(*net.UnixListener).SetUnlinkOnClose(false)
	l.Close()
	// A context for colima: it should replace the bare socket line.
	m.writeContext(t, "colima", "unix://"+colima, false)
	// A context whose socket does not exist here: left out.
	m.writeContext(t, "gone", "unix://"+filepath.Join(home, "gone.sock"), false)

	current, err := ResolveIn(m.env(Linux))
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	got := findCandidates(context.Background(), m.env(Linux), current)
	took := time.Since(start)

	byHost := map[string]Candidate{}
	for _, c := range got {
		byHost[c.Host] = c
	}
	if c := byHost["unix://"+colima]; c.What != `context "colima"` || !c.Answers || c.Use != "unset DOCKER_HOST; docker context use colima" {
		t.Errorf("colima candidate = %+v", c)
	}
	if c := byHost["unix://"+podman]; c.What != "Podman (rootless)" || !c.Answers || c.Use != "export DOCKER_HOST=unix://"+podman {
		t.Errorf("podman candidate = %+v", c)
	}
	if c := byHost["unix://"+rootless]; c.What != "rootless Docker" || c.Answers {
		t.Errorf("rootless candidate = %+v", c)
	}
	for _, c := range got {
		if _, err := os.Stat(socketPath(c.Host)); err != nil {
			t.Errorf("offered a socket that does not exist: %+v", c)
		}
	}
	if _, ok := byHost["unix://"+filepath.Join(home, "gone.sock")]; ok {
		t.Errorf("a context without a socket was offered: %+v", got)
	}
	for i := 1; i < len(got); i++ {
		if got[i].Answers && !got[i-1].Answers {
			t.Errorf("answering candidates should come first: %+v", got)
		}
	}
	if took > probeTimeout+500*time.Millisecond {
		t.Errorf("candidate search took %s", took)
	}
	if testing.Verbose() {
		for _, c := range got {
			fmt.Printf("candidate %+v\n", c)
		}
	}
}
