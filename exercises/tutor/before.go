package tutor

import (
	"context"
	"time"

	cerrdefs "github.com/containerd/errdefs"

	"github.com/dockertutor/dockertutor/lessons"
)

// beforeTimeout bounds asking the daemon about a step's images when it is
// first opened; a daemon that does not answer leaves them unknown, and
// opening the step does not wait for it.
const beforeTimeout = 3 * time.Second

// imagesBefore is what the names the step's image.fresh checks read point
// at now, before the learner builds anything in it (see
// progress.StepProgress.Before): name to image ID, "" for none. nil when
// the step was opened before, has no such check, or the daemon could not
// say for every name.
func (s *Session) imagesBefore(st *lessons.Step) map[string]string {
	p, err := s.Progress()
	if err != nil || p.Steps[st.ID] != nil && !p.Steps[st.ID].Began.IsZero() {
		return nil
	}
	values := s.Values(st, p)
	var names []string
	for _, c := range st.Checks {
		if _, ok := c.Spec.(*lessons.ImageFresh); !ok {
			continue
		}
		spec, err := lessons.ExpandSpec(c.Spec, values)
		if err != nil {
			return nil
		}
		names = append(names, spec.(*lessons.ImageFresh).Image)
	}
	if len(names) == 0 {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), beforeTimeout)
	defer cancel()
	cli, err := s.conn.get(ctx)
	if err != nil {
		return nil
	}
	before := make(map[string]string, len(names))
	for _, name := range names {
		img, err := cli.ImageInspect(ctx, name)
		switch {
		case err == nil:
			before[name] = img.ID
		case cerrdefs.IsNotFound(err):
			before[name] = ""
		default:
			return nil
		}
	}
	return before
}
