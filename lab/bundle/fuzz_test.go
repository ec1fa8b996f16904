package bundle

import (
	"io"
	"os"
	"path/filepath"
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
		if rc, err := b.DockerLoad("linux/amd64"); err == nil {
			io.Copy(io.Discard, rc)
			rc.Close()
		}
		b.ExtractTrivyDB(t.TempDir())
	})
}
