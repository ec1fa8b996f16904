package engine

import (
	"strings"

	"github.com/dockertutor/dockertutor/exercises/builder"
	"github.com/moby/moby/client"
)

// Podman serves the Docker API, and every exercise runs on it, but some
// things go another way there; doctor names the engine and says which.

// podmanProduct names Podman by its own component ("Podman 4.3.1"): its
// /version gives the host's platform ("linux/amd64/debian-12") where
// Docker gives the product.
func podmanProduct(ver client.ServerVersionResult) (string, bool) {
	for _, c := range ver.Components {
		if c.Name == "Podman Engine" {
			return strings.TrimSpace("Podman " + c.Version), true
		}
	}
	return "", false
}

// podmanDifferences is doctor's note on what differs on Podman: a
// warning, since every exercise runs, but a learner's `docker build
// --secret` does not.
func podmanDifferences(s *Server) Problem {
	name := s.Product
	if name == "" {
		name = "Podman"
	}
	return Problem{Class: ClassNoBuildKit, Severity: SeverityWarning,
		Message: "This is " + name + "'s Docker API, which has no BuildKit. What differs: the tutor builds secret mounts with Buildah, Podman's builder (r); " +
			"by hand, docker build --secret does not work on it (the buildx plugin's BuildKit session is refused, the legacy builder has no --secret), so build with podman build " + builder.PodmanSecret("ID", "VARIABLE") + " instead (a file: Podman's remote client sends an env= secret empty); " +
			"images loaded with podman load are named localhost/NAME:TAG, and short names find them; " +
			"Buildah writes an ARG's default value into the history only beside the RUN steps after it.",
		Fixes: perOS(func(string) []Fix {
			return []Fix{{Text: "Build a secret mount by hand with Podman's own secret support", Command: "podman build " + builder.PodmanSecret("repo", "REPO_TOKEN") + " -t IMAGE ."}}
		})}
}

// podmanServer says whether doctor found Podman: no plugin of the docker
// CLI builds a secret mount there, so the CLI's builder is not a problem
// to fix.
func podmanServer(s *Server) bool {
	return s != nil && strings.HasPrefix(s.Product, "Podman ")
}
