// Package server is the class server: the HTTP API learners' tutors post
// their events to (wire's routes), the instructor's API (the room, the
// export, hold, message, settings), and the instructor's dashboard, a
// server-rendered page kept live by server-sent events. It owns
// authentication (the class code, learners' and the instructor's
// tokens, checked by hash), limits (body size, rate per learner and per
// address) and the room kept current in memory from the store.
//
// Besides wire's routes under /api/v1, the dashboard's:
//
//	GET  /?token=T      sets the instructor's cookie, redirects to /
//	GET  /              the dashboard (cookie)
//	GET  /live          server-sent events "room": the live fragment, or
//	                    with ?format=json the Room document (cookie or Bearer)
//	POST /hold, /message, /settings   the dashboard's forms (cookie, same origin)
//	GET  /join/CODE     how to join, for a learner who opened the link
//	GET  /static/…      the page's CSS and script
package server

import (
	"bytes"
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dockertutor/dockertutor/classroom/grades"
	"github.com/dockertutor/dockertutor/classroom/room"
	"github.com/dockertutor/dockertutor/classroom/store"
	"github.com/dockertutor/dockertutor/classroom/wire"
	"github.com/dockertutor/dockertutor/lessons"
)

// Options tune a server; the zero value of each field is a sensible
// default.
type Options struct {
	// JoinURL is the address learners join at, as the class serve command
	// prints it (http://HOST:PORT/join/CODE); the dashboard shows it.
	JoinURL string
	// Log receives what the server has to say (never a token); nil is
	// silent.
	Log *slog.Logger
	// Now is the clock (tests set it).
	Now func() time.Time
	// LearnerRate and LearnerBurst bound each learner's requests per
	// second (default 20, burst 40: far past a real tutor's pace).
	LearnerRate  float64
	LearnerBurst int
	// JoinRate and JoinBurst bound join attempts per address (default 5 a
	// second, burst 100: a lab of 100 behind one address can join at once,
	// a guesser of the code gets nowhere).
	JoinRate  float64
	JoinBurst int
	// MaxLearners bounds the learners a class takes (default 500: the
	// class code is shared by the room, and anyone with it could
	// otherwise fill the room and the database with made-up learners);
	// MaxEvents bounds the events kept of one learner (default 50000, far
	// past a course's worth of steps, checks and hints).
	MaxLearners int
	MaxEvents   int64
	// Coalesce is the least time between two pushes of the room to a
	// dashboard (default 200 ms); Refresh how often the room is rebuilt
	// with no event, for its clocks and stuck marks (default 10 s);
	// Heartbeat how often an idle live stream says it is alive (15 s).
	Coalesce  time.Duration
	Refresh   time.Duration
	Heartbeat time.Duration
}

func (o *Options) defaults() {
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.LearnerRate <= 0 {
		o.LearnerRate, o.LearnerBurst = 20, 40
	}
	if o.LearnerBurst <= 0 {
		o.LearnerBurst = 1
	}
	if o.JoinRate <= 0 {
		o.JoinRate, o.JoinBurst = 5, 100
	}
	if o.JoinBurst <= 0 {
		o.JoinBurst = 1
	}
	if o.MaxLearners <= 0 {
		o.MaxLearners = 500
	}
	if o.MaxEvents <= 0 {
		o.MaxEvents = 50_000
	}
	if o.Coalesce <= 0 {
		o.Coalesce = 200 * time.Millisecond
	}
	if o.Refresh <= 0 {
		o.Refresh = 10 * time.Second
	}
	if o.Heartbeat <= 0 {
		o.Heartbeat = 15 * time.Second
	}
}

// Server is one class's server. It is an http.Handler.
type Server struct {
	store  store.Store
	course *lessons.Course
	opts   Options
	mux    *http.ServeMux

	mu      sync.Mutex
	class   store.Class
	traces  map[string]*room.Trace
	tokens  map[string]string // hex of a token's hash -> learner id
	hashOf  map[string]string // learner id -> hex of their token's hash
	writing map[string]*sync.Mutex

	learnerLimit *limiter
	joinLimit    *limiter

	changed chan struct{} // one slot: the room changed since the last build
	pubMu   sync.Mutex    // one publication at a time
	snap    atomic.Pointer[Snapshot]
	subMu   sync.Mutex
	subs    map[chan struct{}]struct{}
	streams atomic.Int64 // live streams open

	done      chan struct{}
	closeOnce sync.Once
	loopDone  chan struct{}
}

// Snapshot is the room as last published to dashboards: Version counts
// publications (from 1), HTML is the dashboard's live fragment and JSON
// the Room document.
type Snapshot struct {
	Version uint64
	Room    room.Room
	HTML    []byte
	JSON    []byte
}

// New opens the server on the store's class, which must run course c. It
// reads every learner and event once; from then on the room is kept in
// memory and the store is only written. Close it when done.
func New(st store.Store, c *lessons.Course, opts Options) (*Server, error) {
	opts.defaults()
	ctx := context.Background()
	cls, err := st.Class(ctx)
	if err != nil {
		return nil, err
	}
	if cls.Course != c.ID {
		return nil, fmt.Errorf("this class runs course %q, not %q: serve it with that course, or start a new class in another database", cls.Course, c.ID)
	}
	s := &Server{
		store: st, course: c, opts: opts, class: cls,
		traces: map[string]*room.Trace{}, tokens: map[string]string{}, hashOf: map[string]string{}, writing: map[string]*sync.Mutex{},
		learnerLimit: newLimiter(opts.LearnerRate, opts.LearnerBurst),
		joinLimit:    newLimiter(opts.JoinRate, opts.JoinBurst),
		changed:      make(chan struct{}, 1),
		subs:         map[chan struct{}]struct{}{},
		done:         make(chan struct{}),
		loopDone:     make(chan struct{}),
	}
	learners, err := st.Learners(ctx)
	if err != nil {
		return nil, err
	}
	for _, l := range learners {
		s.traces[l.ID] = room.NewTrace(room.Learner{ID: l.ID, Name: l.Name, Joined: l.Joined, LastSeen: l.LastSeen})
		s.tokens[hexOf(l.TokenHash)] = l.ID
		s.hashOf[l.ID] = hexOf(l.TokenHash)
	}
	err = st.Events(ctx, func(learner string, e wire.Event) error {
		if t, ok := s.traces[learner]; ok {
			t.Apply(c, e)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if err := s.publish(); err != nil {
		return nil, err
	}
	s.routes()
	go s.loop()
	return s, nil
}

func hexOf(b []byte) string { return fmt.Sprintf("%x", b) }

// ServeHTTP serves the API, the dashboard and its live stream.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// Close ends every live stream and the room's rebuilding; the store stays
// open (its owner closes it). Use it as an http.Server's RegisterOnShutdown.
func (s *Server) Close() {
	s.closeOnce.Do(func() { close(s.done) })
	<-s.loopDone
}

// Snapshot is the room as last published.
func (s *Server) Snapshot() *Snapshot { return s.snap.Load() }

// Subscribe returns a channel that receives (one slot, never blocking the
// server) whenever a new Snapshot is published, and a function that ends
// the subscription.
func (s *Server) Subscribe() (<-chan struct{}, func()) {
	ch := make(chan struct{}, 1)
	s.subMu.Lock()
	s.subs[ch] = struct{}{}
	s.subMu.Unlock()
	return ch, func() {
		s.subMu.Lock()
		delete(s.subs, ch)
		s.subMu.Unlock()
	}
}

// touch says the room changed; the loop rebuilds it soon.
func (s *Server) touch() {
	select {
	case s.changed <- struct{}{}:
	default:
	}
}

// loop rebuilds and publishes the room when it changed, at most once per
// Coalesce (the first change of a quiet spell goes out at once), and every
// Refresh for its clocks.
func (s *Server) loop() {
	defer close(s.loopDone)
	refresh := time.NewTicker(s.opts.Refresh)
	defer refresh.Stop()
	var last time.Time
	for {
		select {
		case <-s.done:
			return
		case <-refresh.C:
			s.learnerLimit.prune(s.opts.Now())
			s.joinLimit.prune(s.opts.Now())
		case <-s.changed:
			if wait := s.opts.Coalesce - time.Since(last); wait > 0 {
				select {
				case <-time.After(wait):
				case <-s.done:
					return
				}
			}
		}
		last = time.Now()
		if err := s.publish(); err != nil {
			s.opts.Log.Error("building the room", "err", err)
		}
	}
}

// sameSeqs says whether two rooms took in the same events: the same
// learners, each at the same seq.
func sameSeqs(a, b room.Room) bool {
	return slices.EqualFunc(a.Learners, b.Learners, func(x, y room.LearnerView) bool { return x.ID == y.ID && x.Seq == y.Seq })
}

// publish builds the room and, when its page differs from the last one
// (or there is none yet), publishes it as the next version. The loop
// calls it, and so does a dashboard that connects, which gets the room
// as it is, not as it was at the last publication.
func (s *Server) publish() error {
	s.pubMu.Lock()
	defer s.pubMu.Unlock()
	var prev uint64
	if old := s.snap.Load(); old != nil {
		prev = old.Version
	}
	select { // this build takes in every change made so far
	case <-s.changed:
	default:
	}
	r := s.Room()
	var page bytes.Buffer
	if err := templates.ExecuteTemplate(&page, "live", s.pageData(r)); err != nil {
		return err
	}
	// A verdict that leaves the page as it was (the same checks failing
	// again) still moves the learner's seq: the JSON stream must carry it.
	if old := s.snap.Load(); old != nil && bytes.Equal(old.HTML, page.Bytes()) && sameSeqs(old.Room, r) {
		return nil
	}
	doc, err := json.Marshal(r)
	if err != nil {
		return err
	}
	s.snap.Store(&Snapshot{Version: prev + 1, Room: r, HTML: page.Bytes(), JSON: doc})
	s.subMu.Lock()
	for ch := range s.subs {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
	s.subMu.Unlock()
	return nil
}

// Room is the room now.
func (s *Server) Room() room.Room {
	s.mu.Lock()
	defer s.mu.Unlock()
	return room.Build(s.course, s.settings(), s.traceList(), s.opts.Now())
}

// Grades are the grade rows now, as one sheet: the rows and the time their clocks ran to.
func (s *Server) Grades() grades.Sheet {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.opts.Now()
	return grades.Sheet{Course: s.course.ID, Generated: now.UTC(), Rows: room.Grades(s.course, s.traceList(), now)}
}

// traceList needs s.mu.
func (s *Server) traceList() []*room.Trace {
	out := make([]*room.Trace, 0, len(s.traces))
	for _, t := range s.traces {
		out = append(out, t)
	}
	return out
}

// settings needs s.mu.
func (s *Server) settings() room.Settings {
	return room.Settings{Code: s.class.Code, Title: s.class.Title, HoldLesson: s.class.HoldLesson, Message: s.class.Message, StuckAfter: s.class.StuckAfter}
}

// classState needs s.mu.
func (s *Server) classState() wire.ClassState {
	return wire.ClassState{Title: s.class.Title, HoldLesson: s.class.HoldLesson, Message: s.class.Message}
}

// learnerOf is the learner a bearer token posts for, if any.
func (s *Server) learnerOf(token string) (string, bool) {
	if token == "" {
		return "", false
	}
	h := hexOf(HashToken(token))
	s.mu.Lock()
	defer s.mu.Unlock()
	id, ok := s.tokens[h]
	return id, ok
}

// isInstructor says whether the request carries the instructor's token,
// as a bearer token or the dashboard's cookie.
func (s *Server) isInstructor(r *http.Request) bool {
	token := bearer(r)
	if token == "" {
		if c, err := r.Cookie(cookieName); err == nil {
			token = c.Value
		}
	}
	return token != "" && s.instructorToken(token)
}

func (s *Server) instructorToken(token string) bool {
	s.mu.Lock()
	want := s.class.InstructorHash
	s.mu.Unlock()
	return subtle.ConstantTimeCompare(HashToken(token), want) == 1
}

func bearer(r *http.Request) string {
	scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return ""
	}
	return strings.TrimSpace(token)
}

// updateClass changes the class in the store and in memory.
func (s *Server) updateClass(ctx context.Context, change func(*store.Class)) (wire.ClassState, error) {
	s.mu.Lock()
	cls := s.class
	s.mu.Unlock()
	change(&cls)
	if err := s.store.UpdateClass(ctx, cls); err != nil {
		return wire.ClassState{}, err
	}
	s.mu.Lock()
	s.class = cls
	st := s.classState()
	s.mu.Unlock()
	s.touch()
	return st, nil
}

// problem answers with a wire.Problem.
func problem(w http.ResponseWriter, code int, format string, args ...any) {
	writeJSON(w, code, wire.Problem{Error: fmt.Sprintf(format, args...)})
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(v)
}

// decodeJSON reads one bounded, strict JSON value into v.
func decodeJSON(w http.ResponseWriter, r *http.Request, v any) (int, error) {
	body := http.MaxBytesReader(w, r.Body, wire.MaxBodyBytes)
	dec := json.NewDecoder(body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return http.StatusRequestEntityTooLarge, wire.ErrTooLarge
		}
		return http.StatusBadRequest, fmt.Errorf("not a JSON request: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return http.StatusBadRequest, errors.New("not a JSON request: data after the value")
	}
	return 0, nil
}
