// Package bundle is the lab machines' offline copy of a course: one
// uncompressed tar (format dockertutor.bundle/1) holding the course pack,
// its pinned base images exactly as their registry served them, and
// trivy's vulnerability database. A part is read in place by its offset,
// never extracted, and every part's size and SHA-256 are in the manifest
// that comes first, so a cut or altered copy is refused naming the part.
//
// The images keep the registry's bytes (manifest JSON, compressed layers)
// because only a pull by digest gives an image its repository digest on
// the daemon: Registry serves them on loopback for the daemon to pull
// through, and DockerLoad is the fallback that loads them by tag alone.
package bundle

import (
	"fmt"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"

	"github.com/dockertutor/dockertutor/internal/digest"
)

// Format is the manifest's format string this package writes and reads.
const Format = "dockertutor.bundle/1"

// The names of the bundle's entries.
const (
	ManifestName = "dockertutor-bundle.json"
	LayoutName   = "images/oci-layout"
	IndexName    = "images/index.json"
	BlobDir      = "images/blobs/sha256/"
	CourseName   = "course.tar"
	TrivyDBName  = "trivy/db.tar.gz"
)

// maxManifestBytes bounds the first entry: a real manifest is a few
// kilobytes per image, and a damaged header must not make Open allocate
// gigabytes.
const maxManifestBytes = 16 << 20

// Manifest is the bundle's first entry.
type Manifest struct {
	Format  string    `json:"format"`
	Created time.Time `json:"created"`
	Course  Course    `json:"course"`
	Images  []Image   `json:"images"`
	Parts   []Part    `json:"parts"`
}

// Course names the course the bundle was made for.
type Course struct {
	ID    string `json:"id"`
	Title string `json:"title"`
}

// Image is one pinned base image in the bundle.
type Image struct {
	// Ref is the image by tag, as the course names it (alpine:3.22).
	Ref string `json:"ref"`
	// Digest is the repository digest the course pins: the manifest or
	// index the registry served, kept byte for byte.
	Digest string `json:"digest"`
	// Platforms are the os/arch[/variant] whose layers the bundle holds;
	// every platform's manifest JSON is kept, only these have blobs.
	Platforms []string `json:"platforms"`
}

// Part is one entry after the manifest, with the size and SHA-256 of its
// bytes.
type Part struct {
	Name   string `json:"name"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

// BlobPart is the part name of the blob with the given digest.
func BlobPart(digest string) string {
	return BlobDir + strings.TrimPrefix(digest, "sha256:")
}

// FormatError is a bundle this package cannot read: another format, or
// not a bundle at all.
type FormatError struct {
	Path   string
	Format string // the bundle's format, "" when it is not a bundle
	Reason string
}

func (e *FormatError) Error() string {
	if e.Format != "" {
		return fmt.Sprintf("%s is a bundle of format %q; this dockertutor reads %s: make the bundle again with this dockertutor's prepare --bundle, or use the dockertutor that made it", e.Path, e.Format, Format)
	}
	return fmt.Sprintf("%s is not a dockertutor bundle (%s): give the file prepare --bundle wrote", e.Path, e.Reason)
}

// PartError is a part of the bundle that is missing, cut short or altered.
type PartError struct {
	Part string
	// Got and Want are sizes for a part cut short (equal when the cut is
	// after the last part, before the archive's end), SHA-256 hex for an
	// altered one; both empty for a missing part.
	Got, Want string
	Kind      PartFault
}

// PartFault says what is wrong with a part.
type PartFault int

// The faults of a part.
const (
	PartMissing PartFault = iota
	PartCut
	PartAltered
)

func (e *PartError) Error() string {
	switch e.Kind {
	case PartCut:
		if e.Got == e.Want {
			return fmt.Sprintf("the bundle ends right after its part %s, without the end of the archive: the file was cut short in copying; copy it again", e.Part)
		}
		return fmt.Sprintf("part %s ends after %s of %s bytes: the file was cut short in copying; copy it again", e.Part, e.Got, e.Want)
	case PartAltered:
		return fmt.Sprintf("part %s has SHA-256 %s, not the %s the bundle lists: the file was altered or damaged in copying; copy it again", e.Part, digest.Short(e.Got), digest.Short(e.Want))
	default:
		return fmt.Sprintf("part %s is missing from the bundle: the file was cut short or damaged in copying; copy it again", e.Part)
	}
}

// PullRef is what a daemon pulls to get the image from the bundle's
// registry at hostPort. A docker.io image is pulled by its own pinned
// name (alpine:3.22@sha256:…) through the daemon's registry mirror, which
// gives it its repository digest; an image of another registry is pulled
// from hostPort/<repository>@<digest> and then tagged as Ref.
func (im Image) PullRef(hostPort string) (ref string, viaMirror bool, err error) {
	d, err := name.NewDigest(im.Ref + "@" + im.Digest)
	if err != nil {
		return "", false, fmt.Errorf("image %s@%s: %w", im.Ref, im.Digest, err)
	}
	if d.Context().RegistryStr() == name.DefaultRegistry {
		return im.Ref + "@" + im.Digest, true, nil
	}
	return hostPort + "/" + d.Context().RepositoryStr() + "@" + im.Digest, false, nil
}
