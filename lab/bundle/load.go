package bundle

import (
	"archive/tar"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/distribution/reference"
	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// DockerLoad is a `docker load` stream of the bundle's images for one
// platform (os/arch[/variant]), read from the bundle in place: the legacy
// layout (manifest.json, config, the registry's compressed layers, which
// both Docker 20.10 and the containerd store decompress themselves). It is
// the way in when the daemon's mirrors cannot be changed: the images then
// have their tags but no repository digest. manifest.json comes last and
// every part is checked as it is read, so a damaged part ends the stream
// with its *PartError before the daemon has an image to tag.
func (b *Bundle) DockerLoad(platform string) (io.ReadCloser, error) {
	want, err := v1.ParsePlatform(platform)
	if err != nil || want.OS == "" || want.Architecture == "" {
		return nil, fmt.Errorf("platform %q is not os/arch[/variant], such as linux/amd64", platform)
	}
	type loadImage struct {
		Config   string
		RepoTags []string
		Layers   []string
	}
	var images []loadImage
	var blobs []string
	seen := map[string]bool{}
	for _, im := range b.manifest.Images {
		m, err := b.platformManifest(im, *want)
		if err != nil {
			return nil, err
		}
		tag := im.Ref
		if n, err := reference.ParseNormalizedNamed(im.Ref); err == nil {
			tag = reference.FamiliarString(reference.TagNameOnly(n))
		}
		li := loadImage{Config: BlobPart(m.Config.Digest.String()), RepoTags: []string{tag}}
		for _, d := range append([]v1.Descriptor{m.Config}, m.Layers...) {
			p := BlobPart(d.Digest.String())
			if !b.Has(p) {
				return nil, &PartError{Part: p, Kind: PartMissing}
			}
			if d.Digest != m.Config.Digest {
				li.Layers = append(li.Layers, p)
			}
			if !seen[p] {
				seen[p] = true
				blobs = append(blobs, p)
			}
		}
		images = append(images, li)
	}
	manifest, err := json.Marshal(images)
	if err != nil {
		return nil, err
	}
	pr, pw := io.Pipe()
	go func() {
		tw := tar.NewWriter(pw)
		for _, p := range blobs {
			vr, _ := b.verifying(p)
			if err := tw.WriteHeader(entryHeader(p, b.parts[p].Size)); err != nil {
				pw.CloseWithError(err)
				return
			}
			if _, err := io.Copy(tw, vr); err != nil {
				pw.CloseWithError(err)
				return
			}
		}
		err := writeEntry(tw, "manifest.json", manifest)
		if err == nil {
			err = tw.Close()
		}
		pw.CloseWithError(err)
	}()
	return pr, nil
}

// platformManifest is the image's manifest for the platform, read and
// checked from the bundle.
func (b *Bundle) platformManifest(im Image, want v1.Platform) (*v1.Manifest, error) {
	kept := false
	for _, p := range im.Platforms {
		if have, err := v1.ParsePlatform(p); err == nil && platformMatches(*have, want) {
			kept = true
		}
	}
	if !kept {
		return nil, fmt.Errorf("the bundle has no %s layers for image %s (it has %v): make the bundle with --platform %s", want.String(), im.Ref, im.Platforms, want.String())
	}
	raw, err := b.readPart(BlobPart(im.Digest), maxManifestBlob)
	if err != nil {
		return nil, err
	}
	if mediaTypeOf(raw).IsIndex() {
		idx, err := v1.ParseIndexManifest(bytes.NewReader(raw))
		if err != nil {
			return nil, fmt.Errorf("image %s's index: %w", im.Ref, err)
		}
		var child string
		for _, c := range idx.Manifests {
			if c.Platform != nil && platformMatches(*c.Platform, want) && b.Has(BlobPart(c.Digest.String())) {
				child = c.Digest.String()
				break
			}
		}
		if child == "" {
			return nil, fmt.Errorf("image %s's index has no %s manifest in the bundle, though the bundle lists that platform: make the bundle again", im.Ref, want.String())
		}
		if raw, err = b.readPart(BlobPart(child), maxManifestBlob); err != nil {
			return nil, err
		}
	}
	m, err := v1.ParseManifest(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("image %s's manifest: %w", im.Ref, err)
	}
	if m.Config.Digest.Hex == "" {
		return nil, errors.New("image " + im.Ref + "'s manifest names no config")
	}
	return m, nil
}
