package fakedaemon

import (
	"context"
	"fmt"
	"strings"

	"github.com/distribution/reference"
	"github.com/moby/moby/api/types/registry"
	"github.com/moby/moby/client"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// Publish puts a tag in the fake registry behind the daemon: ref (node:22)
// points at the repository digest dgst, and DistributionInspect finds the
// tag and the digest. A registry that cannot be reached is
// FailOn("DistributionInspect", err).
func (d *Daemon) Publish(ref, dgst string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.registry == nil {
		d.registry = map[string]string{}
	}
	d.registry[normalRef(ref)] = dgst
}

func normalRef(ref string) string {
	if n, err := reference.ParseNormalizedNamed(ref); err == nil {
		return reference.TagNameOnly(n).String()
	}
	return ref
}

// DistributionInspect answers from what was published: a tag by its
// digest, a digest when some tag of the repository points at it.
func (d *Daemon) DistributionInspect(ctx context.Context, ref string, _ client.DistributionInspectOptions) (client.DistributionInspectResult, error) {
	if err := d.enter(ctx, "DistributionInspect"); err != nil {
		return client.DistributionInspectResult{}, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	n, err := reference.ParseNormalizedNamed(ref)
	if err != nil {
		return client.DistributionInspectResult{}, fmt.Errorf("invalid reference %q: %w", ref, err)
	}
	found := func(dg string) client.DistributionInspectResult {
		return client.DistributionInspectResult{DistributionInspect: registry.DistributionInspect{
			Descriptor: ocispec.Descriptor{MediaType: ocispec.MediaTypeImageIndex, Digest: digest.Digest(dg)}}}
	}
	if dg, ok := n.(reference.Digested); ok {
		for r, published := range d.registry {
			if published == dg.Digest().String() && strings.HasPrefix(r, n.Name()+":") {
				return found(published), nil
			}
		}
		return client.DistributionInspectResult{}, NotFound("manifest", ref)
	}
	if dg, ok := d.registry[normalRef(ref)]; ok {
		return found(dg), nil
	}
	return client.DistributionInspectResult{}, NotFound("manifest", ref)
}
