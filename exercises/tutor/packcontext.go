package tutor

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/dockertutor/dockertutor/lessons"
)

// layOutPackContext writes a pack-context build's files, templates filled
// with the learner's values (hidden ones too), to a new temporary folder
// that only the learner's user can read, and returns it; the caller
// removes it after the build. The learner's step folder never holds them:
// the step is to find what is in the image without the sources.
func layOutPackContext(files lessons.Files, v lessons.Values) (string, error) {
	dir, err := os.MkdirTemp("", "dockertutor-context-")
	if err != nil {
		return "", fmt.Errorf("cannot make a folder for the build: %w", err)
	}
	for _, name := range files.List {
		target, data, err := files.Render(name, v)
		if err == nil {
			err = writeContextFile(filepath.Join(dir, filepath.FromSlash(target)), data)
		}
		if err != nil {
			os.RemoveAll(dir)
			return "", fmt.Errorf("cannot lay out the build's files: %w", err)
		}
	}
	return dir, nil
}

func writeContextFile(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, data, 0o644)
}

// hiddenValues are the values of a step the learner must not see in an
// action's output before finding them: a pack-context build's arguments
// and secrets, and the values its answer expects.
func hiddenValues(st *lessons.Step, v lessons.Values) []string {
	var out []string
	add := func(tmpl string) {
		if x, err := lessons.Expand(tmpl, v); err == nil && x != "" && x != v.Secret {
			out = append(out, x)
		}
	}
	if st.Action != nil && st.Action.Build != nil && st.Action.Build.PackContext != "" {
		for _, a := range st.Action.Build.Args {
			add(a)
		}
		for _, sec := range st.Action.Build.Secrets {
			add(sec)
		}
	}
	if st.Answer != nil {
		for _, p := range st.Answer.Values {
			add(p.Value)
		}
	}
	return out
}
