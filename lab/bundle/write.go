package bundle

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/dockertutor/dockertutor/exercises/check"
	"github.com/dockertutor/dockertutor/internal/digest"
	"github.com/dockertutor/dockertutor/lessons"
)

// Options say what a bundle holds and where its images come from.
type Options struct {
	Course   Course
	CourseFS fs.FS
	// Pins are the course's base images, each by tag and digest.
	Pins []lessons.BaseImage
	// Platforms are the os/arch[/variant] whose layers are kept (the
	// lab machines' daemons'); every platform's manifest JSON is kept.
	Platforms []string
	// Mirrors are the connected daemon's registry mirrors
	// (http://host:port), tried before docker.io for docker.io images.
	Mirrors []string
	// TrivyCacheDir, when not empty, is a trivy cache folder whose
	// database goes into the bundle.
	TrivyCacheDir string
	// Progress, when set, is told each part's bytes as they are written.
	Progress func(Progress)
	// Keychain answers registries' logins; nil is the docker CLI's config.
	Keychain authn.Keychain
	// Created is the manifest's time; zero is now.
	Created time.Time
}

// Progress is how far the writing of one part has come.
type Progress struct {
	Image       string // the image the part belongs to, "" for the others
	Part        string
	Done, Total int64
}

// part is one entry to write: its listing and where its bytes come from.
type part struct {
	Part
	image string
	data  []byte                                       // small parts, held
	open  func(context.Context) (io.ReadCloser, error) // blobs, fetched as written
}

// WriteFile writes the bundle to path through a temporary file beside it,
// renamed only once complete: an error or Ctrl+C leaves no half bundle.
func WriteFile(ctx context.Context, path string, opts Options) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.partial")
	if err != nil {
		return err
	}
	done := false
	defer func() {
		if !done {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err := Write(ctx, tmp, opts); err != nil {
		return err
	}
	// CreateTemp makes the file for its owner alone; a bundle is for copying.
	if err := tmp.Chmod(0o644); err != nil {
		return err
	}
	if err := tmp.Sync(); err != nil {
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	done = true
	return nil
}

// Write writes a bundle to w. The images' manifests and configs are
// fetched first (they are small and give every blob's size and digest),
// so the manifest can lead the file; the layers are then streamed from
// the registry into the tar and checked against their digest as they go.
func Write(ctx context.Context, w io.Writer, opts Options) error {
	if len(opts.Platforms) == 0 {
		return errors.New("a bundle needs at least one platform (such as linux/amd64) to keep layers for")
	}
	wanted := make([]v1.Platform, 0, len(opts.Platforms))
	for _, p := range opts.Platforms {
		pl, err := v1.ParsePlatform(p)
		if err != nil || pl.OS == "" || pl.Architecture == "" {
			return fmt.Errorf("platform %q is not os/arch[/variant], such as linux/amd64", p)
		}
		wanted = append(wanted, *pl)
	}
	keychain := opts.Keychain
	if keychain == nil {
		keychain = authn.DefaultKeychain
	}

	plan := &plan{seen: map[string]bool{}}
	images := []Image{}
	index := []v1.Descriptor{}
	for _, pin := range opts.Pins {
		im, desc, err := plan.image(ctx, pin, wanted, opts.Mirrors, keychain)
		if err != nil {
			return err
		}
		images = append(images, im)
		index = append(index, desc)
	}
	layout, _ := json.Marshal(map[string]string{"imageLayoutVersion": "1.0.0"})
	indexJSON, err := json.MarshalIndent(v1.IndexManifest{SchemaVersion: 2, MediaType: types.OCIImageIndex, Manifests: index}, "", "  ")
	if err != nil {
		return err
	}
	if opts.CourseFS == nil {
		return errors.New("a bundle needs its course pack")
	}
	course, err := courseTar(opts.CourseFS)
	if err != nil {
		return err
	}
	head := []part{held(LayoutName, layout), held(IndexName, indexJSON), held(CourseName, course)}
	parts := append(head, plan.parts...)

	if opts.TrivyCacheDir != "" {
		db, err := os.CreateTemp("", "dockertutor-trivy-*.tar.gz")
		if err != nil {
			return err
		}
		defer os.Remove(db.Name())
		defer db.Close()
		h := sha256.New()
		if err := writeTrivyDB(io.MultiWriter(db, h), opts.TrivyCacheDir); err != nil {
			return err
		}
		size, err := db.Seek(0, io.SeekCurrent)
		if err != nil {
			return err
		}
		name := db.Name()
		parts = append(parts, part{Part: Part{Name: TrivyDBName, Size: size, SHA256: hex.EncodeToString(h.Sum(nil))},
			open: func(context.Context) (io.ReadCloser, error) { return os.Open(name) }})
	}

	created := opts.Created
	if created.IsZero() {
		created = time.Now()
	}
	m := Manifest{Format: Format, Created: created.UTC().Truncate(time.Second), Course: opts.Course, Images: images}
	for _, p := range parts {
		m.Parts = append(m.Parts, p.Part)
	}
	manifest, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}

	tw := tar.NewWriter(w)
	if err := writeEntry(tw, ManifestName, manifest); err != nil {
		return err
	}
	buf := make([]byte, 1<<20)
	for _, p := range parts {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := tw.WriteHeader(entryHeader(p.Name, p.Size)); err != nil {
			return err
		}
		if p.data != nil {
			if _, err := tw.Write(p.data); err != nil {
				return err
			}
			report(opts.Progress, p, p.Size)
			continue
		}
		if err := copyPart(ctx, tw, p, buf, opts.Progress); err != nil {
			return err
		}
	}
	return tw.Close()
}

// copyPart streams a fetched part into the tar, refusing bytes that are
// not the listed ones before the tar could hold them as if they were.
func copyPart(ctx context.Context, w io.Writer, p part, buf []byte, progress func(Progress)) error {
	rc, err := p.open(ctx)
	if err != nil {
		return fmt.Errorf("fetch %s of %s: %w", p.Name, p.image, err)
	}
	defer rc.Close()
	h := sha256.New()
	var done int64
	for done < p.Size {
		n, err := rc.Read(buf[:min(int64(len(buf)), p.Size-done)])
		if n > 0 {
			h.Write(buf[:n])
			if _, werr := w.Write(buf[:n]); werr != nil {
				return werr
			}
			done += int64(n)
			report(progress, p, done)
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("fetch %s of %s: %w", p.Name, p.image, err)
		}
	}
	if done != p.Size {
		return fmt.Errorf("the registry sent %d of the %d bytes of %s of %s: try again", done, p.Size, p.Name, p.image)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != p.SHA256 {
		return fmt.Errorf("the registry sent %s of %s with SHA-256 %s, not its digest: try again, or from another registry mirror", p.Name, p.image, digest.Short(got))
	}
	return nil
}

func report(progress func(Progress), p part, done int64) {
	if progress != nil {
		progress(Progress{Image: p.image, Part: p.Name, Done: done, Total: p.Size})
	}
}

func held(name string, data []byte) part {
	sum := sha256.Sum256(data)
	return part{Part: Part{Name: name, Size: int64(len(data)), SHA256: hex.EncodeToString(sum[:])}, data: data}
}

func entryHeader(name string, size int64) *tar.Header {
	return &tar.Header{Name: name, Size: size, Mode: 0o644, Typeflag: tar.TypeReg, ModTime: time.Unix(0, 0), Format: tar.FormatPAX}
}

func writeEntry(tw *tar.Writer, name string, data []byte) error {
	if err := tw.WriteHeader(entryHeader(name, int64(len(data)))); err != nil {
		return err
	}
	_, err := tw.Write(data)
	return err
}

// plan gathers the parts of the images: manifests and configs held,
// layers to fetch, each blob once however many images share it.
type plan struct {
	parts []part
	seen  map[string]bool
}

// source is where an image is fetched from: a mirror or its registry.
type source struct {
	repo  name.Repository
	label string
	opts  []remote.Option
}

func (pl *plan) image(ctx context.Context, pin lessons.BaseImage, wanted []v1.Platform, mirrors []string, keychain authn.Keychain) (Image, v1.Descriptor, error) {
	if pin.Digest == "" {
		return Image{}, v1.Descriptor{}, fmt.Errorf("image %s has no digest pin: a bundle holds images by digest; pin it in the course's images", pin.Ref)
	}
	ref, err := name.NewDigest(pin.Ref + "@" + pin.Digest)
	if err != nil {
		return Image{}, v1.Descriptor{}, fmt.Errorf("image %s@%s: %w", pin.Ref, pin.Digest, err)
	}
	sources := sourcesOf(ctx, ref.Context(), mirrors, keychain)
	if len(sources) == 0 {
		return Image{}, v1.Descriptor{}, fmt.Errorf("image %s: %s is switched off by %s and the daemon has no registry mirror to fetch it from", pin.Ref, ref.Context().RegistryStr(), check.OfflineRegistriesEnv)
	}
	var errs []string
	for _, src := range sources {
		im, desc, err := pl.imageFrom(src, pin, ref.DigestStr(), wanted)
		if err == nil {
			return im, desc, nil
		}
		if ctx.Err() != nil {
			return Image{}, v1.Descriptor{}, ctx.Err()
		}
		errs = append(errs, src.label+": "+err.Error())
	}
	return Image{}, v1.Descriptor{}, fmt.Errorf("fetch %s: %s", pin.Pinned(), strings.Join(errs, "; "))
}

// sourcesOf lists the daemon's mirrors first for a docker.io image, then
// the image's own registry unless lookups there are switched off.
func sourcesOf(ctx context.Context, repo name.Repository, mirrors []string, keychain authn.Keychain) []source {
	opts := []remote.Option{remote.WithContext(ctx), remote.WithAuthFromKeychain(keychain)}
	var out []source
	if repo.RegistryStr() == name.DefaultRegistry {
		for _, m := range mirrors {
			u, err := url.Parse(m)
			if err != nil || u.Host == "" {
				continue
			}
			var nopts []name.Option
			if u.Scheme == "http" {
				nopts = append(nopts, name.Insecure)
			}
			mr, err := name.NewRepository(u.Host+"/"+repo.RepositoryStr(), nopts...)
			if err != nil {
				continue
			}
			out = append(out, source{repo: mr, label: "mirror " + m, opts: opts})
		}
	}
	domain := repo.RegistryStr()
	if domain == name.DefaultRegistry {
		domain = "docker.io"
	}
	if !check.RegistryOffline(domain) {
		out = append(out, source{repo: repo, label: domain, opts: opts})
	}
	return out
}

func (pl *plan) imageFrom(src source, pin lessons.BaseImage, digest string, wanted []v1.Platform) (Image, v1.Descriptor, error) {
	root, err := pl.manifest(src, digest)
	if err != nil {
		return Image{}, v1.Descriptor{}, err
	}
	start := len(pl.parts)
	undo := func() {
		for _, p := range pl.parts[start:] {
			delete(pl.seen, p.Name)
		}
		pl.parts = pl.parts[:start]
	}
	im := Image{Ref: pin.Ref, Digest: digest}
	desc := v1.Descriptor{MediaType: root.mediaType, Size: int64(len(root.raw)), Digest: v1.Hash{Algorithm: "sha256", Hex: strings.TrimPrefix(digest, "sha256:")},
		Annotations: map[string]string{"org.opencontainers.image.ref.name": pin.Ref}}
	pl.hold(pin.Ref, digest, root.raw)

	if !root.mediaType.IsIndex() {
		p, err := pl.imageBlobs(src, pin.Ref, root.raw)
		if err != nil {
			undo()
			return Image{}, v1.Descriptor{}, err
		}
		im.Platforms = []string{p}
		return im, desc, nil
	}
	idx, err := v1.ParseIndexManifest(bytes.NewReader(root.raw))
	if err != nil {
		undo()
		return Image{}, v1.Descriptor{}, fmt.Errorf("index %s: %w", digest, err)
	}
	var have []string
	for _, child := range idx.Manifests {
		m, err := pl.manifest(src, child.Digest.String())
		if err != nil {
			undo()
			return Image{}, v1.Descriptor{}, err
		}
		pl.hold(pin.Ref, child.Digest.String(), m.raw)
		if child.Platform == nil || m.mediaType.IsIndex() {
			continue
		}
		have = append(have, child.Platform.String())
		if !slices.ContainsFunc(wanted, func(w v1.Platform) bool { return platformMatches(*child.Platform, w) }) {
			continue
		}
		if _, err := pl.imageBlobs(src, pin.Ref, m.raw); err != nil {
			undo()
			return Image{}, v1.Descriptor{}, err
		}
		im.Platforms = append(im.Platforms, child.Platform.String())
	}
	if len(im.Platforms) == 0 {
		undo()
		return Image{}, v1.Descriptor{}, fmt.Errorf("image %s has no manifest for %s (it has %s): give --platform one it has", pin.Ref, platformList(wanted), strings.Join(have, ", "))
	}
	return im, desc, nil
}

func platformList(ps []v1.Platform) string {
	var s []string
	for _, p := range ps {
		s = append(s, p.String())
	}
	return strings.Join(s, ", ")
}

// platformMatches: the same OS and architecture, and the variant when one
// is asked for.
func platformMatches(have, want v1.Platform) bool {
	return have.OS == want.OS && have.Architecture == want.Architecture && (want.Variant == "" || have.Variant == want.Variant)
}

type fetched struct {
	raw       []byte
	mediaType types.MediaType
}

// manifest fetches a manifest or index by digest and checks its bytes.
func (pl *plan) manifest(src source, digest string) (fetched, error) {
	d, err := remote.Get(src.repo.Digest(digest), src.opts...)
	if err != nil {
		return fetched{}, err
	}
	if sum := sha256.Sum256(d.Manifest); "sha256:"+hex.EncodeToString(sum[:]) != digest {
		return fetched{}, fmt.Errorf("the registry's manifest for %s has another digest", digest)
	}
	mt := d.MediaType
	if mt == "" {
		mt = mediaTypeOf(d.Manifest)
	}
	return fetched{raw: d.Manifest, mediaType: mt}, nil
}

// imageBlobs adds a single-platform manifest's config (fetched now, to
// read its platform) and its layers (fetched while writing).
func (pl *plan) imageBlobs(src source, ref string, raw []byte) (string, error) {
	m, err := v1.ParseManifest(bytes.NewReader(raw))
	if err != nil {
		return "", fmt.Errorf("manifest of %s: %w", ref, err)
	}
	cfgRef := src.repo.Digest(m.Config.Digest.String())
	l, err := remote.Layer(cfgRef, src.opts...)
	if err != nil {
		return "", err
	}
	rc, err := l.Compressed()
	if err != nil {
		return "", err
	}
	cfg, err := io.ReadAll(io.LimitReader(rc, m.Config.Size+1))
	rc.Close()
	if err != nil {
		return "", fmt.Errorf("config of %s: %w", ref, err)
	}
	if sum := sha256.Sum256(cfg); "sha256:"+hex.EncodeToString(sum[:]) != m.Config.Digest.String() {
		return "", fmt.Errorf("the registry's config of %s is not %s", ref, m.Config.Digest)
	}
	pl.hold(ref, m.Config.Digest.String(), cfg)
	var platform v1.Platform
	var cf v1.ConfigFile
	if json.Unmarshal(cfg, &cf) == nil {
		platform = v1.Platform{OS: cf.OS, Architecture: cf.Architecture, Variant: cf.Variant}
	}
	for _, layer := range m.Layers {
		d := layer.Digest.String()
		if pl.seen[BlobPart(d)] {
			continue
		}
		pl.seen[BlobPart(d)] = true
		lref := src.repo.Digest(d)
		opts := src.opts
		pl.parts = append(pl.parts, part{Part: Part{Name: BlobPart(d), Size: layer.Size, SHA256: layer.Digest.Hex}, image: ref,
			open: func(context.Context) (io.ReadCloser, error) {
				l, err := remote.Layer(lref, opts...)
				if err != nil {
					return nil, err
				}
				return l.Compressed()
			}})
	}
	return platform.String(), nil
}

// hold adds a small blob held in memory, once.
func (pl *plan) hold(image, digest string, data []byte) {
	p := held(BlobPart(digest), data)
	if pl.seen[p.Name] {
		return
	}
	pl.seen[p.Name] = true
	p.image = image
	pl.parts = append(pl.parts, p)
}

// mediaTypeOf reads a manifest's own mediaType, or tells an OCI index
// from an OCI manifest by its fields when it names none.
func mediaTypeOf(raw []byte) types.MediaType {
	var m struct {
		MediaType types.MediaType `json:"mediaType"`
		Manifests json.RawMessage `json:"manifests"`
	}
	if json.Unmarshal(raw, &m) != nil {
		return ""
	}
	switch {
	case m.MediaType != "":
		return m.MediaType
	case m.Manifests != nil:
		return types.OCIImageIndex
	default:
		return types.OCIManifestSchema1
	}
}
