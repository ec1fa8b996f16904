package bundle

import (
	"archive/tar"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"testing/fstest"
	"time"
)

// maxCourseBytes bounds the course pack part, which is read whole into
// memory: a pack is text files and small Dockerfiles.
const maxCourseBytes = 256 << 20

// courseTar is the course pack's files as an uncompressed tar, in the
// walk's (lexical) order with fixed times, so the same pack makes the
// same bytes.
func courseTar(fsys fs.FS) ([]byte, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	err := fs.WalkDir(fsys, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if name == "." {
			return nil
		}
		hdr := &tar.Header{Name: name, ModTime: time.Unix(0, 0), Format: tar.FormatPAX}
		switch {
		case d.IsDir():
			hdr.Typeflag, hdr.Name, hdr.Mode = tar.TypeDir, name+"/", 0o755
			return tw.WriteHeader(hdr)
		case d.Type().IsRegular():
			data, err := fs.ReadFile(fsys, name)
			if err != nil {
				return err
			}
			hdr.Typeflag, hdr.Mode, hdr.Size = tar.TypeReg, 0o644, int64(len(data))
			if err := tw.WriteHeader(hdr); err != nil {
				return err
			}
			_, err = tw.Write(data)
			return err
		default:
			return nil // a pack is files and folders; a link has no meaning in it
		}
	})
	if err != nil {
		return nil, fmt.Errorf("read the course pack: %w", err)
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// CourseFS is the course pack the bundle carries, read from its part and
// checked against its SHA-256, for lessons.Load.
func (b *Bundle) CourseFS() (fs.FS, error) {
	data, err := b.readPart(CourseName, maxCourseBytes)
	if err != nil {
		return nil, err
	}
	files := fstest.MapFS{}
	tr := tar.NewReader(bytes.NewReader(data))
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("part %s is not a tar (%v): make the bundle again", CourseName, err)
		}
		name := path.Clean(hdr.Name)
		if !fs.ValidPath(name) || name == "." {
			return nil, fmt.Errorf("part %s holds the path %q, outside the pack: make the bundle again", CourseName, hdr.Name)
		}
		switch hdr.Typeflag {
		case tar.TypeDir:
			files[name] = &fstest.MapFile{Mode: fs.ModeDir | 0o755}
		case tar.TypeReg:
			content, err := io.ReadAll(tr)
			if err != nil {
				return nil, err
			}
			files[name] = &fstest.MapFile{Data: content, Mode: 0o644}
		}
	}
	return files, nil
}
