package server

import (
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/dockertutor/dockertutor/classroom/store"
	"github.com/dockertutor/dockertutor/classroom/wire"
	"github.com/dockertutor/dockertutor/lessons"
)

// The instructor's changes to the class, shared by the API and the
// dashboard's forms.

// badChange is a change the class cannot take, answered 400.
type badChange struct{ msg string }

func (e *badChange) Error() string { return e.msg }

// Bounds of the stuck time.
const (
	minStuckAfter = 10 * time.Second
	maxStuckAfter = 24 * time.Hour
)

func (s *Server) setHold(r *http.Request, lesson string) (wire.ClassState, error) {
	if lesson != "" && !slices.ContainsFunc(s.course.Lessons, func(l *lessons.Lesson) bool { return l.ID == lesson }) {
		return wire.ClassState{}, &badChange{fmt.Sprintf("the course has no lesson %q", lesson)}
	}
	return s.updateClass(r.Context(), func(c *store.Class) { c.HoldLesson = lesson })
}

func (s *Server) setMessage(r *http.Request, text string) (wire.ClassState, error) {
	msg := wire.CleanMessage(text)
	return s.updateClass(r.Context(), func(c *store.Class) { c.Message = msg })
}

func (s *Server) setStuckAfter(r *http.Request, seconds int) (wire.ClassState, error) {
	d := time.Duration(seconds) * time.Second
	if d < minStuckAfter || d > maxStuckAfter {
		return wire.ClassState{}, &badChange{fmt.Sprintf("stuck after %d seconds: between %d and %d", seconds, int(minStuckAfter.Seconds()), int(maxStuckAfter.Seconds()))}
	}
	return s.updateClass(r.Context(), func(c *store.Class) { c.StuckAfter = d })
}
