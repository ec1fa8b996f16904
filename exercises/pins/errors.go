package pins

import (
	"errors"
	"fmt"
	"strings"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/distribution/reference"
)

// Kind is why a registry did not hand an image over.
type Kind string

const (
	// Unreachable: no connection (refused, no such host, a timeout, TLS).
	Unreachable Kind = "unreachable"
	// Auth: the registry wants a sign-in, or refused the one given.
	Auth Kind = "auth"
	// RateLimited: the registry refuses more pulls for now (429).
	RateLimited Kind = "rate-limit"
	// NotFound: the registry has no such tag or digest.
	NotFound Kind = "not-found"
	// Other: anything else the daemon said.
	Other Kind = "other"
)

// RegistryError is a pull the registry (through the daemon) did not
// complete. Its Error is one sentence that says what happened and the
// fix; Err is the daemon's own answer.
type RegistryError struct {
	Kind Kind
	// Ref is what was pulled ("alpine@sha256:…" or "alpine:3.22").
	Ref string
	Err error
}

func (e *RegistryError) Unwrap() error { return e.Err }

func (e *RegistryError) Error() string {
	host := registryHost(e.Ref)
	switch e.Kind {
	case Unreachable:
		return fmt.Sprintf("Docker could not reach the registry %s for %s: connect this machine to the network (or set the daemon's proxy), or bring the images on a bundle from a machine that has them (%v).", host, e.Ref, e.Err)
	case Auth:
		return fmt.Sprintf("The registry %s refused %s without a sign-in: run `docker login %s` and try again, or check that the name is right (%v).", host, e.Ref, host, e.Err)
	case RateLimited:
		return fmt.Sprintf("The registry %s refuses more pulls of %s for now (rate limit): wait and try again, run `docker login %s` for a higher limit, or bring the images on a bundle (%v).", host, e.Ref, host, e.Err)
	case NotFound:
		return fmt.Sprintf("The registry %s has no %s: the course pins a tag or digest it does not hold; update dockertutor or the course pack, or check the pack's images (%v).", host, e.Ref, e.Err)
	default:
		return fmt.Sprintf("Docker could not pull %s: %v.", e.Ref, e.Err)
	}
}

// Classify turns the daemon's answer to a pull of ref into a
// RegistryError. The daemons word these differently (Docker 20.10 says
// "manifest unknown", the containerd image store "not found"; see the
// tests), so the words are matched besides the error's type.
func Classify(ref string, err error) *RegistryError {
	return &RegistryError{Kind: kindOf(ref, err), Ref: ref, Err: err}
}

func kindOf(ref string, err error) Kind {
	// The words are matched in what the daemon said about the pull, not
	// in the names it repeats: an image's own name or its registry's port
	// ("127.0.0.1:34297") must not read as a status ("429").
	msg := strings.ToLower(err.Error())
	if named, perr := reference.ParseNormalizedNamed(ref); perr == nil {
		msg = strings.ReplaceAll(msg, strings.ToLower(named.Name()), "")
	}
	msg = strings.ReplaceAll(msg, strings.ToLower(ref), "")
	has := func(words ...string) bool {
		for _, w := range words {
			if strings.Contains(msg, w) {
				return true
			}
		}
		return false
	}
	switch {
	case cerrdefs.IsResourceExhausted(err), has("toomanyrequests", "too many requests", "rate limit"):
		return RateLimited
	case cerrdefs.IsUnauthorized(err), cerrdefs.IsPermissionDenied(err),
		has("unauthorized", "authentication required", "no basic auth credentials", "access denied", "denied:", "authorization failed"):
		return Auth
	case has("connection refused", "no such host", "i/o timeout", "timeout", "timed out", "tls", "x509", "certificate",
		"network is unreachable", "no route to host", "connection reset", "server gave http response", "unexpected eof"):
		return Unreachable
	case cerrdefs.IsNotFound(err), has("manifest unknown", "not found", "name unknown"):
		return NotFound
	default:
		return Other
	}
}

// registryHost is the registry part of ref, "docker.io" for Docker Hub.
func registryHost(ref string) string {
	if named, err := reference.ParseNormalizedNamed(ref); err == nil {
		return reference.Domain(named)
	}
	return ref
}

// errNotAtPin is a pull that completed but left the tag elsewhere.
var errNotAtPin = errors.New("not at the pinned digest after the pull")

// ErrDaemonStopped is a pull the daemon stopped answering in the middle
// of: it was stopped or crashed. errors.Is finds it in a
// *DaemonStoppedError.
var ErrDaemonStopped = errors.New("the Docker daemon stopped answering")

// DaemonStoppedError is a pull cut off because the daemon went away (the
// connection to it broke mid-stream, or it no longer answers): not the
// registry's doing, and nothing was tagged.
type DaemonStoppedError struct {
	// Ref is the course's image whose pull was cut off.
	Ref string
	// Step is what the daemon was doing: "pull" when empty, or "load"
	// (from a bundle).
	Step string
	// Err is what the connection to the daemon said.
	Err error
}

func (e *DaemonStoppedError) Error() string {
	return fmt.Sprintf("Docker stopped answering during the %s of %s, so it was not tagged: start Docker again and run prepare again to finish.", e.During(), e.Ref)
}

// During is what the daemon was doing when it stopped: "pull" or "load".
func (e *DaemonStoppedError) During() string {
	if e.Step == "" {
		return "pull"
	}
	return e.Step
}

func (e *DaemonStoppedError) Unwrap() []error { return []error{ErrDaemonStopped, e.Err} }
