package bundle

import (
	"io"
	"os"
	"path/filepath"
	"testing"
)

// Open, and everything an opened bundle does, never panics on whatever
// bytes a file holds.
func FuzzOpen(f *testing.F) {
	fx := newFixture(f)
	whole, err := os.ReadFile(fx.path)
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
