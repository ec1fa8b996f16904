package dockerfile

import (
	"fmt"
	"strings"

	"github.com/distribution/reference"
)

// Image is an image reference taken apart the way Docker reads it.
type Image struct {
	// Written is the reference as it reached the parser (after ARG expansion).
	Written string `json:"written"`
	// Reference is the fully qualified form, with the :latest Docker
	// implies when there is neither tag nor digest: docker.io/library/node:22.
	Reference string `json:"reference"`
	// Familiar is the short form Docker prints: node:22, node:latest.
	Familiar string `json:"familiar"`
	// Name is the familiar repository name without tag or digest: node,
	// bitnami/redis, localhost:5000/x.
	Name string `json:"name"`
	// Domain is the registry: docker.io, ghcr.io, localhost:5000.
	Domain string `json:"domain"`
	// Path is the repository path inside the registry: library/node.
	Path string `json:"path"`
	// Official is true for Docker Official Images (docker.io/library/…),
	// which have no publisher namespace.
	Official bool `json:"official"`
	Tag      Tag  `json:"tag"`
}

// officialDomain and officialNamespace are where Docker Official Images live.
const (
	officialDomain    = "docker.io"
	officialNamespace = "library/"
)

// ParseImage takes apart an image reference as Docker normalizes it
// (`node` is docker.io/library/node, no tag means latest) and classifies its
// tag. It fails on what Docker would refuse, with the reference library's
// reason (for example "repository name must be lowercase").
func ParseImage(ref string) (*Image, error) {
	named, err := reference.ParseNormalizedNamed(ref)
	if err != nil {
		return nil, fmt.Errorf("%q is not a valid image reference: %w", ref, err)
	}
	// A name alone means :latest; show it, since that is what Docker pulls.
	implied := reference.TagNameOnly(named)
	img := &Image{
		Written:   ref,
		Reference: implied.String(),
		Familiar:  reference.FamiliarString(implied),
		Name:      reference.FamiliarName(named),
		Domain:    reference.Domain(named),
		Path:      reference.Path(named),
	}
	if rest, ok := strings.CutPrefix(img.Path, officialNamespace); ok {
		img.Official = img.Domain == officialDomain && !strings.Contains(rest, "/")
	}
	var tag, digest string
	if tagged, ok := named.(reference.Tagged); ok {
		tag = tagged.Tag()
	}
	if digested, ok := named.(reference.Digested); ok {
		digest = digested.Digest().String()
	}
	img.Tag = classifyTag(tag, digest)
	return img, nil
}
