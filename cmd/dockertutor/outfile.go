package main

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
)

// writeFileAtomically replaces path with data whole: written to a
// temporary file beside it and renamed over it, so that a reader never
// sees half a file and an error leaves what was there (or nothing).
// A folder that does not exist is a usage error, like any path on the
// command line that names nothing.
func writeFileAtomically(path string, data []byte) error {
	dir := filepath.Dir(path)
	if fi, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
		return usageErrorf("cannot write %s: there is no folder %s", path, dir)
	} else if err == nil && !fi.IsDir() {
		return usageErrorf("cannot write %s: %s is not a folder", path, dir)
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	err = fill(tmp, data)
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		os.Remove(tmp.Name())
	}
	return err
}

// fill writes data to f, readable by all as an output file is, and
// closes it once it is on disk.
func fill(f *os.File, data []byte) error {
	_, err := f.Write(data)
	if err == nil {
		err = f.Chmod(0o644)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}
