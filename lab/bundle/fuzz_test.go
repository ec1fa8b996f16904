package bundle

import (
	"io"
	mrand "math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/dockertutor/dockertutor/lessons"
)

// Open, and everything an opened bundle does, never panics on whatever
// bytes a file holds.
func FuzzOpen(f *testing.F) {
	// A small bundle, so that mutations reach its headers and manifest.
	reg := memRegistry(f)
	prefix := reg + "/" + randomName(f)
	single := push(f, prefix+"/tool:1", randomImage(f, 256, 1, amd64))
	multi := pushIndex(f, prefix+"/base:3", twoPlatforms(f, randomImage(f, 256, 1, amd64), randomImage(f, 256, 1, arm64)))
	whole, err := os.ReadFile(writeBundle(f, Options{Pins: []lessons.BaseImage{single, multi}}))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(whole)
	f.Add(whole[:len(whole)/2])
	f.Add(whole[:1536])
	f.Add([]byte{})
	f.Add([]byte("not a tar"))
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(dir, "fuzz.bundle")
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		b, err := Open(path)
		if err != nil {
			return
		}
		defer b.Close()
		b.Verify(t.Context(), nil)
		b.CourseFS()
		b.Registry()
		if rc, err := b.DockerLoad("linux/amd64", LoadOptions{}); err == nil {
			io.Copy(io.Discard, rc)
			rc.Close()
		}
		b.ExtractTrivyDB(t.TempDir())
	})
}

// Any byte changed inside a part is found: Open refuses the file or
// Verify names a part. (Bytes of tar padding may change unnoticed.)
func TestEveryChangedByteInAPartIsFound(t *testing.T) {
	reg := memRegistry(t)
	single := push(t, reg+"/"+randomName(t)+"/tool:1", randomImage(t, 4096, 2, amd64))
	path := writeBundle(t, Options{Pins: []lessons.BaseImage{single}})
	whole, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	entries := readEntries(t, path)
	rng := mrand.New(mrand.NewPCG(1, 2))
	dir := t.TempDir()
	for range 400 {
		data := slices.Clone(whole)
		at := rng.IntN(len(data))
		data[at] ^= byte(1 + rng.IntN(255))
		inPart := false
		for _, e := range entries[1:] { // the manifest is no part: its own bytes have no checksum
			inPart = inPart || int64(at) >= e.offset && int64(at) < e.offset+e.size
		}
		damaged := filepath.Join(dir, "damaged.bundle")
		if err := os.WriteFile(damaged, data, 0o644); err != nil {
			t.Fatal(err)
		}
		b, err := Open(damaged)
		if err != nil {
			continue
		}
		err = b.Verify(t.Context(), nil)
		b.Close()
		if inPart && err == nil {
			t.Fatalf("byte %d changed inside a part, and Open and Verify found nothing", at)
		}
	}
}
