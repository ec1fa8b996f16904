// Package daemon is the seam between the tutor and a Docker daemon: the
// interfaces of what builds, runs, checks and the leak scanner ask of it,
// and how Docker names the objects it hands back. *client.Client has every
// one of them; package fakedaemon is the in-memory daemon of unit tests.
package daemon

import (
	"context"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"

	"github.com/moby/moby/client"
)

// ImageInspector is what deciding whether an image is there takes.
type ImageInspector interface {
	ImageInspect(ctx context.Context, image string, options ...client.ImageInspectOption) (client.ImageInspectResult, error)
}

// Puller is what fetching a base image through the daemon takes: the
// pull (the daemon verifies what it fetches against the digest asked
// for), the tag made once it completed, and the inspection before and
// after.
type Puller interface {
	ImageInspector
	ImagePull(ctx context.Context, ref string, options client.ImagePullOptions) (client.ImagePullResponse, error)
	ImageTag(ctx context.Context, options client.ImageTagOptions) (client.ImageTagResult, error)
}

// Images is what reading an image takes: its config, its history and its
// export (`docker save`).
type Images interface {
	ImageInspect(ctx context.Context, image string, options ...client.ImageInspectOption) (client.ImageInspectResult, error)
	ImageHistory(ctx context.Context, image string, options ...client.ImageHistoryOption) (client.ImageHistoryResult, error)
	ImageSave(ctx context.Context, images []string, options ...client.ImageSaveOption) (client.ImageSaveResult, error)
}

// Checker is what the checks ask: images, the containers made from them,
// a throwaway container to look at an image's files, the event log, and
// the registry (through the daemon) about a base image's tag or digest.
type Checker interface {
	Images
	ImageList(ctx context.Context, options client.ImageListOptions) (client.ImageListResult, error)
	DistributionInspect(ctx context.Context, imageRef string, options client.DistributionInspectOptions) (client.DistributionInspectResult, error)
	ContainerList(ctx context.Context, options client.ContainerListOptions) (client.ContainerListResult, error)
	ContainerInspect(ctx context.Context, container string, options client.ContainerInspectOptions) (client.ContainerInspectResult, error)
	ContainerLogs(ctx context.Context, container string, options client.ContainerLogsOptions) (client.ContainerLogsResult, error)
	ContainerCreate(ctx context.Context, options client.ContainerCreateOptions) (client.ContainerCreateResult, error)
	ContainerStatPath(ctx context.Context, container string, options client.ContainerStatPathOptions) (client.ContainerStatPathResult, error)
	CopyFromContainer(ctx context.Context, container string, options client.CopyFromContainerOptions) (client.CopyFromContainerResult, error)
	ContainerRemove(ctx context.Context, container string, options client.ContainerRemoveOptions) (client.ContainerRemoveResult, error)
	Events(ctx context.Context, options client.EventsListOptions) client.EventsResult
}

// Builder is what a build asks: which builders the daemon offers, the
// build itself, and the session BuildKit reads the context through.
type Builder interface {
	Ping(ctx context.Context, options client.PingOptions) (client.PingResult, error)
	ImageBuild(ctx context.Context, buildContext io.Reader, options client.ImageBuildOptions) (client.ImageBuildResult, error)
	BuildCancel(ctx context.Context, id string, options client.BuildCancelOptions) (client.BuildCancelResult, error)
	DialHijack(ctx context.Context, url, proto string, meta map[string][]string) (net.Conn, error)
	ImageInspect(ctx context.Context, image string, options ...client.ImageInspectOption) (client.ImageInspectResult, error)
	ContainerRemove(ctx context.Context, container string, options client.ContainerRemoveOptions) (client.ContainerRemoveResult, error)
	ContainerInspect(ctx context.Context, container string, options client.ContainerInspectOptions) (client.ContainerInspectResult, error)
	// ServerVersion tells Podman, which builds with Buildah, from Docker.
	ServerVersion(ctx context.Context, options client.ServerVersionOptions) (client.ServerVersionResult, error)
	// Dialer opens a raw connection to the daemon, for the one request
	// the client cannot make: Podman's build with its own secrets
	// parameter.
	Dialer() func(context.Context) (net.Conn, error)
}

// Runner is what running a step's container asks.
type Runner interface {
	ContainerCreate(ctx context.Context, options client.ContainerCreateOptions) (client.ContainerCreateResult, error)
	ContainerAttach(ctx context.Context, container string, options client.ContainerAttachOptions) (client.ContainerAttachResult, error)
	ContainerStart(ctx context.Context, container string, options client.ContainerStartOptions) (client.ContainerStartResult, error)
	ContainerWait(ctx context.Context, container string, options client.ContainerWaitOptions) client.ContainerWaitResult
	ContainerKill(ctx context.Context, container string, options client.ContainerKillOptions) (client.ContainerKillResult, error)
	ContainerRemove(ctx context.Context, container string, options client.ContainerRemoveOptions) (client.ContainerRemoveResult, error)
	ContainerList(ctx context.Context, options client.ContainerListOptions) (client.ContainerListResult, error)
	ContainerInspect(ctx context.Context, container string, options client.ContainerInspectOptions) (client.ContainerInspectResult, error)
	// ContainerLogs follows the output of an engine that refuses an
	// attach before the start (Podman's).
	ContainerLogs(ctx context.Context, container string, options client.ContainerLogsOptions) (client.ContainerLogsResult, error)
	ServerVersion(ctx context.Context, options client.ServerVersionOptions) (client.ServerVersionResult, error)
}

// Client is everything a learner's session asks of the daemon: the above,
// plus what reset (list and remove images), prepare (pull and tag) and
// the status line (version) need.
type Client interface {
	Checker
	Builder
	Runner
	Puller
	ImageList(ctx context.Context, options client.ImageListOptions) (client.ImageListResult, error)
	ImageRemove(ctx context.Context, image string, options client.ImageRemoveOptions) (client.ImageRemoveResult, error)
	ServerVersion(ctx context.Context, options client.ServerVersionOptions) (client.ServerVersionResult, error)
	Close() error
}

// The Docker client is the Client in production.
var _ Client = (*client.Client)(nil)

// ShortID is an image or container ID as `docker images` and `docker ps`
// show it: 12 hex digits, without the algorithm.
func ShortID(id string) string {
	id = strings.TrimPrefix(id, "sha256:")
	return id[:min(12, len(id))]
}

// SameImage compares image names as Docker does: `x` is `x:latest` and
// `docker.io/library/x:latest`.
func SameImage(a, b string) bool {
	return normalizeName(a) == normalizeName(b)
}

// NamesImage says whether name, as the engine reports it (a container's
// image, an event's), names the image ref: SameImage, or Podman's name
// for it, which puts localhost/ before a short name it builds, loads or
// tags. For reading only: on Docker localhost/x is another repository,
// so nothing is ever removed by this match.
func NamesImage(name, ref string) bool {
	if SameImage(name, ref) {
		return true
	}
	rest, local := strings.CutPrefix(name, "localhost/")
	return local && !hasDomain(ref) && SameImage(rest, ref)
}

// hasDomain says whether ref starts with a registry: a first component
// with a dot or a port, or localhost, as Docker's reference grammar has it.
func hasDomain(ref string) bool {
	first, _, ok := strings.Cut(ref, "/")
	return ok && (strings.ContainsAny(first, ".:") || first == "localhost")
}

func normalizeName(s string) string {
	s = strings.TrimPrefix(s, "docker.io/")
	s = strings.TrimPrefix(s, "library/")
	if i := strings.LastIndex(s, "/"); !strings.Contains(s[i+1:], ":") && !strings.Contains(s, "@") {
		s += ":latest"
	}
	return s
}

// podmanComponent is how Podman names itself in /version's components.
const podmanComponent = "Podman Engine"

// IsPodman reports whether the daemon is Podman's Docker-compatible
// service, and then its version ("4.3.1"). Podman builds with Buildah (no
// BuildKit session) and refuses an attach before the start, so builds
// and runs go their own way there.
func IsPodman(ctx context.Context, d interface {
	ServerVersion(ctx context.Context, options client.ServerVersionOptions) (client.ServerVersionResult, error)
}) (bool, string, error) {
	v, err := d.ServerVersion(ctx, client.ServerVersionOptions{})
	if err != nil {
		return false, "", fmt.Errorf("ask the Docker daemon what it is: %w", err)
	}
	podman, version := PodmanOf(v)
	return podman, version, nil
}

// PodmanOf is IsPodman from a version answer already at hand.
func PodmanOf(v client.ServerVersionResult) (bool, string) {
	for _, c := range v.Components {
		if c.Name == podmanComponent {
			return true, c.Version
		}
	}
	return false, ""
}

// RememberVersion wraps c so that it asks the daemon what it is once and
// answers from memory after that. Podman answers /version by asking the
// package manager about each of its components (Podman 4.3 on Debian:
// eight dpkg-query runs, about 0.7 s of CPU, and 5 s of waiting on a busy
// machine), and every build and run asks which engine it is on, the
// status line every few seconds (bench/podman/idle.sh: an idle tutor cost
// the machine about 9 s of CPU a minute); what a daemon is does not change
// while a connection to it lives. Only an answer is remembered, never an
// error. A client that already remembers is returned as it is.
func RememberVersion(c Client) Client {
	if _, ok := c.(*versionMemo); ok {
		return c
	}
	return &versionMemo{Client: c}
}

type versionMemo struct {
	Client

	mu    sync.Mutex
	known *client.ServerVersionResult
}

func (m *versionMemo) ServerVersion(ctx context.Context, options client.ServerVersionOptions) (client.ServerVersionResult, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.known != nil {
		return *m.known, nil
	}
	v, err := m.Client.ServerVersion(ctx, options)
	if err != nil {
		return v, err
	}
	m.known = &v
	return v, nil
}
