package tutor

import (
	"errors"

	"github.com/dockertutor/dockertutor/exercises/progress"
	"github.com/dockertutor/dockertutor/lessons"
)

// Skip leaves an optional step out (it counts as done, not passed); a
// step the course needs is refused with a UsageError that says so. A
// later check of the step records its verdict instead.
func (s *Session) Skip(st *lessons.Step) (progress.Progress, error) {
	p, err := s.Update(func(p *progress.Progress) error { return p.Skip(st, s.now().UTC()) })
	var notOptional *progress.NotOptionalError
	if errors.As(err, &notOptional) {
		return p, &UsageError{Msg: notOptional.Error()}
	}
	if err == nil {
		s.observe(Activity{Kind: StepSkipped, Step: st.ID})
	}
	return p, err
}
