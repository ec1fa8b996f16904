package lessons

import (
	"embed"
	"io/fs"
	"os"
)

//go:embed all:course
var builtin embed.FS

// Builtin returns the course that ships inside the binary.
func Builtin() (*Course, Problems) {
	sub, err := fs.Sub(builtin, "course")
	if err != nil {
		return nil, Problems{{File: "course", Message: err.Error()}}
	}
	return Load(sub)
}

// FromDir loads an instructor's course pack from a folder.
func FromDir(dir string) (*Course, Problems) {
	fi, err := os.Stat(dir)
	if err != nil {
		return nil, Problems{{File: dir, Message: unwrapPathError(err).Error()}}
	}
	if !fi.IsDir() {
		return nil, Problems{{File: dir, Message: "not a folder: a course pack is a folder with " + ManifestFile}}
	}
	return Load(os.DirFS(dir))
}

// FS returns the pack's files, for laying out starter and solution files.
func (c *Course) FS() fs.FS { return c.fsys }
