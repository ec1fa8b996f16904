package dockertest

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/moby/moby/client"

	"github.com/dockertutor/dockertutor/lessons"
)

// CopyCourse copies a course pack under its own course id and image
// namespace, so that a test or a benchmark using it never touches the
// objects of another run of the same course (labels carry the course id,
// and "dockertutor/" image names become imagePrefix + "/").
func CopyCourse(from, to, id, imagePrefix string) error {
	return CopyPack(from, to, id, "dockertutor", imagePrefix)
}

// CopyPack copies any course pack the same way: its course id becomes id,
// and its image names under oldPrefix/ move under newPrefix/.
func CopyPack(from, to, id, oldPrefix, newPrefix string) error {
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
		s := strings.ReplaceAll(string(data), oldPrefix+"/", newPrefix+"/")
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

// Namespace is a private namespace for a test ("dttest-1a2b3c4d5e6f"):
// what the test's sessions build, run and remove never meets a learner's
// objects, nor another test's, on a daemon they share.
func Namespace(t testing.TB) lessons.Namespace {
	t.Helper()
	ns, err := lessons.PrivateNamespace("dttest")
	if err != nil {
		t.Fatal(err)
	}
	return ns
}

// BuiltinCourse is the built-in course, with a stand-in on the daemon for
// each image it pulls, so that a test can build and run every step
// offline.
func BuiltinCourse(t testing.TB, cli *client.Client) *lessons.Course {
	t.Helper()
	c, ps := lessons.Builtin()
	if len(ps) > 0 {
		t.Fatal(ps)
	}
	for _, img := range c.Images {
		StandIn(t, cli, img.Ref)
	}
	return c
}
