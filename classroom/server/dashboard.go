package server

import (
	"bytes"
	"compress/gzip"
	"crypto/subtle"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/dockertutor/dockertutor/classroom/room"
	"github.com/dockertutor/dockertutor/exercises/progress"
	"github.com/dockertutor/dockertutor/lessons"
	"github.com/dockertutor/dockertutor/present"
)

//go:embed web
var web embed.FS

// maxStreams bounds the live streams open at once: a few dashboards (a
// projector, a laptop, an assistant's) and scripts reading the room.
const maxStreams = 32

// cookieName holds the instructor's token once the dashboard's URL was
// opened: HttpOnly, SameSite=Strict, so that the token leaves the address
// bar and no other site's page can use it.
const cookieName = "dockertutor_instructor"

var templates = template.Must(template.New("").Funcs(template.FuncMap{
	"duration": present.TimeOnStep,
	"mark":     func(status string) present.Mark { return present.StatusMark(progress.Status(status)) },
}).ParseFS(web, "web/*.html"))

// pageData is what the templates read.
type pageData struct {
	Room    room.Room
	JoinURL string
	Lessons []*lessons.Lesson
	// StuckMinutes is the stuck time in minutes, for the form.
	StuckMinutes int
	// Version is the live fragment's version the page was rendered at.
	Version uint64
	// Ready counts the machines ready for the class.
	Ready int
}

func (s *Server) pageData(r room.Room) pageData {
	d := pageData{Room: r, JoinURL: s.opts.JoinURL, Lessons: s.course.Lessons, StuckMinutes: max(1, r.Class.StuckAfterSeconds/60)}
	for _, m := range r.Readiness {
		if m.Ready {
			d.Ready++
		}
	}
	return d
}

func (s *Server) dashboardRoutes(m *http.ServeMux) {
	static, _ := fs.Sub(web, "web/static")
	m.Handle("GET /static/", http.StripPrefix("/static/", http.FileServerFS(static)))
	m.HandleFunc("GET /{$}", s.dashboard)
	m.HandleFunc("GET /live", s.instructorOnly(s.live))
	m.HandleFunc("GET /join/{code}", s.joinPage)
	csrf := http.NewCrossOriginProtection()
	form := func(h http.HandlerFunc) http.Handler { return csrf.Handler(s.cookieOnly(h)) }
	m.Handle("POST /hold", form(s.holdForm))
	m.Handle("POST /message", form(s.messageForm))
	m.Handle("POST /settings", form(s.settingsForm))
}

// pageHeaders keep the page to its own scripts and styles (a name that
// slipped past escaping still could not run), and the token in the URL
// out of any Referer.
func pageHeaders(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
}

func (s *Server) dashboard(w http.ResponseWriter, r *http.Request) {
	pageHeaders(w)
	if token := r.URL.Query().Get("token"); token != "" {
		if !s.instructorToken(token) {
			s.page(w, http.StatusUnauthorized, "denied", nil)
			return
		}
		http.SetCookie(w, &http.Cookie{Name: cookieName, Value: token, Path: "/", HttpOnly: true, SameSite: http.SameSiteStrictMode})
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return
	}
	if !s.isInstructor(r) {
		s.page(w, http.StatusUnauthorized, "denied", nil)
		return
	}
	// The page is the room now; its live stream then sends every
	// snapshot from this one on.
	if err := s.publish(); err != nil {
		s.opts.Log.Error("building the room", "err", err)
	}
	snap := s.Snapshot()
	data := s.pageData(snap.Room)
	data.Version = snap.Version
	s.page(w, http.StatusOK, "page", data)
}

func (s *Server) page(w http.ResponseWriter, code int, name string, data any) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(code)
	if err := templates.ExecuteTemplate(w, name, data); err != nil {
		s.opts.Log.Error("rendering the page", "page", name, "err", err)
	}
}

func (s *Server) joinPage(w http.ResponseWriter, r *http.Request) {
	pageHeaders(w)
	// The page tells a right code from a wrong one: as limited as joining
	// (a wrong code spends the address's budget, a right one does not).
	if ok, wait := s.joinLimit.check(remoteIP(r), s.opts.Now()); !ok {
		w.Header().Set("Retry-After", strconv.Itoa(retryAfter(wait)))
		s.page(w, http.StatusTooManyRequests, "error", "Too many tries from this address: wait a few seconds.")
		return
	}
	s.mu.Lock()
	title, code := s.class.Title, s.class.Code
	s.mu.Unlock()
	data := struct {
		Title, Command string
		Known          bool
	}{Title: title, Known: subtle.ConstantTimeCompare([]byte(r.PathValue("code")), []byte(code)) == 1}
	if !data.Known {
		s.joinLimit.allow(remoteIP(r), s.opts.Now())
	}
	if data.Known {
		data.Command = "dockertutor class join " + s.opts.JoinURL + " --name \"Your name\""
	}
	status := http.StatusOK
	if !data.Known {
		status = http.StatusNotFound
	}
	s.page(w, status, "join", data)
}

// cookieOnly lets through the dashboard's own forms: the cookie, never a
// bearer token (the API has its routes), behind the origin check.
func (s *Server) cookieOnly(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		c, err := r.Cookie(cookieName)
		if err != nil || !s.instructorToken(c.Value) {
			pageHeaders(w)
			s.page(w, http.StatusUnauthorized, "denied", nil)
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, 4<<10)
		// Read the form here: a body past the bound or badly encoded
		// would otherwise read as empty fields, and an empty message or
		// hold clears it.
		if err := r.ParseForm(); err != nil {
			code, say := http.StatusBadRequest, "The form could not be read: nothing changed."
			var tooLarge *http.MaxBytesError
			if errors.As(err, &tooLarge) {
				code, say = http.StatusRequestEntityTooLarge, "The form is too long: nothing changed."
			}
			pageHeaders(w)
			s.page(w, code, "error", say)
			return
		}
		h(w, r)
	}
}

func (s *Server) formDone(w http.ResponseWriter, r *http.Request, err error) {
	if err != nil {
		var bad *badChange
		code := http.StatusInternalServerError
		if errors.As(err, &bad) {
			code = http.StatusBadRequest
		}
		pageHeaders(w)
		s.page(w, code, "error", err.Error())
		return
	}
	http.Redirect(w, r, "/#controls", http.StatusSeeOther)
}

func (s *Server) holdForm(w http.ResponseWriter, r *http.Request) {
	_, err := s.setHold(r, r.PostFormValue("lesson"))
	s.formDone(w, r, err)
}

func (s *Server) messageForm(w http.ResponseWriter, r *http.Request) {
	text := r.PostFormValue("text")
	if r.PostFormValue("clear") != "" {
		text = ""
	}
	_, err := s.setMessage(r, text)
	s.formDone(w, r, err)
}

func (s *Server) settingsForm(w http.ResponseWriter, r *http.Request) {
	minutes, err := strconv.Atoi(strings.TrimSpace(r.PostFormValue("stuck_minutes")))
	if err != nil {
		s.formDone(w, r, &badChange{"stuck after: a whole number of minutes"})
		return
	}
	_, err = s.setStuckAfter(r, minutes*60)
	s.formDone(w, r, err)
}

// live streams the room to a dashboard: the current room at once, then
// each new one (at most one per Coalesce), with a comment line as a
// heartbeat. ?format=json streams the Room document instead of the page's
// fragment.
func (s *Server) live(w http.ResponseWriter, r *http.Request) {
	// Each stream holds a connection and a goroutine while it is open; a
	// bound keeps a reconnect loop or a leaked token from holding every
	// file descriptor the learners' requests need.
	if s.streams.Add(1) > maxStreams {
		s.streams.Add(-1)
		w.Header().Set("Retry-After", "5")
		problem(w, http.StatusServiceUnavailable, "%d live dashboards are open already: close one", maxStreams)
		return
	}
	defer s.streams.Add(-1)
	rc := http.NewResponseController(w)
	// The server's read and write timeouts are for requests; a stream
	// lives on, so each write gets its own deadline instead.
	rc.SetReadDeadline(time.Time{})
	asJSON := r.URL.Query().Get("format") == "json"
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	// Each push is the whole room (about 190 KB of HTML at 200 learners,
	// five times a second in a busy class): one compressed stream, flushed
	// per event, shrinks the next push by what it shares with the last.
	var out io.Writer = w
	flushOut := func() error { return nil }
	if acceptsGzip(r) {
		h.Set("Content-Encoding", "gzip")
		h.Add("Vary", "Accept-Encoding")
		gz, _ := gzip.NewWriterLevel(w, gzip.BestSpeed)
		defer gz.Close()
		out, flushOut = gz, gz.Flush
	}
	w.WriteHeader(http.StatusOK)

	updates, cancel := s.Subscribe()
	defer cancel()
	heartbeat := time.NewTicker(s.opts.Heartbeat)
	defer heartbeat.Stop()
	var sent uint64
	var sentHTML []byte // a page stream skips a version whose page is the same
	write := func(b []byte) bool {
		rc.SetWriteDeadline(time.Now().Add(10 * time.Second))
		if _, err := out.Write(b); err != nil {
			return false
		}
		return flushOut() == nil && rc.Flush() == nil
	}
	push := func() bool {
		snap := s.Snapshot()
		if snap.Version == sent {
			return true
		}
		sent = snap.Version
		data := snap.HTML
		if asJSON {
			data = snap.JSON
		} else if bytes.Equal(data, sentHTML) {
			return true
		} else {
			sentHTML = data
		}
		return write(sseEvent("room", snap.Version, data))
	}
	if err := s.publish(); err != nil {
		s.opts.Log.Error("building the room", "err", err)
	}
	if !write([]byte("retry: 2000\n\n")) || !push() {
		return
	}
	for {
		select {
		case <-r.Context().Done():
			return
		case <-s.done:
			return
		case <-updates:
			if !push() {
				return
			}
		case <-heartbeat.C:
			if !write([]byte(": alive\n\n")) {
				return
			}
		}
	}
}

// acceptsGzip says whether the client takes a gzip-encoded answer.
func acceptsGzip(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		name, q, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.EqualFold(strings.TrimSpace(name), "gzip") && strings.ReplaceAll(q, " ", "") != "q=0" {
			return true
		}
	}
	return false
}

// sseEvent frames data as one server-sent event: each of its lines a
// data line.
func sseEvent(name string, id uint64, data []byte) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "event: %s\nid: %d\n", name, id)
	// A CR ends a line in the stream as LF does: each one becomes a data
	// line of its own, so that nothing in the data starts a field.
	text := strings.NewReplacer("\r\n", "\n", "\r", "\n").Replace(string(data))
	for _, line := range strings.Split(strings.TrimRight(text, "\n"), "\n") {
		b.WriteString("data: ")
		b.WriteString(line)
		b.WriteByte('\n')
	}
	b.WriteByte('\n')
	return []byte(b.String())
}
