package bundle

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"

	"github.com/distribution/reference"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// LoadOptions picks what a DockerLoad stream holds.
type LoadOptions struct {
	// Refs are the images to load, by their refs in the manifest; all the
	// bundle's when empty.
	Refs []string
	// Untagged loads them under no name: the daemon has their layers and
	// config, and a pull by digest through the bundle's registry then
	// fetches only the manifest and gives the tag its repository digest.
	Untagged bool
	// CheckedByDaemon leaves the checking of the parts to the daemon,
	// which does it anyway: it takes a layer only if its content matches
	// the diff ID in the image's config, and names the image by the
	// config's own SHA-256, which the pull by digest after the load
	// compares with the manifest's. The stream is then the bundle's bytes
	// read in place with nothing between: hashing them as well, even
	// beside the load, takes CPU the daemon's load wants. A caller whose
	// load fails hashes the parts (Verify) to name the damaged one.
	CheckedByDaemon bool
}

// LoadStream is a `docker load` stream and the parts it carries, in the
// stream's order.
type LoadStream struct {
	io.ReadCloser
	// Size is the bytes of all its parts, for a progress bar.
	Size  int64
	Parts []LoadPart
}

// LoadPart is one part in a load stream and the image it is loaded for
// (the first that has it, when images share a layer).
type LoadPart struct {
	Name string
	Size int64
	Ref  string
}

// DockerLoad is a `docker load` stream of the bundle's images for one
// platform (os/arch[/variant]), read from the bundle in place: the legacy
// layout (manifest.json, config, the registry's compressed layers, which
// both Docker 20.10 and the containerd store decompress themselves).
// manifest.json comes last and every part is checked as it is read, so a
// damaged part ends the stream with its *PartError before the daemon has
// an image to tag.
//
// Tagged, it is the way in when the daemon's mirrors cannot be changed:
// the images then have their tags but no repository digest. Untagged, it
// is the first half of readying a machine: loading is the daemon's
// fastest way to take the layers in, and the pull by digest after it
// fetches only manifests.
func (b *Bundle) DockerLoad(platform string, opts LoadOptions) (*LoadStream, error) {
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
	var blobs []LoadPart
	var size int64
	seen := map[string]bool{}
	for _, ref := range opts.Refs {
		if !slices.ContainsFunc(b.manifest.Images, func(im Image) bool { return im.Ref == ref }) {
			return nil, fmt.Errorf("the bundle has no image %s", ref)
		}
	}
	for _, im := range b.manifest.Images {
		if len(opts.Refs) > 0 && !slices.Contains(opts.Refs, im.Ref) {
			continue
		}
		m, err := b.platformManifest(im, *want)
		if err != nil {
			return nil, err
		}
		li := loadImage{Config: BlobPart(m.Config.Digest.String()), RepoTags: []string{}}
		if !opts.Untagged {
			tag := im.Ref
			if n, err := reference.ParseNormalizedNamed(im.Ref); err == nil {
				tag = reference.FamiliarString(reference.TagNameOnly(n))
			}
			li.RepoTags = []string{tag}
		}
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
				blobs = append(blobs, LoadPart{Name: p, Size: b.parts[p].Size, Ref: im.Ref})
				size += b.parts[p].Size
			}
		}
		images = append(images, li)
	}
	manifest, err := json.Marshal(images)
	if err != nil {
		return nil, err
	}
	tail := map[string][]byte{"manifest.json": manifest}
	return b.loadStream(blobs, size, sameName, tail, !opts.CheckedByDaemon)
}

// sameName names a part's entry in a load stream as in the bundle.
func sameName(part string) string { return part }

// loadStream is a load stream of the parts, each under the entry name as
// gives it, then the entries of tail (manifest.json, index.json) and the
// tar's end: the daemon makes images only once it has read those. The
// parts' bytes are read in place from the bundle file, with no goroutine
// and no copy between the file and the daemon. checked hashes the parts
// beside that, on the other cores, and lets the tail through only once
// every one matched; a damaged part ends the stream with its *PartError
// instead, before the daemon has an image to make. (Hashed inline, on the
// daemon's path, it slowed a 150 MiB load by a tenth; beside it, by a
// thirtieth.)
func (b *Bundle) loadStream(parts []LoadPart, size int64, as func(string) string, tail map[string][]byte, checked bool) (*LoadStream, error) {
	ctx, cancel := context.WithCancel(context.Background())
	var gate io.Reader
	if checked {
		names := make([]string, len(parts))
		for i, p := range parts {
			names[i] = p.Name
		}
		hashed := make(chan error, 1)
		go func() { hashed <- b.verifyParts(ctx, names, nil) }()
		gate = hashGate{hashed}
	}
	r, err := b.inPlace(parts, as, tail, gate)
	if err != nil {
		cancel()
		return nil, err
	}
	return &LoadStream{ReadCloser: cancelOnClose{r, cancel}, Size: size, Parts: parts}, nil
}

// hashGate ends (io.EOF) once the parts' hashes all matched, or fails
// with the first that did not.
type hashGate struct{ hashed <-chan error }

func (g hashGate) Read([]byte) (int, error) {
	if err := <-g.hashed; err != nil {
		return 0, err
	}
	return 0, io.EOF
}

// cancelOnClose is a stream whose Close stops the hashing beside it.
type cancelOnClose struct {
	io.Reader
	cancel context.CancelFunc
}

func (c cancelOnClose) Close() error {
	c.cancel()
	return nil
}

// inPlace is the parts read in place, each under the entry name that as
// gives it, then gate (when not nil), then the entries of tail and the
// tar's end.
func (b *Bundle) inPlace(parts []LoadPart, as func(part string) string, tail map[string][]byte, gate io.Reader) (io.Reader, error) {
	var rs []io.Reader
	for _, p := range parts {
		var hdr bytes.Buffer
		// WriteHeader writes the header's blocks at once; the part's
		// bytes follow from the file.
		if err := tar.NewWriter(&hdr).WriteHeader(entryHeader(as(p.Name), p.Size)); err != nil {
			return nil, err
		}
		r, _, _ := b.section(p.Name)
		rs = append(rs, &hdr, r)
		if pad := (blockSize - p.Size%blockSize) % blockSize; pad > 0 {
			rs = append(rs, bytes.NewReader(make([]byte, pad)))
		}
	}
	var end bytes.Buffer
	tw := tar.NewWriter(&end)
	for _, name := range slices.Sorted(maps.Keys(tail)) {
		if err := writeEntry(tw, name, tail[name]); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	if gate != nil {
		rs = append(rs, gate)
	}
	return io.MultiReader(append(rs, &end)...), nil
}

// blockSize is a tar block: every entry's bytes are padded to it.
const blockSize = 512

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

// OCILoad is a `docker load` stream of the images of refs as an OCI image
// layout, for a daemon with the containerd image store: every blob the
// bundle holds for them, each checked as it is read, then oci-layout and
// index.json naming each image by its full reference
// (io.containerd.image.name) at the digest the bundle pins. The
// containerd store takes an image loaded so under its name at that
// digest, which is its repository digest: a FROM pinned by digest then
// builds offline with no pull. platform is the daemon's: the bundle must
// hold its layers.
func (b *Bundle) OCILoad(platform string, refs []string) (*LoadStream, error) {
	want, err := v1.ParsePlatform(platform)
	if err != nil || want.OS == "" || want.Architecture == "" {
		return nil, fmt.Errorf("platform %q is not os/arch[/variant], such as linux/amd64", platform)
	}
	index := v1.IndexManifest{SchemaVersion: 2, MediaType: types.OCIImageIndex}
	var parts []LoadPart
	var size int64
	seen := map[string]bool{}
	add := func(digest, ref string) error {
		p := BlobPart(digest)
		if !b.Has(p) {
			return &PartError{Part: p, Kind: PartMissing}
		}
		if !seen[p] {
			seen[p] = true
			parts = append(parts, LoadPart{Name: p, Size: b.parts[p].Size, Ref: ref})
			size += b.parts[p].Size
		}
		return nil
	}
	for _, ref := range refs {
		im, ok := b.image(ref)
		if !ok {
			return nil, fmt.Errorf("the bundle has no image %s", ref)
		}
		// The platform's layers must be here; the blobs of the others
		// the bundle holds go too, as the image was pulled with them.
		wanted, err := b.platformManifest(im, *want)
		if err != nil {
			return nil, err
		}
		named, err := reference.ParseNormalizedNamed(im.Ref)
		if err != nil {
			return nil, fmt.Errorf("image %s: %w", im.Ref, err)
		}
		named = reference.TagNameOnly(named)
		top, err := b.readPart(BlobPart(im.Digest), maxManifestBlob)
		if err != nil {
			return nil, err
		}
		desc := v1.Descriptor{MediaType: mediaTypeOf(top), Size: int64(len(top)), Annotations: map[string]string{
			"io.containerd.image.name":          named.String(),
			"org.opencontainers.image.ref.name": named.(reference.Tagged).Tag(),
		}}
		if desc.Digest, err = v1.NewHash(im.Digest); err != nil {
			return nil, fmt.Errorf("image %s: %w", im.Ref, err)
		}
		index.Manifests = append(index.Manifests, desc)
		manifests := [][]byte{top}
		if desc.MediaType.IsIndex() {
			idx, err := v1.ParseIndexManifest(bytes.NewReader(top))
			if err != nil {
				return nil, fmt.Errorf("image %s's index: %w", im.Ref, err)
			}
			manifests = nil
			for _, c := range idx.Manifests {
				if !b.Has(BlobPart(c.Digest.String())) {
					continue // a platform the bundle was not made for
				}
				raw, err := b.readPart(BlobPart(c.Digest.String()), maxManifestBlob)
				if err != nil {
					return nil, err
				}
				manifests = append(manifests, raw)
			}
		}
		if err := add(im.Digest, im.Ref); err != nil {
			return nil, err
		}
		var kept [][]byte
		for _, raw := range manifests {
			m, err := v1.ParseManifest(bytes.NewReader(raw))
			if err != nil {
				return nil, fmt.Errorf("image %s's manifest: %w", im.Ref, err)
			}
			blobs := append([]v1.Descriptor{m.Config}, m.Layers...)
			whole := m.Config.Digest.Hex != "" && !slices.ContainsFunc(blobs, func(d v1.Descriptor) bool { return !b.Has(BlobPart(d.Digest.String())) })
			if m.Config.Digest != wanted.Config.Digest && !whole {
				// Another platform's manifest, or an attestation, whose
				// blobs the bundle does not hold: the index names it, the
				// daemon does not need it.
				continue
			}
			for _, d := range blobs {
				if err := add(d.Digest.String(), im.Ref); err != nil {
					return nil, err
				}
			}
			kept = append(kept, raw)
		}
		for _, raw := range kept {
			h, _, err := v1.SHA256(bytes.NewReader(raw))
			if err != nil {
				return nil, err
			}
			if err := add(h.String(), im.Ref); err != nil {
				return nil, err
			}
		}
	}
	indexJSON, err := json.Marshal(index)
	if err != nil {
		return nil, err
	}
	// The containerd store takes a blob without hashing it, so the
	// stream is checked.
	tail := map[string][]byte{"oci-layout": []byte(`{"imageLayoutVersion":"1.0.0"}`), "index.json": indexJSON}
	return b.loadStream(parts, size, func(part string) string { return strings.TrimPrefix(part, "images/") }, tail, true)
}

// image is the bundle's image of ref.
func (b *Bundle) image(ref string) (Image, bool) {
	for _, im := range b.manifest.Images {
		if im.Ref == ref {
			return im, true
		}
	}
	return Image{}, false
}
