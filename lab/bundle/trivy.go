package bundle

import (
	"archive/tar"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"
)

// The files of trivy's vulnerability database, in <cache>/db.
var trivyDBFiles = []string{"trivy.db", "metadata.json"}

// TrivyCacheDir is the folder trivy keeps its cache in when run without
// --cache-dir: $TRIVY_CACHE_DIR, else the user's cache folder's trivy
// (~/.cache/trivy on Linux), as trivy itself decides it.
func TrivyCacheDir() string {
	if d := os.Getenv("TRIVY_CACHE_DIR"); d != "" {
		return d
	}
	d, err := os.UserCacheDir()
	if err != nil {
		d = os.TempDir()
	}
	return filepath.Join(d, "trivy")
}

// TrivyDBDir is the database folder in a trivy cache folder.
func TrivyDBDir(cacheDir string) string { return filepath.Join(cacheDir, "db") }

// HasTrivyDB says whether cacheDir holds a downloaded database.
func HasTrivyDB(cacheDir string) bool {
	for _, name := range trivyDBFiles {
		if fi, err := os.Stat(filepath.Join(TrivyDBDir(cacheDir), name)); err != nil || !fi.Mode().IsRegular() {
			return false
		}
	}
	return true
}

// writeTrivyDB writes the database files of cacheDir as a gzip'd tar.
func writeTrivyDB(w io.Writer, cacheDir string) error {
	zw, _ := gzip.NewWriterLevel(w, gzip.BestSpeed)
	tw := tar.NewWriter(zw)
	for _, name := range trivyDBFiles {
		f, err := os.Open(filepath.Join(TrivyDBDir(cacheDir), name))
		if err != nil {
			return fmt.Errorf("trivy's database: %w", err)
		}
		fi, err := f.Stat()
		if err == nil {
			err = tw.WriteHeader(&tar.Header{Name: "db/" + name, Mode: 0o644, Size: fi.Size(), ModTime: fi.ModTime().UTC().Truncate(time.Second), Typeflag: tar.TypeReg})
		}
		if err == nil {
			_, err = io.Copy(tw, f)
		}
		f.Close()
		if err != nil {
			return fmt.Errorf("trivy's database %s: %w", name, err)
		}
	}
	if err := tw.Close(); err != nil {
		return err
	}
	return zw.Close()
}

// ExtractTrivyDB puts the bundle's trivy database into the trivy cache
// folder cacheDir (its db/ folder). The files are written beside their
// place and renamed only once the whole part has matched its SHA-256, so
// a damaged part leaves the database trivy had.
func (b *Bundle) ExtractTrivyDB(cacheDir string) error {
	vr, ok := b.verifying(TrivyDBName)
	if !ok {
		return errors.New("this bundle holds no trivy database: make it on a machine where trivy has downloaded its database (run trivy image once)")
	}
	dir := TrivyDBDir(cacheDir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	var temps []string
	defer func() {
		for _, t := range temps {
			os.Remove(t)
		}
	}()
	zr, err := gzip.NewReader(vr)
	if err != nil {
		return b.partFault(vr, err)
	}
	tr := tar.NewReader(zr)
	done := map[string]string{}
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return b.partFault(vr, err)
		}
		name := filepath.Base(hdr.Name)
		if hdr.Name != "db/"+name || !isTrivyDBFile(name) || hdr.Typeflag != tar.TypeReg {
			continue
		}
		tmp, err := os.CreateTemp(dir, "."+name+".*")
		if err != nil {
			return err
		}
		temps = append(temps, tmp.Name())
		_, err = io.Copy(tmp, tr)
		if cerr := tmp.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return b.partFault(vr, err)
		}
		done[name] = tmp.Name()
	}
	// Read to the part's end so its SHA-256 is checked before anything
	// is renamed into place.
	if _, err := io.Copy(io.Discard, vr); err != nil {
		return err
	}
	for _, name := range trivyDBFiles {
		if done[name] == "" {
			return fmt.Errorf("part %s holds no db/%s: make the bundle again", TrivyDBName, name)
		}
	}
	for _, name := range trivyDBFiles {
		if err := os.Rename(done[name], filepath.Join(dir, name)); err != nil {
			return err
		}
	}
	return nil
}

// partFault prefers the part's checksum failure over the decoder's error
// it caused.
func (b *Bundle) partFault(vr *verifyingReader, err error) error {
	io.Copy(io.Discard, vr)
	var pe *PartError
	if errors.As(vr.err, &pe) {
		return pe
	}
	return fmt.Errorf("part %s: %w", TrivyDBName, err)
}

func isTrivyDBFile(name string) bool {
	for _, n := range trivyDBFiles {
		if n == name {
			return true
		}
	}
	return false
}
