package lessons

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"regexp"
	"strings"

	"github.com/distribution/reference"
)

// Namespace keeps one user's Docker objects of a course apart from
// everyone else's on the same daemon: the image names a course's steps use
// and the names and labels of what the tutor creates are all derived from
// it, and reset and cleanup remove only what is in it.
//
// A learner's namespace is named by their learner id ("alice-3f9a2c"); a
// proof run's or a test's by a private name ("dtproof-1a2b3c4d5e6f"). The
// name goes in front of every image path and container name and on a
// label, so two learners on one daemon, or a proof run beside a learner,
// never see, pass with, or remove each other's objects. The zero
// Namespace has no name: the course's names as written
// (dockertutor/tokenrun), for a pack read without a learner.
type Namespace struct {
	name string
}

// namespaceName is what a namespace name may be: one path component of an
// image name, and a part of a container name.
var namespaceName = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)

// maxNamespaceName keeps the names derived from it well below Docker's
// limits.
const maxNamespaceName = 40

// NamedNamespace is the namespace of the given name, which must be
// lowercase letters and digits in hyphen-separated words.
func NamedNamespace(name string) (Namespace, error) {
	if len(name) > maxNamespaceName || !namespaceName.MatchString(name) {
		return Namespace{}, fmt.Errorf("namespace %q: use lowercase letters and digits in words joined by single hyphens, at most %d characters", name, maxNamespaceName)
	}
	return Namespace{name: name}, nil
}

// PrivateNamespace is a fresh namespace nobody else uses: prefix, a
// hyphen, and 12 random hex digits ("dtproof-1a2b3c4d5e6f").
func PrivateNamespace(prefix string) (Namespace, error) {
	b := make([]byte, 6)
	if _, err := rand.Read(b); err != nil {
		return Namespace{}, fmt.Errorf("cannot make a namespace name: %w", err)
	}
	return NamedNamespace(prefix + "-" + hex.EncodeToString(b))
}

// IsZero reports whether the namespace has no name, so that names are the
// course's as written.
func (n Namespace) IsZero() bool { return n.name == "" }

// String is the namespace's name, "" for the zero one. It is the value of
// the namespace label on what the tutor creates.
func (n Namespace) String() string { return n.name }

// Image is the name the image called name has in this namespace. The
// namespace goes in front of the repository path (after the registry, if
// any) and the tag stays: dockertutor/tokenrun:1 becomes
// dtproof-1a2b3c4d5e6f/dockertutor/tokenrun:1. Names already in the
// namespace, names pinned by digest (content, which nobody creates) and
// names Docker would refuse are returned as they are; applying Image twice
// is applying it once.
func (n Namespace) Image(name string) string {
	if n.name == "" {
		return name
	}
	named, err := reference.ParseNormalizedNamed(name)
	if err != nil {
		return name
	}
	if _, ok := named.(reference.Digested); ok {
		return name
	}
	if n.ownsNamed(named) {
		return name
	}
	domain, path := reference.Domain(named), reference.Path(named)
	if domain == "docker.io" {
		path = strings.TrimPrefix(path, "library/")
		domain = ""
	} else {
		domain += "/"
	}
	out := domain + n.name + "/" + path
	if t, ok := named.(reference.Tagged); ok {
		out += ":" + t.Tag()
	}
	return out
}

// OwnsImage reports whether an image name is in the namespace: its
// repository path begins with the namespace's name. The zero namespace
// owns no name, and neither does a name Docker would refuse.
func (n Namespace) OwnsImage(name string) bool {
	named, err := reference.ParseNormalizedNamed(name)
	return err == nil && n.name != "" && n.ownsNamed(named)
}

// OwnsContainer reports whether a container name is in the namespace: one
// the tutor gives (ContainerName) or one the course's text has the learner
// give by hand, which begins with their id ("alice-3f9a2c-tokenapp").
// Docker's leading slash is allowed. The zero namespace owns none.
func (n Namespace) OwnsContainer(name string) bool {
	name = strings.TrimPrefix(name, "/")
	return n.name != "" && (strings.HasPrefix(name, n.name+"-") || strings.HasPrefix(name, "dockertutor-"+n.name+"-"))
}

func (n Namespace) ownsNamed(named reference.Named) bool {
	first, _, _ := strings.Cut(reference.Path(named), "/")
	return first == n.name
}

// ContainerName is the name of the container the tutor runs for a step:
// stable within the namespace, so the next run of the step finds and
// replaces it ("dockertutor-alice-3f9a2c-image-security-run-with-token";
// "dockertutor-image-security-run-with-token" in the zero namespace).
func (n Namespace) ContainerName(course, step string) string {
	parts := []string{"dockertutor"}
	if n.name != "" {
		parts = append(parts, n.name)
	}
	for _, s := range []string{course, step} {
		parts = append(parts, strings.Trim(nameUnsafe.ReplaceAllString(strings.ToLower(s), "-"), "-."))
	}
	return strings.Join(parts, "-")
}

var nameUnsafe = regexp.MustCompile(`[^a-z0-9_.-]+`)

// SharedImage reports whether an image name is one of the course's base
// images (any tag of their repositories). Every namespace shares them:
// they are never renamed, and never removed by the tutor.
func (c *Course) SharedImage(name string) bool {
	named, err := reference.ParseNormalizedNamed(name)
	if err != nil {
		return false
	}
	for _, img := range c.Images {
		if base, err := reference.ParseNormalizedNamed(img.Ref); err == nil && base.Name() == named.Name() {
			return true
		}
	}
	return false
}
