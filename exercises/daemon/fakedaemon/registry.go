package fakedaemon

import (
	"context"
	"fmt"
	"slices"
	"strings"

	cerrdefs "github.com/containerd/errdefs"

	"github.com/distribution/reference"
	"github.com/moby/moby/api/types/registry"
	"github.com/moby/moby/client"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/dockertutor/dockertutor/exercises/daemon"
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

// ImagePull is not something the in-memory daemon does: its registry
// holds tags and digests, not content. Pulls are tested on a real daemon
// against a real registry on loopback.
func (d *Daemon) ImagePull(ctx context.Context, ref string, _ client.ImagePullOptions) (client.ImagePullResponse, error) {
	if err := d.enter(ctx, "ImagePull"); err != nil {
		return nil, err
	}
	return nil, fmt.Errorf("pulling %s: the in-memory daemon does not pull: %w", ref, cerrdefs.ErrNotImplemented)
}

// ImageTag gives the image source names another name, taking the name
// from whatever image held it, as Docker does.
func (d *Daemon) ImageTag(ctx context.Context, options client.ImageTagOptions) (client.ImageTagResult, error) {
	if err := d.enter(ctx, "ImageTag"); err != nil {
		return client.ImageTagResult{}, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	img := d.image(options.Source)
	if img == nil {
		return client.ImageTagResult{}, NotFound("image", options.Source)
	}
	for _, other := range d.images {
		other.Tags = slices.DeleteFunc(other.Tags, func(t string) bool { return daemon.SameImage(t, options.Target) })
	}
	img.Tags = append(img.Tags, options.Target)
	return client.ImageTagResult{}, nil
}
