package bundle

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"io"
	"log"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	ggcrregistry "github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/dockertutor/dockertutor/lessons"
)

// testCourse is a small course pack, enough for the course part.
var testCourse = fstest.MapFS{
	"course.yaml":         {Data: []byte("format: 1\nid: bundle-test\ntitle: Bundle test\n")},
	"one/lesson.yaml":     {Data: []byte("title: One\nsteps: [a]\n")},
	"one/a/step.md":       {Data: []byte("---\ntitle: A\n---\nText.\n")},
	"one/a/starter/x.txt": {Data: []byte("starter\n")},
}

// randomName is a test-unique repository prefix.
func randomName(t testing.TB) string {
	b := make([]byte, 4)
	rand.Read(b)
	return "dockertutor-test-" + hex.EncodeToString(b)
}

// randomImage is an image of random layers that runs nowhere but loads
// and pulls like any other: a linux config with the layers' diff IDs.
func randomImage(t testing.TB, layerBytes, layers int64, platform v1.Platform) v1.Image {
	t.Helper()
	img, err := random.Image(layerBytes, layers)
	if err != nil {
		t.Fatal(err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture, cf.Variant = platform.OS, platform.Architecture, platform.Variant
	cf.Config.Cmd = []string{"/bin/true"}
	cf.Created = v1.Time{Time: time.Unix(0, 0)}
	img, err = mutate.ConfigFile(img, cf)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

var (
	amd64 = v1.Platform{OS: "linux", Architecture: "amd64"}
	arm64 = v1.Platform{OS: "linux", Architecture: "arm64", Variant: "v8"}
)

// twoPlatforms is a Docker manifest list of one and the other image.
func twoPlatforms(t testing.TB, one, other v1.Image) v1.ImageIndex {
	t.Helper()
	return mutate.AppendManifests(mutate.IndexMediaType(empty.Index, types.DockerManifestList),
		mutate.IndexAddendum{Add: one, Descriptor: v1.Descriptor{Platform: &amd64}},
		mutate.IndexAddendum{Add: other, Descriptor: v1.Descriptor{Platform: &arm64}},
	)
}

// memRegistry is go-containerregistry's in-memory registry on loopback,
// for unit tests; the integration tests use Debian's docker-registry.
func memRegistry(t testing.TB) string {
	t.Helper()
	srv := httptest.NewServer(ggcrregistry.New(ggcrregistry.Logger(discardLogger())))
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://")
}

func push(t testing.TB, ref string, img v1.Image) lessons.BaseImage {
	t.Helper()
	r, err := name.NewTag(ref)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(r, img); err != nil {
		t.Fatalf("push %s: %v", ref, err)
	}
	d, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return lessons.BaseImage{Ref: ref, Digest: d.String()}
}

func pushIndex(t testing.TB, ref string, idx v1.ImageIndex) lessons.BaseImage {
	t.Helper()
	r, err := name.NewTag(ref)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.WriteIndex(r, idx); err != nil {
		t.Fatalf("push %s: %v", ref, err)
	}
	d, err := idx.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return lessons.BaseImage{Ref: ref, Digest: d.String()}
}

func writeBundle(t testing.TB, opts Options) string {
	t.Helper()
	if opts.CourseFS == nil {
		opts.CourseFS = testCourse
		opts.Course = Course{ID: "bundle-test", Title: "Bundle test"}
	}
	if len(opts.Platforms) == 0 {
		opts.Platforms = []string{"linux/amd64"}
	}
	path := filepath.Join(t.TempDir(), "lab.bundle")
	if err := WriteFile(context.Background(), path, opts); err != nil {
		t.Fatalf("write bundle: %v", err)
	}
	return path
}

// entries lists a bundle's tar entries with their data offsets.
type tarEntry struct {
	name         string
	offset, size int64
	headerOffset int64
	data         []byte
}

func readEntries(t testing.TB, path string) []tarEntry {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	pos := &offsetReader{r: f}
	tr := tar.NewReader(pos)
	var out []tarEntry
	for {
		start := pos.n
		hdr, err := tr.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		data, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, tarEntry{name: hdr.Name, headerOffset: start, offset: pos.n - int64(len(data)), size: hdr.Size, data: data})
	}
}

// rewrite makes a copy of the bundle with its entries changed by edit
// (which may drop one by returning false).
func rewrite(t testing.TB, path string, edit func(e *tarEntry) bool) string {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range readEntries(t, path) {
		if !edit(&e) {
			continue
		}
		if err := tw.WriteHeader(entryHeader(e.name, int64(len(e.data)))); err != nil {
			t.Fatal(err)
		}
		tw.Write(e.data)
	}
	tw.Close()
	out := filepath.Join(t.TempDir(), "edited.bundle")
	if err := os.WriteFile(out, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return out
}

// copyFile copies the first n bytes of a file (all when n < 0).
func copyFile(t testing.TB, path string, n int64) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if n >= 0 {
		data = data[:n]
	}
	out := filepath.Join(t.TempDir(), "copy.bundle")
	if err := os.WriteFile(out, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return out
}

// flipByte alters one byte of the file at off, in place.
func flipByte(t testing.TB, path string, off int64) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b := make([]byte, 1)
	if _, err := f.ReadAt(b, off); err != nil {
		t.Fatal(err)
	}
	b[0] ^= 0xff
	if _, err := f.WriteAt(b, off); err != nil {
		t.Fatal(err)
	}
}

// serve is the bundle's registry on 127.0.0.1 at a free port.
func serve(t testing.TB, b *Bundle) (*Registry, string) {
	t.Helper()
	reg := b.Registry()
	srv := httptest.NewUnstartedServer(reg)
	srv.Config.ErrorLog = discardLogger()
	srv.Start()
	t.Cleanup(srv.Close)
	return reg, strings.TrimPrefix(srv.URL, "http://")
}

func discardLogger() *log.Logger { return log.New(io.Discard, "", 0) }
