package bundle

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"github.com/distribution/reference"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/dockertutor/dockertutor/lessons"
)

// fixture is a bundle of a single-platform image and a two-platform
// index, written from an in-memory registry.
type fixture struct {
	path     string
	single   lessons.BaseImage
	multi    lessons.BaseImage
	armLayer string // the arm64 image's layer part, which the bundle must not hold
}

func newFixture(t testing.TB) fixture {
	t.Helper()
	reg := memRegistry(t)
	prefix := reg + "/" + randomName(t)
	single := push(t, prefix+"/tool:1", randomImage(t, 64<<10, 2, amd64))
	arm := randomImage(t, 32<<10, 1, arm64)
	multi := pushIndex(t, prefix+"/base:3", twoPlatforms(t, randomImage(t, 48<<10, 1, amd64), arm))
	layers, _ := arm.Layers()
	d, _ := layers[0].Digest()
	path := writeBundle(t, Options{Pins: []lessons.BaseImage{single, multi}})
	return fixture{path: path, single: single, multi: multi, armLayer: BlobPart(d.String())}
}

// open opens the fixture's bundle for the test.
func (fx fixture) open(t *testing.T) *Bundle {
	t.Helper()
	b, err := Open(fx.path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

func TestWriteOpenVerify(t *testing.T) {
	fx := newFixture(t)
	b := fx.open(t)
	if err := b.Verify(t.Context(), nil); err != nil {
		t.Fatalf("Verify of a fresh bundle: %v", err)
	}
	m := b.Manifest()
	if m.Format != Format || m.Course.ID != "bundle-test" {
		t.Errorf("manifest format %q course %+v", m.Format, m.Course)
	}
	if len(m.Images) != 2 || m.Images[0].Digest != fx.single.Digest || m.Images[1].Digest != fx.multi.Digest {
		t.Fatalf("images %+v", m.Images)
	}
	if !slices.Equal(m.Images[1].Platforms, []string{"linux/amd64"}) {
		t.Errorf("index platforms kept: %v, want linux/amd64 only", m.Images[1].Platforms)
	}
	if b.Has(fx.armLayer) {
		t.Errorf("the bundle holds the arm64 layer %s, which was not asked for", fx.armLayer)
	}
	// Every manifest of the index is kept, the arm64 one too.
	raw, err := b.readPart(BlobPart(fx.multi.Digest), maxManifestBlob)
	if err != nil {
		t.Fatal(err)
	}
	var idx struct{ Manifests []struct{ Digest string } }
	json.Unmarshal(raw, &idx)
	if len(idx.Manifests) != 2 {
		t.Fatalf("index has %d manifests", len(idx.Manifests))
	}
	for _, c := range idx.Manifests {
		if !b.Has(BlobPart(c.Digest)) {
			t.Errorf("manifest %s of the index is not in the bundle", c.Digest)
		}
	}
	// The first entry is the manifest, every other entry a listed part.
	entries := readEntries(t, fx.path)
	if entries[0].name != ManifestName {
		t.Fatalf("first entry %s", entries[0].name)
	}
	if len(entries)-1 != len(m.Parts) {
		t.Errorf("%d entries after the manifest, %d parts listed", len(entries)-1, len(m.Parts))
	}
	// The course pack reads back as it went in.
	cfs, err := b.CourseFS()
	if err != nil {
		t.Fatal(err)
	}
	for name, f := range testCourse {
		got, err := fs.ReadFile(cfs, name)
		if err != nil || !bytes.Equal(got, f.Data) {
			t.Errorf("course file %s: %q, %v", name, got, err)
		}
	}
	// The layout's index names each image by its ref.
	layout, _ := b.readPart(IndexName, 1<<20)
	if !strings.Contains(string(layout), fx.single.Ref) || !strings.Contains(string(layout), fx.multi.Digest) {
		t.Errorf("images/index.json does not name the images: %s", layout)
	}
}

// The registry serves manifests with their media type and digest, by
// digest and by the course's tag, HEAD and GET, the mirror's ?ns= too,
// and refuses writes.
func TestRegistryServesTheBundle(t *testing.T) {
	fx := newFixture(t)
	b := fx.open(t)
	_, addr := serve(t, b)
	repo := func(ref string) string {
		r, _ := name.NewTag(ref)
		return r.RepositoryStr()
	}
	base := "http://" + addr + "/v2/" + repo(fx.multi.Ref)
	for _, tc := range []struct{ method, url, wantType string }{
		{"GET", base + "/manifests/" + fx.multi.Digest, "application/vnd.docker.distribution.manifest.list.v2+json"},
		{"HEAD", base + "/manifests/" + fx.multi.Digest, "application/vnd.docker.distribution.manifest.list.v2+json"},
		{"GET", base + "/manifests/" + fx.multi.Digest + "?ns=docker.io", "application/vnd.docker.distribution.manifest.list.v2+json"},
		{"GET", base + "/manifests/3", "application/vnd.docker.distribution.manifest.list.v2+json"},
	} {
		req, _ := http.NewRequest(tc.method, tc.url, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != tc.wantType || resp.Header.Get("Docker-Content-Digest") != fx.multi.Digest {
			t.Errorf("%s %s: %d %s %s", tc.method, tc.url, resp.StatusCode, resp.Header.Get("Content-Type"), resp.Header.Get("Docker-Content-Digest"))
		}
		if tc.method == "GET" && len(body) == 0 || tc.method == "HEAD" && len(body) != 0 {
			t.Errorf("%s %s: body of %d bytes", tc.method, tc.url, len(body))
		}
	}
	for _, tc := range []struct {
		method, path string
		status       int
	}{
		{"GET", "/v2/", 200},
		{"PUT", "/v2/" + repo(fx.multi.Ref) + "/manifests/3", 405},
		{"POST", "/v2/" + repo(fx.multi.Ref) + "/blobs/uploads/", 405},
		{"DELETE", "/v2/" + repo(fx.multi.Ref) + "/manifests/" + fx.multi.Digest, 405},
		{"GET", "/v2/" + repo(fx.multi.Ref) + "/manifests/4", 404},
		{"GET", "/v2/nobody/here/manifests/" + fx.multi.Digest, 404},
		// A blob of another image is not served under this one's name.
		{"GET", "/v2/" + repo(fx.multi.Ref) + "/manifests/" + fx.single.Digest, 404},
		{"GET", "/v2/" + repo(fx.multi.Ref) + "/blobs/sha256:" + strings.TrimPrefix(fx.armLayer, BlobDir), 404},
	} {
		req, _ := http.NewRequest(tc.method, "http://"+addr+tc.path, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tc.status {
			t.Errorf("%s %s: %d, want %d", tc.method, tc.path, resp.StatusCode, tc.status)
		}
		if tc.status != 200 && !strings.Contains(string(body), `"errors"`) {
			t.Errorf("%s %s: not a registry error document: %s", tc.method, tc.path, body)
		}
	}
	// A registry client pulls the whole image through it, checking every
	// digest, under the repository path on the bundle's address.
	ref, err := name.NewDigest(addr + "/" + repo(fx.multi.Ref) + "@" + fx.multi.Digest)
	if err != nil {
		t.Fatal(err)
	}
	img, err := remote.Image(ref)
	if err != nil {
		t.Fatal(err)
	}
	layers, _ := img.Layers()
	for _, l := range layers {
		rc, err := l.Compressed()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.Copy(io.Discard, rc); err != nil {
			t.Fatalf("layer: %v", err)
		}
		rc.Close()
	}
}

// A bundle cut short is refused naming the part where the cut is: in the
// manifest, in a blob, between two parts.
func TestTruncatedBundle(t *testing.T) {
	fx := newFixture(t)
	entries := readEntries(t, fx.path)
	var blob tarEntry
	for _, e := range entries {
		if strings.HasPrefix(e.name, BlobDir) && e.size > 10000 {
			blob = e
			break
		}
	}
	last := entries[len(entries)-1]
	fi, _ := os.Stat(fx.path)
	for _, tc := range []struct {
		name string
		at   int64
		want string // the part named
	}{
		{"inside the manifest", entries[0].offset + 10, ManifestName},
		{"inside a blob", blob.offset + blob.size/2, blob.name},
		{"between parts", entries[2].headerOffset, entries[2].name},
		{"inside the header of a part", entries[3].headerOffset + 100, entries[3].name},
		{"before the end of the archive", fi.Size() - 512, last.name},
		{"at the very start", 0, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Open(copyFile(t, fx.path, tc.at))
			if err == nil {
				t.Fatal("a cut bundle opened")
			}
			if tc.want == "" {
				var fe *FormatError
				if !errors.As(err, &fe) {
					t.Fatalf("an empty file: %v", err)
				}
				return
			}
			var pe *PartError
			if !errors.As(err, &pe) || pe.Part != tc.want {
				t.Fatalf("err %v, want a PartError naming %s", err, tc.want)
			}
			if !strings.Contains(err.Error(), "copy it again") {
				t.Errorf("no fix in %q", err)
			}
		})
	}
	// The message names the sizes.
	_, err := Open(copyFile(t, fx.path, blob.offset+100))
	if want := "ends after 100 of "; err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("err %v, want %q", err, want)
	}
}

func TestAlteredPart(t *testing.T) {
	fx := newFixture(t)
	for _, e := range readEntries(t, fx.path)[1:] {
		path := copyFile(t, fx.path, -1)
		flipByte(t, path, e.offset+e.size/2)
		b, err := Open(path)
		if err != nil {
			t.Fatalf("%s altered: Open: %v", e.name, err)
		}
		err = b.Verify(t.Context(), nil)
		var pe *PartError
		if !errors.As(err, &pe) || pe.Part != e.name || pe.Kind != PartAltered {
			t.Errorf("%s altered: Verify says %v", e.name, err)
		}
		b.Close()
	}
}

func TestOtherFormatsAndDamage(t *testing.T) {
	fx := newFixture(t)
	editManifest := func(edit func(m map[string]any) []byte) string {
		return rewrite(t, fx.path, func(e *tarEntry) bool {
			if e.name == ManifestName {
				var m map[string]any
				json.Unmarshal(e.data, &m)
				e.data = edit(m)
			}
			return true
		})
	}
	later := editManifest(func(m map[string]any) []byte {
		m["format"] = "dockertutor.bundle/2"
		b, _ := json.Marshal(m)
		return b
	})
	_, err := Open(later)
	var fe *FormatError
	if !errors.As(err, &fe) || fe.Format != "dockertutor.bundle/2" || !strings.Contains(err.Error(), "this dockertutor reads dockertutor.bundle/1") {
		t.Errorf("a later format: %v", err)
	}
	corrupt := editManifest(func(map[string]any) []byte { return []byte(`{"format": "dockertutor.bundle/1", "parts": [`) })
	if _, err := Open(corrupt); !errors.As(err, &fe) || !strings.Contains(err.Error(), "not valid JSON") {
		t.Errorf("a corrupt manifest: %v", err)
	}
	var dropped string
	missing := rewrite(t, fx.path, func(e *tarEntry) bool {
		if dropped == "" && strings.HasPrefix(e.name, BlobDir) {
			dropped = e.name
			return false
		}
		return true
	})
	var pe *PartError
	if _, err := Open(missing); !errors.As(err, &pe) || pe.Part != dropped || pe.Kind != PartMissing {
		t.Errorf("a missing part: %v", err)
	}
	notTar := filepath.Join(t.TempDir(), "x.bundle")
	os.WriteFile(notTar, []byte("hello, this is not a tar at all"), 0o644)
	if _, err := Open(notTar); !errors.As(err, &fe) || !strings.Contains(err.Error(), "not a dockertutor bundle") {
		t.Errorf("a text file: %v", err)
	}
}

// Ctrl+C while writing leaves nothing beside the file's place.
func TestCancelledWriteLeavesNothing(t *testing.T) {
	reg := memRegistry(t)
	pin := push(t, reg+"/"+randomName(t)+"/big:1", randomImage(t, 4<<20, 3, amd64))
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(t.Context())
	opts := Options{Pins: []lessons.BaseImage{pin}, CourseFS: testCourse, Platforms: []string{"linux/amd64"},
		Progress: func(p Progress) {
			if strings.HasPrefix(p.Part, BlobDir) && p.Done > 1<<20 {
				cancel()
			}
		}}
	err := WriteFile(ctx, filepath.Join(dir, "lab.bundle"), opts)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled write: %v", err)
	}
	if left, _ := os.ReadDir(dir); len(left) != 0 {
		t.Errorf("a cancelled write left %v", left)
	}
	// An image not in the registry fails the same way, leaving nothing.
	opts.Progress = nil
	opts.Pins = []lessons.BaseImage{{Ref: reg + "/nobody/here:1", Digest: pin.Digest}}
	if err := WriteFile(t.Context(), filepath.Join(dir, "lab.bundle"), opts); err == nil {
		t.Fatal("a bundle of an image no registry has was written")
	}
	if left, _ := os.ReadDir(dir); len(left) != 0 {
		t.Errorf("a failed write left %v", left)
	}
}

// A platform the image lacks is named with those it has.
func TestNoSuchPlatform(t *testing.T) {
	reg := memRegistry(t)
	prefix := reg + "/" + randomName(t)
	multi := pushIndex(t, prefix+"/base:3", twoPlatforms(t, randomImage(t, 1024, 1, amd64), randomImage(t, 1024, 1, arm64)))
	err := Write(t.Context(), io.Discard, Options{Pins: []lessons.BaseImage{multi}, CourseFS: testCourse, Platforms: []string{"linux/s390x"}})
	if err == nil || !strings.Contains(err.Error(), "linux/s390x") || !strings.Contains(err.Error(), "linux/arm64/v8") {
		t.Errorf("err %v", err)
	}
}

// docker.io images come from the daemon's mirror; with docker.io's
// lookups switched off nothing else is asked.
func TestDockerHubImageFromTheMirror(t *testing.T) {
	t.Setenv("DOCKERTUTOR_OFFLINE_REGISTRIES", "docker.io")
	reg := memRegistry(t)
	repo := randomName(t) + "/base"
	pin := push(t, reg+"/"+repo+":3", randomImage(t, 1024, 1, amd64))
	pin.Ref = repo + ":3" // as docker.io names it
	path := writeBundle(t, Options{Pins: []lessons.BaseImage{pin}, Mirrors: []string{"http://" + reg}})
	b, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	_, addr := serve(t, b)
	// Docker asks a docker.io mirror for the repository path, with ?ns=.
	resp, err := http.Get("http://" + addr + "/v2/" + repo + "/manifests/" + pin.Digest + "?ns=docker.io")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("mirror request: %d", resp.StatusCode)
	}
	// Without a mirror, docker.io is switched off: a clear refusal.
	err = Write(t.Context(), io.Discard, Options{Pins: []lessons.BaseImage{pin}, CourseFS: testCourse, Platforms: []string{"linux/amd64"}})
	if err == nil || !strings.Contains(err.Error(), "registry mirror") {
		t.Errorf("no mirror, docker.io off: %v", err)
	}
}

func TestTrivyDB(t *testing.T) {
	cache := t.TempDir()
	os.MkdirAll(filepath.Join(cache, "db"), 0o755)
	db := bytes.Repeat([]byte("bolt database page "), 50000)
	meta := []byte(`{"Version":2,"NextUpdate":"2026-12-03T00:00:00Z"}`)
	os.WriteFile(filepath.Join(cache, "db", "trivy.db"), db, 0o644)
	os.WriteFile(filepath.Join(cache, "db", "metadata.json"), meta, 0o644)
	if !HasTrivyDB(cache) {
		t.Fatal("HasTrivyDB of a folder with both files")
	}
	reg := memRegistry(t)
	pin := push(t, reg+"/"+randomName(t)+"/tool:1", randomImage(t, 1024, 1, amd64))
	path := writeBundle(t, Options{Pins: []lessons.BaseImage{pin}, TrivyCacheDir: cache})
	b, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	into := t.TempDir()
	if err := b.ExtractTrivyDB(into); err != nil {
		t.Fatal(err)
	}
	b.Close()
	for name, want := range map[string][]byte{"trivy.db": db, "metadata.json": meta} {
		got, err := os.ReadFile(filepath.Join(into, "db", name))
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s: %d bytes, %v", name, len(got), err)
		}
	}
	// An altered database part is refused and leaves the old one.
	var e tarEntry
	for _, x := range readEntries(t, path) {
		if x.name == TrivyDBName {
			e = x
		}
	}
	flipByte(t, path, e.offset+e.size-20) // in the gzip trailer's neighbourhood
	b, err = Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	os.WriteFile(filepath.Join(into, "db", "trivy.db"), []byte("old"), 0o644)
	err = b.ExtractTrivyDB(into)
	var pe *PartError
	if !errors.As(err, &pe) || pe.Part != TrivyDBName {
		t.Errorf("altered database: %v", err)
	}
	if got, _ := os.ReadFile(filepath.Join(into, "db", "trivy.db")); string(got) != "old" {
		t.Errorf("an altered database replaced the old one")
	}
	if left, _ := filepath.Glob(filepath.Join(into, "db", ".*")); len(left) != 0 {
		t.Errorf("temporary files left: %v", left)
	}
}

func TestTrivyCacheDir(t *testing.T) {
	t.Setenv("TRIVY_CACHE_DIR", "/x/trivy-cache")
	if d := TrivyCacheDir(); d != "/x/trivy-cache" {
		t.Errorf("with TRIVY_CACHE_DIR: %s", d)
	}
	t.Setenv("TRIVY_CACHE_DIR", "")
	t.Setenv("XDG_CACHE_HOME", "/home/u/.cache")
	if d := TrivyCacheDir(); d != "/home/u/.cache/trivy" {
		t.Errorf("default: %s", d)
	}
}

// The docker load stream is a tar with the blobs first and manifest.json
// last, naming the platform's config and layers.
func TestDockerLoadStream(t *testing.T) {
	fx := newFixture(t)
	b := fx.open(t)
	rc, err := b.DockerLoad("linux/amd64", LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	st := readLoadStream(t, rc)
	names, manifest := st.names, st.manifest
	if names[len(names)-1] != "manifest.json" || len(manifest) != 2 {
		t.Fatalf("entries %v manifest %+v", names, manifest)
	}
	if manifest[1].RepoTags[0] != fx.multi.Ref || len(manifest[0].Layers) != 2 {
		t.Errorf("manifest %+v", manifest)
	}
	for _, m := range manifest {
		for _, p := range append([]string{m.Config}, m.Layers...) {
			if !slices.Contains(names, p) {
				t.Errorf("manifest.json names %s, not in the stream", p)
			}
		}
	}
	if _, err := b.DockerLoad("linux/arm64", LoadOptions{}); err == nil || !strings.Contains(err.Error(), "--platform linux/arm64") {
		t.Errorf("a platform without layers: %v", err)
	}
}

// An untagged stream of one image holds that image's parts only, under
// no name, and its Size is theirs.
func TestDockerLoadOneUntagged(t *testing.T) {
	fx := newFixture(t)
	b := fx.open(t)
	ls, err := b.DockerLoad("linux/amd64", LoadOptions{Refs: []string{fx.multi.Ref}, Untagged: true})
	if err != nil {
		t.Fatal(err)
	}
	defer ls.Close()
	raw, err := io.ReadAll(ls)
	if err != nil {
		t.Fatal(err)
	}
	st := readLoadStream(t, bytes.NewReader(raw))
	manifest := st.manifest
	var blobBytes int64
	for _, n := range st.names {
		if n != "manifest.json" {
			blobBytes += st.sizes[n]
		}
	}
	if len(manifest) != 1 || len(manifest[0].RepoTags) != 0 {
		t.Fatalf("manifest %+v, want one image under no name", manifest)
	}
	want, err := b.platformManifest(b.Images()[1], amd64)
	if err != nil {
		t.Fatal(err)
	}
	if manifest[0].Config != BlobPart(want.Config.Digest.String()) || len(manifest[0].Layers) != len(want.Layers) {
		t.Errorf("manifest %+v, want %s's config and %d layers", manifest, fx.multi.Ref, len(want.Layers))
	}
	if ls.Size != blobBytes {
		t.Errorf("Size %d, the stream's parts are %d bytes", ls.Size, blobBytes)
	}
	if _, err := b.DockerLoad("linux/amd64", LoadOptions{Refs: []string{"nothere:1"}}); err == nil || !strings.Contains(err.Error(), "no image nothere:1") {
		t.Errorf("an image the bundle lacks: %v", err)
	}

	// Read in place for the daemon to check, the stream is the same
	// bytes.
	inPlace, err := b.DockerLoad("linux/amd64", LoadOptions{Refs: []string{fx.multi.Ref}, Untagged: true, CheckedByDaemon: true})
	if err != nil {
		t.Fatal(err)
	}
	defer inPlace.Close()
	if raw2, err := io.ReadAll(inPlace); err != nil || !bytes.Equal(raw, raw2) {
		t.Errorf("the stream read in place differs from the checked one (%v): %d bytes against %d", err, len(raw2), len(raw))
	}
}

// The OCI layout stream holds each image's blobs under blobs/sha256/,
// then oci-layout and index.json, which names the image by its full
// reference at the pinned digest.
func TestOCILoadStream(t *testing.T) {
	fx := newFixture(t)
	b := fx.open(t)
	ls, err := b.OCILoad("linux/amd64", []string{fx.single.Ref, fx.multi.Ref})
	if err != nil {
		t.Fatal(err)
	}
	defer ls.Close()
	st := readLoadStream(t, ls)
	n := len(st.names)
	if n < 4 || st.names[n-2] != "index.json" || st.names[n-1] != "oci-layout" {
		t.Fatalf("entries %v: want the blobs, then index.json and oci-layout", st.names)
	}
	var blobs int64
	for _, name := range st.names[:n-2] {
		if !strings.HasPrefix(name, "blobs/sha256/") {
			t.Errorf("entry %s is not a blob", name)
		}
		blobs += st.sizes[name]
	}
	if blobs != ls.Size {
		t.Errorf("Size %d, the blobs are %d bytes", ls.Size, blobs)
	}
	for i, pin := range []lessons.BaseImage{fx.single, fx.multi} {
		named, _ := reference.ParseNormalizedNamed(pin.Ref)
		m := st.index.Manifests[i]
		if m.Digest.String() != pin.Digest || m.Annotations["io.containerd.image.name"] != reference.TagNameOnly(named).String() {
			t.Errorf("index.json names %s at %s, want %s at %s", m.Annotations["io.containerd.image.name"], m.Digest, named, pin.Digest)
		}
	}
	if _, err := b.OCILoad("linux/s390x", []string{fx.single.Ref}); err == nil {
		t.Error("a platform the bundle lacks loaded")
	}
}

// loadStream is a docker load stream read back: its entries in order,
// their sizes and its manifest.json.
type loadStream struct {
	names    []string
	sizes    map[string]int64
	manifest []struct {
		Config   string
		RepoTags []string
		Layers   []string
	}
	index v1.IndexManifest
}

func readLoadStream(t *testing.T, r io.Reader) loadStream {
	t.Helper()
	st := loadStream{sizes: map[string]int64{}}
	tr := tar.NewReader(r)
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			return st
		}
		if err != nil {
			t.Fatal(err)
		}
		st.names = append(st.names, hdr.Name)
		st.sizes[hdr.Name] = hdr.Size
		switch hdr.Name {
		case "manifest.json":
			if err := json.NewDecoder(tr).Decode(&st.manifest); err != nil {
				t.Fatal(err)
			}
		case "index.json":
			if err := json.NewDecoder(tr).Decode(&st.index); err != nil {
				t.Fatal(err)
			}
		}
	}
}

func TestPullRef(t *testing.T) {
	for _, tc := range []struct {
		im        Image
		want      string
		viaMirror bool
	}{
		{Image{Ref: "alpine:3.22", Digest: "sha256:" + strings.Repeat("a", 64)}, "alpine:3.22@sha256:" + strings.Repeat("a", 64), true},
		{Image{Ref: "ghcr.io/o/tool:1", Digest: "sha256:" + strings.Repeat("b", 64)}, "127.0.0.1:5000/o/tool@sha256:" + strings.Repeat("b", 64), false},
	} {
		got, via, err := tc.im.PullRef("127.0.0.1:5000")
		if err != nil || got != tc.want || via != tc.viaMirror {
			t.Errorf("%s: %s %v %v", tc.im.Ref, got, via, err)
		}
	}
}
