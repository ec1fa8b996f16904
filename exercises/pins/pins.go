// Package pins decides whether a course's base image is on a daemon at the
// repository digest the course pins (Inspect), and fetches it there
// through the daemon (Pull): by digest, so the daemon verifies what it
// fetches, and tagged only once the pull completed.
package pins

import (
	"context"
	"fmt"
	"slices"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/distribution/reference"
	"github.com/opencontainers/go-digest"

	"github.com/dockertutor/dockertutor/exercises/daemon"
	"github.com/dockertutor/dockertutor/lessons"
)

// State is where a daemon stands with one pinned image.
type State string

const (
	// AtPin: the tag is there and its image has the pinned repository
	// digest among its RepoDigests.
	AtPin State = "pinned"
	// OtherDigest: the tag is there at another digest, or with no
	// repository digest at all (as after `docker load` on Docker 20.10).
	OtherDigest State = "other-digest"
	// Present: the pack pins no digest and the tag is there.
	Present State = "present"
	// Missing: the tag is not there.
	Missing State = "missing"
	// Unknown: the daemon's answer did not decide it.
	Unknown State = "unknown"
)

// States are every State, in the order a summary names them.
var States = []State{AtPin, Present, OtherDigest, Missing, Unknown}

// Ready says the image is there as the course wants it: at its pin, or
// under its tag when the pack pins none.
func (s State) Ready() bool { return s == AtPin || s == Present }

// Tagged says the tag is on the daemon, at whatever digest.
func (s State) Tagged() bool { return s == AtPin || s == Present || s == OtherDigest }

// Status is one pinned image on a daemon.
type Status struct {
	// Ref and Digest are the course's: the tag and the pinned repository
	// digest ("" when the pack pins none).
	Ref    string `json:"ref"`
	Digest string `json:"digest,omitempty"`
	State  State  `json:"state"`
	// ID is the image the tag names, when it is there.
	ID string `json:"id,omitempty"`
	// RepoDigests are that image's, as the daemon lists them: the digests
	// it was pulled or pushed at.
	RepoDigests []string `json:"repoDigests,omitempty"`
	// Error is the daemon's answer when State is Unknown.
	Error string `json:"error,omitempty"`
}

// Inspect asks the daemon for img's tag and decides its State. A daemon
// error is State Unknown with the error, never a panic or a guess.
func Inspect(ctx context.Context, api daemon.ImageInspector, img lessons.BaseImage) Status {
	st := Status{Ref: img.Ref, Digest: img.Digest}
	res, err := api.ImageInspect(ctx, img.Ref)
	switch {
	case cerrdefs.IsNotFound(err):
		st.State = Missing
		return st
	case err != nil:
		st.State, st.Error = Unknown, err.Error()
		return st
	}
	st.ID, st.RepoDigests = res.ID, slices.Clone(res.RepoDigests)
	switch {
	case img.Digest == "":
		st.State = Present
	case HasDigest(res.RepoDigests, img.Ref, img.Digest):
		st.State = AtPin
	default:
		st.State = OtherDigest
	}
	return st
}

// HasDigest says whether repoDigests (an image's, "name@sha256:…") hold
// ref's repository at digest. Names compare normalized, as Docker names
// them: "alpine@sha256:x" is "docker.io/library/alpine@sha256:x".
func HasDigest(repoDigests []string, ref, digest string) bool {
	want, err := reference.ParseNormalizedNamed(ref)
	if err != nil {
		return false
	}
	for _, rd := range repoDigests {
		got, err := reference.ParseNormalizedNamed(rd)
		if err != nil {
			continue
		}
		if d, ok := got.(reference.Digested); ok && got.Name() == want.Name() && d.Digest().String() == digest {
			return true
		}
	}
	return false
}

// OtherDigests are the digests repoDigests hold for ref's repository:
// where a tag at another digest came from, for doctor to name.
func OtherDigests(repoDigests []string, ref string) []string {
	want, err := reference.ParseNormalizedNamed(ref)
	if err != nil {
		return nil
	}
	var out []string
	for _, rd := range repoDigests {
		got, err := reference.ParseNormalizedNamed(rd)
		if err != nil {
			continue
		}
		if d, ok := got.(reference.Digested); ok && got.Name() == want.Name() {
			out = append(out, d.Digest().String())
		}
	}
	return out
}

// pinnedName is the reference the daemon pulls: the tag's repository at
// the pinned digest ("alpine@sha256:…"), in the short form Docker shows.
func pinnedName(img lessons.BaseImage) (string, error) {
	named, err := reference.ParseNormalizedNamed(img.Ref)
	if err != nil {
		return "", fmt.Errorf("%s is not an image reference: %w", img.Ref, err)
	}
	if img.Digest == "" {
		return reference.FamiliarString(reference.TagNameOnly(named)), nil
	}
	d, err := reference.WithDigest(reference.TrimNamed(named), digest.Digest(img.Digest))
	if err != nil {
		return "", fmt.Errorf("%s pins %q, which is not a digest: %w", img.Ref, img.Digest, err)
	}
	return reference.FamiliarString(d), nil
}
