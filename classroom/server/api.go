package server

import (
	"bytes"
	"crypto/subtle"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"sync"

	"github.com/dockertutor/dockertutor/classroom/grades"
	"github.com/dockertutor/dockertutor/classroom/room"
	"github.com/dockertutor/dockertutor/classroom/store"
	"github.com/dockertutor/dockertutor/classroom/wire"
)

func (s *Server) routes() {
	m := http.NewServeMux()
	m.HandleFunc("POST /api/v1/join", s.join)
	m.HandleFunc("POST /api/v1/events", s.events)
	m.HandleFunc("GET /api/v1/room", s.instructorOnly(s.roomDoc))
	m.HandleFunc("GET /api/v1/export", s.instructorOnly(s.export))
	m.HandleFunc("POST /api/v1/hold", s.bearerOnly(s.holdAPI))
	m.HandleFunc("POST /api/v1/message", s.bearerOnly(s.messageAPI))
	m.HandleFunc("POST /api/v1/settings", s.bearerOnly(s.settingsAPI))
	s.dashboardRoutes(m)
	s.mux = m
}

// remoteIP is the address a request came from; a proxy's forwarding
// headers are not believed (the server stands on a LAN, alone).
func remoteIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

func (s *Server) join(w http.ResponseWriter, r *http.Request) {
	// An address that spent its budget (on wrong codes and new learners)
	// waits; a learner joining again spends nothing.
	if ok, wait := s.joinLimit.check(remoteIP(r), s.opts.Now()); !ok {
		w.Header().Set("Retry-After", strconv.Itoa(retryAfter(wait)))
		problem(w, http.StatusTooManyRequests, "too many attempts to join from this address: try again in a few seconds")
		return
	}
	var req wire.JoinRequest
	if code, err := decodeJSON(w, r, &req); err != nil {
		problem(w, code, "%v", err)
		return
	}
	s.mu.Lock()
	cls := s.class
	s.mu.Unlock()
	if subtle.ConstantTimeCompare([]byte(req.Code), []byte(cls.Code)) != 1 {
		s.joinLimit.allow(remoteIP(r), s.opts.Now())
		problem(w, http.StatusForbidden, "wrong class code: copy the join command the instructor shows")
		return
	}
	name := wire.CleanName(req.Name)
	if name == "" {
		problem(w, http.StatusBadRequest, "a display name is needed: join with --name \"Your name\"")
		return
	}
	if err := wire.ValidID(req.Learner); err != nil {
		problem(w, http.StatusBadRequest, "learner id: %v", err)
		return
	}
	if req.Course != cls.Course {
		problem(w, http.StatusConflict, "this class runs the course %q, and your tutor runs %q: start the tutor with the class's course", cls.Course, req.Course)
		return
	}
	// A learner's id is no secret (it names their images and containers
	// on a shared daemon): joining as someone who is in the class takes
	// their token, which their tutor shows when it joins again. Without
	// it, the join waits until they are offline (a new machine, a
	// reinstall), so that the code and an id do not take over the place
	// of someone at work.
	s.mu.Lock()
	t, known := s.traces[req.Learner]
	online := known && s.opts.Now().Sub(t.Learner.LastSeen) < room.OnlineWithin
	full := !known && len(s.traces) >= s.opts.MaxLearners
	s.mu.Unlock()
	if full {
		problem(w, http.StatusForbidden, "the class is full: %d learners joined it, as many as it takes", s.opts.MaxLearners)
		return
	}
	// A new learner spends the address's join budget, as a wrong code
	// does: a lab's machines join within its burst, and anyone making up
	// learners is slowed down as a guesser is.
	if !known {
		if ok, wait := s.joinLimit.allow(remoteIP(r), s.opts.Now()); !ok {
			w.Header().Set("Retry-After", strconv.Itoa(retryAfter(wait)))
			problem(w, http.StatusTooManyRequests, "too many attempts to join from this address: try again in a few seconds")
			return
		}
	}
	if known {
		if own, _ := s.learnerOf(bearer(r)); own != req.Learner {
			if online {
				problem(w, http.StatusConflict, "the learner %s is in this class and reporting from another tutor right now: if that is you, run `dockertutor class leave` there, or wait a minute and join again", req.Learner)
				return
			}
			s.opts.Log.Warn("joined again without the learner's token", "learner", req.Learner, "from", remoteIP(r))
		}
	}
	token := NewToken()
	l, err := s.store.Join(r.Context(), req.Learner, name, HashToken(token), s.opts.Now())
	if err != nil {
		s.opts.Log.Error("join", "learner", req.Learner, "err", err)
		problem(w, http.StatusInternalServerError, "the class server could not save your joining: try again")
		return
	}
	s.mu.Lock()
	delete(s.tokens, s.hashOf[l.ID]) // the learner's old token stops working
	h := hexOf(l.TokenHash)
	s.tokens[h], s.hashOf[l.ID] = l.ID, h
	if t, ok := s.traces[l.ID]; ok {
		t.Learner.Name, t.Learner.LastSeen = l.Name, l.LastSeen
	} else {
		s.traces[l.ID] = room.NewTrace(room.Learner{ID: l.ID, Name: l.Name, Joined: l.Joined, LastSeen: l.LastSeen})
	}
	state := s.classState()
	s.mu.Unlock()
	s.touch()
	s.opts.Log.Info("joined", "learner", l.ID, "name", l.Name)
	writeJSON(w, http.StatusOK, wire.JoinAnswer{Token: token, Class: state, Acked: l.Acked})
}

func (s *Server) events(w http.ResponseWriter, r *http.Request) {
	id, ok := s.learnerOf(bearer(r))
	if !ok {
		problem(w, http.StatusUnauthorized, "unknown or replaced learner token: join the class again")
		return
	}
	if ok, wait := s.learnerLimit.allow(id, s.opts.Now()); !ok {
		w.Header().Set("Retry-After", strconv.Itoa(retryAfter(wait)))
		problem(w, http.StatusTooManyRequests, "too many requests: slow down")
		return
	}
	if r.ContentLength > wire.MaxBodyBytes {
		problem(w, http.StatusRequestEntityTooLarge, "%v", wire.ErrTooLarge)
		return
	}
	batch, err := wire.DecodeBatch(http.MaxBytesReader(w, r.Body, wire.MaxBodyBytes))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) || errors.Is(err, wire.ErrTooLarge) {
			problem(w, http.StatusRequestEntityTooLarge, "%v", wire.ErrTooLarge)
			return
		}
		problem(w, http.StatusBadRequest, "%v", err)
		return
	}
	if err := s.inCourse(batch.Events); err != nil {
		problem(w, http.StatusBadRequest, "%v", err)
		return
	}
	// Seqs count a learner's events from 1 without gaps, so the last one
	// bounds what the store keeps of them.
	if n := len(batch.Events); n > 0 && batch.Events[n-1].Seq > s.opts.MaxEvents {
		problem(w, http.StatusRequestEntityTooLarge, "the class keeps at most %d reports of one learner", s.opts.MaxEvents)
		return
	}

	// One batch of a learner at a time, so that their events reach the
	// room in the order the store took them.
	s.mu.Lock()
	lock, ok := s.writing[id]
	if !ok {
		lock = &sync.Mutex{}
		s.writing[id] = lock
	}
	s.mu.Unlock()
	lock.Lock()
	defer lock.Unlock()

	now := s.opts.Now()
	// An event's time is the learner's clock, which may be days off or
	// lie: it is taken as no later than the event arrived and no earlier
	// than the class began, so that it can neither hide a stuck learner
	// nor put years in a grade sheet. Events kept offline keep their
	// times.
	s.mu.Lock()
	began := s.class.Created
	s.mu.Unlock()
	for i := range batch.Events {
		e := &batch.Events[i]
		if e.At.After(now) {
			e.At = now
		}
		if e.At.Before(began) {
			e.At = began
		}
	}
	stored, acked, err := s.store.Append(r.Context(), id, batch.Events, now)
	var gap *store.GapError
	switch {
	case errors.As(err, &gap):
		s.mu.Lock()
		state := s.classState()
		s.mu.Unlock()
		writeJSON(w, http.StatusConflict, wire.Ack{Acked: gap.Acked, Class: state})
		return
	case errors.Is(err, store.ErrNoLearner):
		problem(w, http.StatusUnauthorized, "unknown learner: join the class again")
		return
	case err != nil:
		s.opts.Log.Error("storing events", "learner", id, "err", err)
		problem(w, http.StatusInternalServerError, "the class server could not save your events: they stay in your outbox")
		return
	}
	s.mu.Lock()
	t := s.traces[id]
	wasOnline := now.Sub(t.Learner.LastSeen) < room.OnlineWithin
	t.Learner.LastSeen = now
	for _, e := range stored {
		t.Apply(s.course, e)
	}
	state := s.classState()
	s.mu.Unlock()
	if len(stored) > 0 || !wasOnline {
		s.touch()
	}
	writeJSON(w, http.StatusOK, wire.Ack{Acked: acked, Class: state})
}

// inCourse says which step, check or hint of a batch the class's course
// does not have.
func (s *Server) inCourse(events []wire.Event) error {
	for i, e := range events {
		if e.Kind == wire.Ready {
			continue
		}
		st, ok := s.course.Step(e.Step)
		if !ok || st.ID != e.Step {
			return fmt.Errorf("event %d: the course %q has no step %q", i+1, s.course.ID, e.Step)
		}
		for _, c := range e.Checks {
			if _, ok := st.Check(c.ID); !ok {
				return fmt.Errorf("event %d: step %q has no check %q", i+1, e.Step, c.ID)
			}
		}
		if e.Hint > len(st.Hints) {
			return fmt.Errorf("event %d: step %q has %d hints, not %d", i+1, e.Step, len(st.Hints), e.Hint)
		}
	}
	return nil
}

// instructorOnly lets through requests with the instructor's token, as a
// bearer token or the dashboard's cookie: for reading only.
func (s *Server) instructorOnly(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !s.isInstructor(r) {
			problem(w, http.StatusUnauthorized, "the instructor's token is needed: use the URL or token `dockertutor class serve` printed")
			return
		}
		h(w, r)
	}
}

// bearerOnly lets through requests with the instructor's bearer token: a
// change by the API. The dashboard's forms have their own routes, which
// check the cookie and the request's origin.
func (s *Server) bearerOnly(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if t := bearer(r); t == "" || !s.instructorToken(t) {
			problem(w, http.StatusUnauthorized, "the instructor's token is needed as a bearer token")
			return
		}
		h(w, r)
	}
}

func (s *Server) roomDoc(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, s.Room())
}

var exportTypes = map[grades.Format]string{
	grades.CSV:   "text/csv; charset=utf-8",
	grades.JSON:  "application/json",
	grades.JUnit: "application/xml",
}

func (s *Server) export(w http.ResponseWriter, r *http.Request) {
	format := grades.Format(r.URL.Query().Get("format"))
	if format == "" {
		format = grades.CSV
	}
	ctype, ok := exportTypes[format]
	if !ok {
		problem(w, http.StatusBadRequest, "format %q: the class exports csv, json or junit", format)
		return
	}
	var buf bytes.Buffer
	if err := grades.Write(&buf, format, s.Grades()); err != nil {
		s.opts.Log.Error("export", "format", format, "err", err)
		problem(w, http.StatusInternalServerError, "export: %v", err)
		return
	}
	ext := map[grades.Format]string{grades.CSV: "csv", grades.JSON: "json", grades.JUnit: "xml"}[format]
	s.mu.Lock()
	code := s.class.Code
	s.mu.Unlock()
	w.Header().Set("Content-Type", ctype)
	w.Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename=\"class-%s-grades.%s\"", code, ext))
	w.Write(buf.Bytes())
}

func (s *Server) holdAPI(w http.ResponseWriter, r *http.Request) {
	var h wire.Hold
	if code, err := decodeJSON(w, r, &h); err != nil {
		problem(w, code, "%v", err)
		return
	}
	state, err := s.setHold(r, h.Lesson)
	s.answerChange(w, state, err)
}

func (s *Server) messageAPI(w http.ResponseWriter, r *http.Request) {
	var m wire.Message
	if code, err := decodeJSON(w, r, &m); err != nil {
		problem(w, code, "%v", err)
		return
	}
	state, err := s.setMessage(r, m.Text)
	s.answerChange(w, state, err)
}

func (s *Server) settingsAPI(w http.ResponseWriter, r *http.Request) {
	var set wire.Settings
	if code, err := decodeJSON(w, r, &set); err != nil {
		problem(w, code, "%v", err)
		return
	}
	state, err := s.setStuckAfter(r, set.StuckAfterSeconds)
	s.answerChange(w, state, err)
}

func (s *Server) answerChange(w http.ResponseWriter, state wire.ClassState, err error) {
	var bad *badChange
	switch {
	case errors.As(err, &bad):
		problem(w, http.StatusBadRequest, "%v", err)
	case err != nil:
		s.opts.Log.Error("changing the class", "err", err)
		problem(w, http.StatusInternalServerError, "the class server could not save the change")
	default:
		writeJSON(w, http.StatusOK, state)
	}
}
