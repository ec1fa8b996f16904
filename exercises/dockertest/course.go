package dockertest

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// CopyCourse copies a course pack under its own course id and image
// namespace, so that a test or a benchmark using it never touches the
// objects of another run of the same course (labels carry the course id,
// and "dockertutor/" image names become imagePrefix + "/").
func CopyCourse(from, to, id, imagePrefix string) error {
	return filepath.WalkDir(from, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(from, p)
		dst := filepath.Join(to, rel)
		if d.IsDir() {
			return os.MkdirAll(dst, 0o755)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		s := strings.ReplaceAll(string(data), "dockertutor/", imagePrefix+"/")
		if rel == "course.yaml" {
			lines := strings.Split(s, "\n")
			for i, l := range lines {
				if strings.HasPrefix(l, "id:") {
					lines[i] = "id: " + id
				}
			}
			s = strings.Join(lines, "\n")
		}
		return os.WriteFile(dst, []byte(s), 0o644)
	})
}
