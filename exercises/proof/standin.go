package proof

import (
	"context"
	"os"
	"path/filepath"

	"github.com/dockertutor/dockertutor/exercises/check"
	"github.com/dockertutor/dockertutor/exercises/tutor"
	"github.com/dockertutor/dockertutor/lessons"
)

// standInForTools writes, for the reference solution, the files that tools
// the step asks the learner to run would write, where a proof cannot run
// them: trivy needs its vulnerability database from the internet. The
// stand-in is trivy's report of the image as built, with no
// vulnerabilities (check.TrivyReportOf): every part trivy takes from the
// image, read from the same daemon, so the check's comparisons are proven
// on each engine, while the must-fail attempts prove that made-up reports
// fail. It says which tools it stood in for.
func standInForTools(ctx context.Context, s *tutor.Session, st *lessons.Step) ([]string, error) {
	var tools []string
	for _, c := range st.Checks {
		if _, ok := c.Spec.(*lessons.TrivyReport); !ok {
			continue
		}
		p, err := s.Progress()
		if err != nil {
			return nil, err
		}
		v := s.Values(st, p)
		spec, err := lessons.ExpandSpec(c.Spec, v)
		if err != nil {
			return nil, err
		}
		docker, err := s.Docker(ctx)
		if err != nil {
			return nil, err
		}
		trivy := spec.(*lessons.TrivyReport)
		report, err := check.TrivyReportOf(ctx, check.Env{Step: st, Values: v, Docker: docker}, trivy.Image)
		if err != nil {
			return nil, err
		}
		if err := os.WriteFile(filepath.Join(v.Workdir, filepath.FromSlash(trivy.File)), report, 0o644); err != nil {
			return nil, err
		}
		tools = append(tools, "trivy")
	}
	return tools, nil
}
