package engine

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/moby/moby/client"
	"github.com/moby/moby/client/pkg/versions"

	"github.com/dockertutor/dockertutor/exercises/pins"
	"github.com/dockertutor/dockertutor/lessons"
)

// callTimeout bounds each question to a daemon that did answer the ping; a
// busy daemon can take a few seconds for /info.
const callTimeout = 10 * time.Second

// Report is everything `dockertutor doctor` knows about the learner's
// Docker: where it is, whether it answers, why not and how to fix it, and
// what it can do. It marshals to the JSON of `doctor --json`.
type Report struct {
	Endpoint  Endpoint `json:"endpoint"`
	Reachable bool     `json:"reachable"`
	// Problems come most serious first. When Reachable is false the first
	// one says why.
	Problems []Problem `json:"problems"`
	// Candidates are other endpoints found on this machine, listed only
	// when the daemon is not reachable.
	Candidates []Candidate   `json:"candidates,omitempty"`
	Server     *Server       `json:"server,omitempty"`
	Images     []ImageStatus `json:"images,omitempty"`
	// DockerBuild is what the learner's own `docker build` runs.
	DockerBuild DockerBuild `json:"dockerBuild"`
	// ClientOS is the OS the report was made on ("linux", "darwin",
	// "windows"): the fixes WriteText shows.
	ClientOS string `json:"clientOS"`
}

// Server describes a daemon that answered.
type Server struct {
	// Product is the platform name, e.g. "Docker Engine - Community",
	// "Docker Desktop 4.49.0 (208003)", "Podman Engine"; empty when the
	// daemon does not say.
	Product string `json:"product,omitempty"`
	Version string `json:"version"`
	OS      string `json:"os"`
	Arch    string `json:"arch"`
	// OperatingSystem is the host's, e.g. "Debian GNU/Linux 12 (bookworm)".
	OperatingSystem string      `json:"operatingSystem,omitempty"`
	API             APIVersions `json:"api"`
	Builders        Builders    `json:"builders"`
	StorageDriver   string      `json:"storageDriver"`
	// ImageStore is "containerd" (the containerd snapshotter) or
	// "graphdriver" (the classic store).
	ImageStore string `json:"imageStore"`
	Rootless   bool   `json:"rootless"`
}

// APIVersions are the Engine API versions in play.
type APIVersions struct {
	// Negotiated is the version this client talks: the lower of the
	// server's maximum and the client's.
	Negotiated string `json:"negotiated"`
	ServerMin  string `json:"serverMin,omitempty"`
	ServerMax  string `json:"serverMax,omitempty"`
}

// Builders says how images can be built through the API.
type Builders struct {
	// BuildKit is reachable through the API with a session (secret
	// mounts need it).
	BuildKit bool `json:"buildkit"`
	// Classic is the legacy builder: POST /build without version=2.
	Classic bool `json:"classic"`
	// Default is the builder the daemon advertises as its default
	// ("buildkit" or "classic"); empty when it does not say (before API
	// 1.42).
	Default string `json:"default,omitempty"`
	// Basis says how this was decided.
	Basis string `json:"basis"`
}

// ImageStatus is whether an image the course needs is on the daemon, at
// the digest the course pins: pins.Inspect's answer, the one decision
// doctor, prepare and the class's readiness share.
type ImageStatus = pins.Status

// Doctor resolves the endpoint from this process's environment and
// diagnoses it; an endpoint that cannot even be resolved (unknown context,
// broken meta.json, bad DOCKER_HOST) becomes the report's first problem.
func Doctor(ctx context.Context, wantImages []lessons.BaseImage) Report {
	return doctorIn(ctx, OSEnviron(), wantImages)
}

func doctorIn(ctx context.Context, env Environ, wantImages []lessons.BaseImage) Report {
	ep, err := ResolveIn(env)
	if err != nil {
		r := Report{Endpoint: ep, ClientOS: env.GOOS}
		r.Problems = []Problem{Explain(ep, err)}
		r.Problems = append(r.Problems, warningProblems(ep)...)
		r.DockerBuild = detectDockerBuild(ctx, env, daemonBuildFacts{})
		r.Problems = append(r.Problems, dockerBuildProblems(r.DockerBuild, true)...)
		r.Candidates = findCandidates(ctx, env, ep)
		return r
	}
	return diagnoseIn(ctx, env, ep, wantImages)
}

// Diagnose connects to ep and reports what it finds, including whether
// each of wantImages is there at its pinned digest. It never fails: an unreachable daemon is
// a report with Reachable false and the reason as its first problem.
func Diagnose(ctx context.Context, ep Endpoint, wantImages []lessons.BaseImage) Report {
	return diagnoseIn(ctx, OSEnviron(), ep, wantImages)
}

func diagnoseIn(ctx context.Context, env Environ, ep Endpoint, wantImages []lessons.BaseImage) Report {
	r := Report{Endpoint: ep, ClientOS: env.GOOS, Problems: []Problem{}}

	// Look for other endpoints while the ping runs, so an unreachable
	// daemon costs one timeout, not two.
	candCtx, cancelCand := context.WithCancel(ctx)
	defer cancelCand()
	candidates := make(chan []Candidate, 1)
	go func() { candidates <- findCandidates(candCtx, env, ep) }()

	cli, ping, err := connect(ctx, ep, pingBudget, sshAnswerTimeout)
	if err != nil {
		r.Problems = append(r.Problems, Explain(ep, err))
		r.Problems = append(r.Problems, warningProblems(ep)...)
		r.DockerBuild = detectDockerBuild(ctx, env, daemonBuildFacts{})
		r.Problems = append(r.Problems, dockerBuildProblems(r.DockerBuild, true)...)
		r.Candidates = <-candidates
		return r
	}
	cancelCand()
	defer cli.Close()
	r.Reachable = true
	server, images, problems := describe(ctx, cli, ping, wantImages)
	r.Server, r.Images = server, images
	r.Problems = append(append(r.Problems, problems...), warningProblems(ep)...)
	r.DockerBuild = detectDockerBuild(ctx, env, daemonBuildFacts{OS: server.OS, AdvertisesBuildKit: server.Builders.Default == "buildkit"})
	if !podmanServer(server) { // doctor's note on Podman says what builds there
		r.Problems = append(r.Problems, dockerBuildProblems(r.DockerBuild, server.Builders.BuildKit)...)
	}
	return r
}

func warningProblems(ep Endpoint) []Problem {
	var ps []Problem
	for _, w := range ep.Warnings {
		ps = append(ps, Problem{Class: ClassWarning, Severity: SeverityWarning, Message: w})
	}
	return ps
}

// daemonAPI is the part of *client.Client that describe needs.
type daemonAPI interface {
	ClientVersion() string
	ServerVersion(ctx context.Context, options client.ServerVersionOptions) (client.ServerVersionResult, error)
	Info(ctx context.Context, options client.InfoOptions) (client.SystemInfoResult, error)
	ImageInspect(ctx context.Context, image string, opts ...client.ImageInspectOption) (client.ImageInspectResult, error)
}

// describe asks a reachable daemon what it is and what it holds.
func describe(ctx context.Context, api daemonAPI, ping pingFacts, wantImages []lessons.BaseImage) (*Server, []ImageStatus, []Problem) {
	var problems []Problem
	s := &Server{API: APIVersions{Negotiated: api.ClientVersion()}}

	vctx, cancel := context.WithTimeout(ctx, callTimeout)
	ver, err := api.ServerVersion(vctx, client.ServerVersionOptions{})
	cancel()
	if err != nil {
		problems = append(problems, Problem{Class: ClassUnknown, Severity: SeverityWarning,
			Message: "Docker answered the ping but not the version request.", Detail: err.Error()})
	} else {
		s.Product, s.Version, s.OS, s.Arch = ver.Platform.Name, ver.Version, ver.Os, ver.Arch
		s.API.ServerMin, s.API.ServerMax = ver.MinAPIVersion, ver.APIVersion
	}
	podman := ping.Podman
	for _, c := range ver.Components {
		if strings.Contains(strings.ToLower(c.Name), "podman") {
			podman = true
			if s.Product == "" {
				s.Product = c.Name
			}
		}
	}
	if product, ok := podmanProduct(ver); ok {
		s.Product = product
	}
	if s.Version == "" {
		s.Version = serverVersionFromHeader(ping.Server)
	}
	if s.OS == "" {
		s.OS = ping.OSType
	}

	ictx, cancel := context.WithTimeout(ctx, callTimeout)
	info, err := api.Info(ictx, client.InfoOptions{})
	cancel()
	if err != nil {
		problems = append(problems, Problem{Class: ClassUnknown, Severity: SeverityWarning,
			Message: "Docker answered the ping but not the info request.", Detail: err.Error()})
	} else {
		in := info.Info
		s.OperatingSystem = in.OperatingSystem
		s.StorageDriver = in.Driver
		s.ImageStore = ImageStore(in.DriverStatus)
		s.Rootless = slices.ContainsFunc(in.SecurityOptions, func(o string) bool {
			return slices.Contains(strings.Split(o, ","), "name=rootless")
		})
		if s.OS == "" {
			s.OS = in.OSType
		}
		if s.Arch == "" {
			s.Arch = in.Architecture
		}
	}

	s.Builders = inferBuilders(ping, s, podman)
	if !s.Builders.BuildKit {
		problems = append(problems, noBuildKitProblem(s, podman))
	}

	images := make([]ImageStatus, 0, len(wantImages))
	var missing, other []string
	for _, img := range wantImages {
		ictx, cancel := context.WithTimeout(ctx, callTimeout)
		st := pins.Inspect(ictx, api, img)
		cancel()
		switch st.State {
		case pins.Missing:
			missing = append(missing, img.Ref)
		case pins.OtherDigest:
			other = append(other, img.Ref)
		}
		images = append(images, st)
	}
	if len(missing) > 0 {
		problems = append(problems, missingImagesProblem(missing))
	}
	if len(other) > 0 {
		problems = append(problems, otherDigestProblem(other))
	}
	return s, images, problems
}

// ImageStore is the daemon's image store, "containerd" or "graphdriver",
// from Info.DriverStatus: the containerd snapshotter reports
// ["driver-type", "io.containerd.snapshotter.v1"].
func ImageStore(driverStatus [][2]string) string {
	for _, kv := range driverStatus {
		if kv[0] == "driver-type" && strings.HasPrefix(kv[1], "io.containerd.snapshotter") {
			return "containerd"
		}
	}
	return "graphdriver"
}

// inferBuilders decides which builders the API offers. The ping's
// Builder-Version header names the daemon's default from API 1.42 on;
// before that the engine version has to speak: Docker Engine on Linux has
// had BuildKit built in since 18.09, and the classic builder is always
// there. Podman builds with Buildah and has no BuildKit.
func inferBuilders(ping pingFacts, s *Server, podman bool) Builders {
	var b Builders
	switch ping.BuilderVersion {
	case "2":
		b.Default = "buildkit"
	case "1":
		b.Default = "classic"
	}
	switch {
	case podman:
		b.Classic = true
		b.Basis = "Podman builds with Buildah, which serves the classic build API and runs secret mounts; it has no BuildKit"
	case s.OS == "windows":
		b.Classic = true
		b.BuildKit = b.Default == "buildkit"
		b.Basis = "Windows engines build with the classic builder unless they advertise BuildKit"
	case b.Default != "":
		b.Classic = true
		b.BuildKit = true // a Linux engine recent enough to advertise has BuildKit built in
		b.Basis = fmt.Sprintf("the daemon's ping advertises builder version %s (API %s)", ping.BuilderVersion, s.API.Negotiated)
	default:
		b.Classic = true
		b.BuildKit = linuxEngineHasBuildKit(s)
		if b.BuildKit {
			b.Basis = fmt.Sprintf("Docker Engine %s on Linux has BuildKit built in (since 18.09); its ping predates the Builder-Version header (API 1.42)", s.Version)
		} else {
			b.Basis = fmt.Sprintf("Docker Engine %s predates built-in BuildKit (18.09)", s.Version)
		}
	}
	return b
}

// linuxEngineHasBuildKit is true from Engine 18.09 (API 1.39); the API
// version decides when the version string is not a release number.
func linuxEngineHasBuildKit(s *Server) bool {
	major, _, _ := strings.Cut(s.Version, ".")
	if _, err := strconv.Atoi(major); err == nil {
		return !versions.LessThan(s.Version, "18.09")
	}
	api := s.API.ServerMax
	if api == "" {
		api = s.API.Negotiated
	}
	return !versions.LessThan(api, "1.39")
}

func noBuildKitProblem(s *Server, podman bool) Problem {
	p := Problem{Class: ClassNoBuildKit, Severity: SeverityWarning,
		Message: "BuildKit is not available on this engine, and the exercises with secret mounts (RUN --mount=type=secret) need it."}
	switch {
	case podman:
		return podmanDifferences(s)
	default:
		p.Fixes = kindSystem.upgradeFixes()
	}
	return p
}

func missingImagesProblem(refs []string) Problem {
	msg := fmt.Sprintf("The course needs %s, which is not on this daemon yet.", refs[0])
	if len(refs) > 1 {
		msg = fmt.Sprintf("The course needs %d images that are not on this daemon yet: %s.", len(refs), strings.Join(refs, ", "))
	}
	return Problem{Class: ClassImageMissing, Severity: SeverityWarning, Message: msg, Fixes: prepareFix()}
}

func otherDigestProblem(refs []string) Problem {
	msg := fmt.Sprintf("%s is on this daemon, but not at the digest the course pins.", refs[0])
	if len(refs) > 1 {
		msg = fmt.Sprintf("%d images are on this daemon, but not at the digests the course pins: %s.", len(refs), strings.Join(refs, ", "))
	}
	return Problem{Class: ClassImageOtherDigest, Severity: SeverityWarning, Message: msg, Fixes: prepareFix()}
}

// prepareFix is the one fix for a course image that is not at its pin:
// prepare pulls each by its digest and tags it.
func prepareFix() map[string][]Fix {
	return perOS(func(string) []Fix {
		return []Fix{{Text: "Pull the course's images at their pinned digests while you are online", Command: "dockertutor prepare"}}
	})
}
