package check

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/dockertutor/dockertutor/exercises/daemon"
	"github.com/dockertutor/dockertutor/lessons"
)

// trivyReport checks a trivy JSON report in the step folder: it must be a
// report of the step's image (and of its current build when trivy recorded
// the image ID).
func trivyReport(ctx context.Context, env Env, s *lessons.TrivyReport) finding {
	path := filepath.Join(env.Values.Workdir, filepath.FromSlash(s.File))
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return failed(fmt.Sprintf("There is no %s in the step folder yet: trivy image --format json --output %s %s", s.File, s.File, s.Image))
	}
	if err != nil {
		return broken(err)
	}
	var rep struct {
		SchemaVersion int
		ArtifactName  string
		ArtifactType  string
		Metadata      struct{ ImageID string }
		Results       *json.RawMessage
	}
	if err := json.Unmarshal(data, &rep); err != nil {
		return failed(fmt.Sprintf("%s is not JSON (%v): use --format json.", s.File, err))
	}
	if rep.SchemaVersion != 2 || rep.ArtifactName == "" {
		return failed(fmt.Sprintf("%s is not a trivy JSON report (no SchemaVersion 2 and ArtifactName).", s.File))
	}
	ev := Evidence{Where: s.File, Detail: fmt.Sprintf("report of %s (%s)", rep.ArtifactName, rep.ArtifactType)}
	if !daemon.SameImage(rep.ArtifactName, s.Image) {
		return failed(fmt.Sprintf("%s is a report of %s, not of %s.", s.File, rep.ArtifactName, s.Image), ev)
	}
	if rep.Metadata.ImageID != "" && env.Docker != nil {
		img, err := env.Docker.ImageInspect(ctx, s.Image)
		if err == nil && img.ID != rep.Metadata.ImageID {
			return failed(fmt.Sprintf("%s is a report of an older build of %s: scan it again.", s.File, s.Image), ev)
		}
	}
	return passed(fmt.Sprintf("%s is a trivy report of %s.", s.File, s.Image), ev)
}
