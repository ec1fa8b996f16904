package server

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dockertutor/dockertutor/classroom/room"
	"github.com/dockertutor/dockertutor/classroom/store"
	"github.com/dockertutor/dockertutor/classroom/wire"
	"github.com/dockertutor/dockertutor/lessons"
)

func testCourse() *lessons.Course {
	l1 := &lessons.Lesson{ID: "basics", Number: 1, Title: "Basics"}
	l2 := &lessons.Lesson{ID: "secrets", Number: 2, Title: "Secrets"}
	l1.Steps = []*lessons.Step{
		{ID: "intro", Number: "1.1", Title: "Intro", Kind: lessons.KindRead, Lesson: l1},
		{ID: "build", Number: "1.2", Title: "Build it", Kind: lessons.KindExercise, Lesson: l1, Hints: []string{"one", "two"},
			Checks: []lessons.Check{{ID: "exists", Title: "the image exists"}, {ID: "user", Title: "it runs as a user"}}},
	}
	l2.Steps = []*lessons.Step{{ID: "mount", Number: "2.1", Title: "Mount it", Kind: lessons.KindExercise, Lesson: l2,
		Checks: []lessons.Check{{ID: "mounted", Title: "the secret is mounted"}}}}
	return &lessons.Course{ID: "test-course", Title: "Test course", Lessons: []*lessons.Lesson{l1, l2}}
}

// class is a server on loopback over a file database, with its
// instructor token and code.
type class struct {
	t          testing.TB
	srv        *Server
	http       *httptest.Server
	store      *store.SQLite
	code       string
	instructor string
}

func newClass(t testing.TB, opts Options) *class {
	t.Helper()
	st, err := store.Open(filepath.Join(t.TempDir(), "class.db"))
	if err != nil {
		t.Fatal(err)
	}
	c := testCourse()
	cls, token, err := CreateClass(context.Background(), st, c, "Tuesday's class", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if opts.Coalesce == 0 {
		opts.Coalesce = 20 * time.Millisecond
	}
	srv, err := New(st, c, opts)
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	t.Cleanup(func() { hs.Close(); srv.Close(); st.Close() })
	return &class{t: t, srv: srv, http: hs, store: st, code: cls.Code, instructor: token}
}

func (c *class) do(method, path, token string, body any) (*http.Response, []byte) {
	c.t.Helper()
	var r io.Reader
	switch b := body.(type) {
	case nil:
	case []byte:
		r = bytes.NewReader(b)
	case string:
		r = strings.NewReader(b)
	default:
		data, err := json.Marshal(b)
		if err != nil {
			c.t.Fatal(err)
		}
		r = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, c.http.URL+path, r)
	if err != nil {
		c.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := noRedirects.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp, data
}

var noRedirects = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }, Timeout: 10 * time.Second}

func (c *class) join(id, name string) string {
	c.t.Helper()
	resp, body := c.do("POST", "/api/v1/join", "", wire.JoinRequest{Code: c.code, Name: name, Learner: id, Course: "test-course"})
	if resp.StatusCode != 200 {
		c.t.Fatalf("join %s: %d %s", id, resp.StatusCode, body)
	}
	var a wire.JoinAnswer
	if err := json.Unmarshal(body, &a); err != nil || a.Token == "" {
		c.t.Fatalf("join answer %s: %v", body, err)
	}
	return a.Token
}

func batch(events ...wire.Event) wire.EventBatch {
	return wire.EventBatch{Format: wire.EventsFormat, Events: events}
}

func at(seq int64, kind wire.Kind, step string) wire.Event {
	return wire.Event{Seq: seq, Kind: kind, Step: step, At: time.Now().UTC().Truncate(time.Millisecond)}
}

func failing(seq int64, step string, checks ...string) wire.Event {
	e := at(seq, wire.Verdict, step)
	for _, id := range checks {
		e.Checks = append(e.Checks, wire.CheckOutcome{ID: id, Outcome: wire.Failed})
	}
	return e
}

func (c *class) post(token string, b any) (int, wire.Ack, string) {
	c.t.Helper()
	resp, body := c.do("POST", "/api/v1/events", token, b)
	var a wire.Ack
	json.Unmarshal(body, &a)
	return resp.StatusCode, a, string(body)
}

func (c *class) learner(id string) room.LearnerView {
	c.t.Helper()
	for _, l := range c.srv.Room().Learners {
		if l.ID == id {
			return l
		}
	}
	c.t.Fatalf("no learner %s in the room", id)
	return room.LearnerView{}
}

func TestJoin(t *testing.T) {
	c := newClass(t, Options{})
	for _, tc := range []struct {
		name string
		req  any
		want int
		says string
	}{
		{"wrong code", wire.JoinRequest{Code: "WRONG123", Name: "Ann", Learner: "ann-1", Course: "test-course"}, 403, "wrong class code"},
		{"another course", wire.JoinRequest{Code: c.code, Name: "Ann", Learner: "ann-1", Course: "other"}, 409, `"test-course"`},
		{"no name", wire.JoinRequest{Code: c.code, Name: " \u200b ", Learner: "ann-1", Course: "test-course"}, 400, "display name"},
		{"bad learner id", wire.JoinRequest{Code: c.code, Name: "Ann", Learner: "../etc", Course: "test-course"}, 400, "learner id"},
		{"unknown field", `{"code":"x","name":"a","learner":"a","course":"c","extra":1}`, 400, "unknown field"},
		{"not JSON", `{`, 400, "not a JSON request"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := c.do("POST", "/api/v1/join", "", tc.req)
			var p wire.Problem
			if resp.StatusCode != tc.want || json.Unmarshal(body, &p) != nil || !strings.Contains(p.Error, tc.says) {
				t.Errorf("%d %s, want %d saying %s", resp.StatusCode, body, tc.want, tc.says)
			}
		})
	}
	if n := len(c.srv.Room().Learners); n != 0 {
		t.Fatalf("%d learners after refused joins", n)
	}

	old := c.join("ann-1", "Ann")
	if code, _, body := c.post(old, batch(at(1, wire.StepOpened, "intro"))); code != 200 {
		t.Fatalf("post: %d %s", code, body)
	}
	// Her tutor joins again, showing the token it has.
	resp, body := c.do("POST", "/api/v1/join", old, wire.JoinRequest{Code: c.code, Name: "Ann B.", Learner: "ann-1", Course: "test-course"})
	var again wire.JoinAnswer
	if resp.StatusCode != 200 || json.Unmarshal(body, &again) != nil {
		t.Fatalf("joining again: %d %s", resp.StatusCode, body)
	}
	fresh := again.Token
	if code, _, _ := c.post(old, batch()); code != 401 {
		t.Errorf("the replaced token posts: %d, want 401", code)
	}
	code, ack, _ := c.post(fresh, batch())
	if code != 200 || ack.Acked != 1 || ack.Class.Title != "Tuesday's class" {
		t.Errorf("the new token: %d %+v: want 200, the event kept (acked 1)", code, ack)
	}
	if l := c.learner("ann-1"); l.Name != "Ann B." || l.Step != "intro" {
		t.Errorf("after joining again: %+v", l)
	}
}

func TestTheTokenDecidesTheLearner(t *testing.T) {
	c := newClass(t, Options{})
	ann, bob := c.join("ann-1", "Ann"), c.join("bob-1", "Bob")
	if code, _, body := c.post(ann, batch(at(1, wire.StepOpened, "build"), failing(2, "build", "user"))); code != 200 {
		t.Fatalf("%d %s", code, body)
	}
	if l := c.learner("ann-1"); l.Step != "build" || len(l.Failing) != 1 || l.Failing[0] != "it runs as a user" {
		t.Errorf("ann: %+v", l)
	}
	if l := c.learner("bob-1"); l.Step != "" {
		t.Errorf("bob moved with ann's events: %+v", l)
	}
	// Bob's first events start at 1 whatever Ann sent.
	if code, ack, body := c.post(bob, batch(at(1, wire.StepOpened, "mount"))); code != 200 || ack.Acked != 1 {
		t.Fatalf("bob: %d %s", code, body)
	}
}

func TestEventRefusalsAffectNoOneElse(t *testing.T) {
	c := newClass(t, Options{})
	ann, bob := c.join("ann-1", "Ann"), c.join("bob-1", "Bob")
	if code, _, _ := c.post(bob, batch(at(1, wire.StepOpened, "build"))); code != 200 {
		t.Fatal("bob's first batch")
	}
	big := batch()
	for i := range wire.MaxBatch {
		e := at(int64(i+1), wire.HintShown, "build")
		e.Hint = 1
		e.Step = strings.Repeat("b", 60)
		big.Events = append(big.Events, e)
	}
	huge, _ := json.Marshal(big)
	huge = append(huge, bytes.Repeat([]byte(" "), wire.MaxBodyBytes)...)
	for _, tc := range []struct {
		name  string
		token string
		body  any
		want  int
		says  string
	}{
		{"no token", "", batch(at(1, wire.StepOpened, "build")), 401, "token"},
		{"a made-up token", NewToken(), batch(at(1, wire.StepOpened, "build")), 401, "token"},
		{"the instructor's token", c.instructor, batch(at(1, wire.StepOpened, "build")), 401, "token"},
		{"malformed", ann, `{"format":"dockertutor.events/1","events":[{"seq":1}]}`, 400, "event 1"},
		{"not JSON", ann, `nope`, 400, "not an event batch"},
		{"wrong format", ann, `{"format":"x","events":[]}`, 400, "format"},
		{"unknown step", ann, batch(at(1, wire.StepOpened, "build"), at(2, wire.StepOpened, "no-such-step")), 400, `no step "no-such-step"`},
		{"unknown check", ann, batch(failing(1, "build", "no-such-check")), 400, `no check "no-such-check"`},
		{"a hint the step does not have", ann, batch(wire.Event{Seq: 1, Kind: wire.HintShown, Step: "build", Hint: 3, At: time.Now()}), 400, "2 hints"},
		{"too large", ann, huge, 413, "bytes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, body := c.post(tc.token, tc.body)
			var p wire.Problem
			if code != tc.want || json.Unmarshal([]byte(body), &p) != nil || !strings.Contains(p.Error, tc.says) {
				t.Errorf("%d %s, want %d saying %s", code, body, tc.want, tc.says)
			}
		})
	}
	// Nothing of a refused batch was stored: Ann's first event is still 1.
	if code, ack, body := c.post(ann, batch(at(1, wire.StepOpened, "build"))); code != 200 || ack.Acked != 1 {
		t.Errorf("ann after refusals: %d %s", code, body)
	}
	// Bob carries on where he was.
	if code, ack, body := c.post(bob, batch(failing(2, "build", "exists"))); code != 200 || ack.Acked != 2 {
		t.Errorf("bob after ann's refusals: %d %s", code, body)
	}
}

func TestDuplicatesAndGaps(t *testing.T) {
	c := newClass(t, Options{})
	ann := c.join("ann-1", "Ann")
	b := batch(at(1, wire.StepOpened, "build"), failing(2, "build", "user"))
	for range 2 {
		if code, ack, body := c.post(ann, b); code != 200 || ack.Acked != 2 {
			t.Fatalf("%d %s", code, body)
		}
	}
	if l := c.learner("ann-1"); l.Step != "build" {
		t.Fatalf("%+v", l)
	}
	rows := c.srv.Grades().Rows
	if rows[1].Step != "build" || rows[1].Attempts != 1 {
		t.Errorf("a batch sent twice counted twice: %+v", rows[1])
	}
	code, ack, body := c.post(ann, batch(failing(4, "build", "user")))
	if code != 409 || ack.Acked != 2 {
		t.Errorf("a gap: %d %s, want 409 with acked 2", code, body)
	}
	// Overlap: 2 is a duplicate, 3 is new.
	if code, ack, body := c.post(ann, batch(failing(2, "build", "user"), failing(3, "build", "exists"))); code != 200 || ack.Acked != 3 {
		t.Errorf("overlap: %d %s", code, body)
	}
	if rows := c.srv.Grades().Rows; rows[1].Attempts != 2 {
		t.Errorf("attempts %d, want 2", rows[1].Attempts)
	}
}

func TestRateLimits(t *testing.T) {
	c := newClass(t, Options{LearnerRate: 0.01, LearnerBurst: 3, JoinRate: 0.01, JoinBurst: 3})
	ann := c.join("ann-1", "Ann")
	bob := c.join("bob-1", "Bob")
	for i := range 3 {
		if code, _, body := c.post(ann, batch()); code != 200 {
			t.Fatalf("request %d: %d %s", i+1, code, body)
		}
	}
	resp, body := c.do("POST", "/api/v1/events", ann, batch())
	if resp.StatusCode != 429 || resp.Header.Get("Retry-After") == "" || !strings.Contains(string(body), "slow down") {
		t.Errorf("past the burst: %d, Retry-After %q, %s", resp.StatusCode, resp.Header.Get("Retry-After"), body)
	}
	if code, _, _ := c.post(bob, batch()); code != 200 {
		t.Errorf("bob limited by ann's requests: %d", code)
	}
	// Wrong codes spend the address's burst of 3 (right ones do not):
	// then even the right code waits.
	for range 3 {
		c.do("POST", "/api/v1/join", "", wire.JoinRequest{Code: "WRONG123"})
	}
	resp, _ = c.do("POST", "/api/v1/join", "", wire.JoinRequest{Code: c.code, Name: "Cat", Learner: "cat", Course: "test-course"})
	if resp.StatusCode != 429 || resp.Header.Get("Retry-After") == "" {
		t.Errorf("joins past the burst: %d", resp.StatusCode)
	}
	if resp, _ := c.do("GET", "/join/"+c.code, "", nil); resp.StatusCode != 429 {
		t.Errorf("the join page past the burst: %d: it would tell codes apart unlimited", resp.StatusCode)
	}
}

func TestInstructorRoutesNeedTheToken(t *testing.T) {
	c := newClass(t, Options{})
	ann := c.join("ann-1", "Ann")
	for _, r := range []struct{ method, path string }{
		{"GET", "/api/v1/room"}, {"GET", "/api/v1/export?format=csv"}, {"GET", "/live"},
		{"POST", "/api/v1/hold"}, {"POST", "/api/v1/message"}, {"POST", "/api/v1/settings"},
	} {
		for _, token := range []string{"", NewToken(), ann} {
			resp, body := c.do(r.method, r.path, token, `{}`)
			if resp.StatusCode != 401 {
				t.Errorf("%s %s with token %.6q: %d %s", r.method, r.path, token, resp.StatusCode, body)
			}
		}
	}
	resp, body := c.do("GET", "/api/v1/room", c.instructor, nil)
	var r room.Room
	if resp.StatusCode != 200 || json.Unmarshal(body, &r) != nil || r.Format != room.Format || r.Class.Code != c.code {
		t.Errorf("the room: %d %s", resp.StatusCode, body)
	}
	if resp, _ := c.do("GET", "/api/v1/export?format=xlsx", c.instructor, nil); resp.StatusCode != 400 {
		t.Errorf("an unknown export format: %d", resp.StatusCode)
	}
}

func TestHoldMessageSettings(t *testing.T) {
	c := newClass(t, Options{})
	ann := c.join("ann-1", "Ann")
	if resp, body := c.do("POST", "/api/v1/hold", c.instructor, wire.Hold{Lesson: "nope"}); resp.StatusCode != 400 {
		t.Errorf("hold at an unknown lesson: %d %s", resp.StatusCode, body)
	}
	resp, body := c.do("POST", "/api/v1/hold", c.instructor, wire.Hold{Lesson: "basics"})
	var st wire.ClassState
	if resp.StatusCode != 200 || json.Unmarshal(body, &st) != nil || st.HoldLesson != "basics" {
		t.Fatalf("hold: %d %s", resp.StatusCode, body)
	}
	c.do("POST", "/api/v1/message", c.instructor, wire.Message{Text: "Break\n until\t10:30\u202e"})
	if resp, body := c.do("POST", "/api/v1/settings", c.instructor, wire.Settings{StuckAfterSeconds: 3}); resp.StatusCode != 400 {
		t.Errorf("stuck after 3 s: %d %s", resp.StatusCode, body)
	}
	c.do("POST", "/api/v1/settings", c.instructor, wire.Settings{StuckAfterSeconds: 300})
	_, ack, _ := c.post(ann, batch())
	if ack.Class.HoldLesson != "basics" || ack.Class.Message != "Break until 10:30" {
		t.Errorf("a learner's ack carries %+v", ack.Class)
	}
	cls, err := c.store.Class(context.Background())
	if err != nil || cls.StuckAfter != 5*time.Minute || cls.HoldLesson != "basics" || cls.Message != "Break until 10:30" {
		t.Errorf("stored class %+v, %v", cls, err)
	}
	if r := c.srv.Room(); r.Steps[2].ID != "mount" || !r.Steps[2].Held || r.Steps[1].Held {
		t.Errorf("held steps: %+v", r.Steps)
	}
}

func TestExportRows(t *testing.T) {
	c := newClass(t, Options{})
	ann := c.join("ann-1", "=HYPERLINK(\"x\")")
	c.post(ann, batch(at(1, wire.StepOpened, "build"), wire.Event{Seq: 2, Kind: wire.HintShown, Step: "build", Hint: 1, At: time.Now()},
		at(3, wire.SolutionShown, "build"), at(4, wire.Verdict, "build")))
	// at(…, Verdict) has Passed false and no checks: a failure.
	rows := c.srv.Grades().Rows
	if len(rows) != 3 {
		t.Fatalf("%d rows, want one per step", len(rows))
	}
	b := rows[1]
	if b.Learner != "ann-1" || b.Name != "=HYPERLINK(\"x\")" || b.Status != "failed" || b.Attempts != 1 || b.HintsUsed != 1 || !b.SolutionShown {
		t.Errorf("the build row: %+v", b)
	}
	resp, body := c.do("GET", "/api/v1/export?format=csv", c.instructor, nil)
	if resp.StatusCode != 200 && resp.StatusCode != 500 {
		t.Errorf("export: %d %s", resp.StatusCode, body)
	}
}

func TestNamesAreEscaped(t *testing.T) {
	c := newClass(t, Options{})
	names := []string{`<script>alert(1)</script>`, `"><img src=x onerror=alert(1)>`}
	for i, n := range names {
		tok := c.join(fmt.Sprintf("l-%d", i), n)
		c.post(tok, batch(at(1, wire.StepOpened, "build")))
	}
	page := c.dashboardPage()
	for _, raw := range []string{"<script>alert", "<img src=x", `"><img`} {
		if strings.Contains(page, raw) {
			t.Errorf("the page holds %q unescaped", raw)
		}
	}
	if !strings.Contains(page, "&lt;script&gt;alert(1)&lt;/script&gt;") || !strings.Contains(page, "&#34;&gt;&lt;img src=x onerror=alert(1)&gt;") {
		t.Errorf("the names are not on the page, escaped:\n%s", page)
	}
	_, body := c.do("GET", "/api/v1/room", c.instructor, nil)
	if bytes.Contains(body, []byte("<script>")) || bytes.Contains(body, []byte("<img")) {
		t.Errorf("the room JSON holds markup a careless consumer would run: %s", body)
	}
	var r room.Room
	json.Unmarshal(body, &r)
	if r.Learners[0].Name != names[1] && r.Learners[1].Name != names[1] {
		t.Errorf("the JSON does not give the names back as they were: %+v", r.Learners)
	}
}

// dashboardPage signs in with the token URL and returns the page.
func (c *class) dashboardPage() string {
	c.t.Helper()
	resp, _ := c.do("GET", "/?token="+c.instructor, "", nil)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/" {
		c.t.Fatalf("the token URL: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	cookie := resp.Cookies()[0]
	if !cookie.HttpOnly || cookie.SameSite != http.SameSiteStrictMode || cookie.Name != cookieName {
		c.t.Errorf("the cookie %+v: want HttpOnly, SameSite=Strict", cookie)
	}
	req, _ := http.NewRequest("GET", c.http.URL+"/", nil)
	req.AddCookie(cookie)
	resp, err := noRedirects.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	page, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || !strings.Contains(resp.Header.Get("Content-Security-Policy"), "script-src 'self'") {
		c.t.Fatalf("the page: %d", resp.StatusCode)
	}
	return string(page)
}

func TestDashboardSignInAndForms(t *testing.T) {
	c := newClass(t, Options{})
	for _, path := range []string{"/", "/?token=" + NewToken()} {
		if resp, body := c.do("GET", path, "", nil); resp.StatusCode != 401 || !strings.Contains(string(body), "instructor") {
			t.Errorf("GET %.12s…: %d", path, resp.StatusCode)
		}
	}
	page := c.dashboardPage()
	if !strings.Contains(page, `id="view-room"`) || !strings.Contains(page, `id="view-steps"`) || !strings.Contains(page, `id="view-readiness"`) {
		t.Errorf("the page lacks a view")
	}
	cookie := &http.Cookie{Name: cookieName, Value: c.instructor}
	form := func(path, body string, headers map[string]string, cookie *http.Cookie) int {
		req, _ := http.NewRequest("POST", c.http.URL+path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		for k, v := range headers {
			req.Header.Set(k, v)
		}
		if cookie != nil {
			req.AddCookie(cookie)
		}
		resp, err := noRedirects.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := form("/message", "text=from+elsewhere", map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": "http://evil.example"}, cookie); code != 403 {
		t.Errorf("a cross-site form: %d, want 403", code)
	}
	if code := form("/message", "text=no+cookie", map[string]string{"Sec-Fetch-Site": "same-origin"}, nil); code != 401 {
		t.Errorf("a form without the cookie: %d, want 401", code)
	}
	if code := form("/message", "text=Back+at+10:30", map[string]string{"Sec-Fetch-Site": "same-origin"}, cookie); code != 303 {
		t.Errorf("the message form: %d, want 303", code)
	}
	if code := form("/hold", "lesson=basics", map[string]string{"Origin": c.http.URL}, cookie); code != 303 {
		t.Errorf("the hold form: %d, want 303", code)
	}
	if code := form("/settings", "stuck_minutes=abc", map[string]string{"Sec-Fetch-Site": "same-origin"}, cookie); code != 400 {
		t.Errorf("stuck after abc minutes: %d, want 400", code)
	}
	if code := form("/settings", "stuck_minutes=7", map[string]string{"Sec-Fetch-Site": "same-origin"}, cookie); code != 303 {
		t.Errorf("the settings form: %d, want 303", code)
	}
	r := c.srv.Room()
	if r.Class.Message != "Back at 10:30" || r.Class.HoldLesson != "basics" || r.Class.StuckAfterSeconds != 420 {
		t.Errorf("after the forms: %+v", r.Class)
	}
	if resp, body := c.do("GET", "/join/"+c.code, "", nil); resp.StatusCode != 200 || !strings.Contains(string(body), "dockertutor class join") {
		t.Errorf("the join page: %d", resp.StatusCode)
	}
	if resp, _ := c.do("GET", "/join/NOTTHIS1", "", nil); resp.StatusCode != 404 {
		t.Errorf("the join page of another code: %d", resp.StatusCode)
	}
}

// sse reads server-sent events from a stream.
type sse struct {
	r *bufio.Reader
}

// next returns the next event's name and data (comments skipped).
func (s *sse) next() (string, string, error) {
	var name string
	var data []string
	for {
		line, err := s.r.ReadString('\n')
		if err != nil {
			return "", "", err
		}
		line = strings.TrimRight(line, "\n")
		switch {
		case line == "" && name != "":
			return name, strings.Join(data, "\n"), nil
		case strings.HasPrefix(line, "event: "):
			name = strings.TrimPrefix(line, "event: ")
		case strings.HasPrefix(line, "data: "):
			data = append(data, strings.TrimPrefix(line, "data: "))
		}
	}
}

func (c *class) live(query string) *sse {
	c.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	c.t.Cleanup(cancel)
	req, _ := http.NewRequestWithContext(ctx, "GET", c.http.URL+"/live"+query, nil)
	req.Header.Set("Authorization", "Bearer "+c.instructor)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream" {
		c.t.Fatalf("live: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	c.t.Cleanup(func() { resp.Body.Close() })
	return &sse{r: bufio.NewReader(resp.Body)}
}

func TestLiveStreamPushesAVerdict(t *testing.T) {
	c := newClass(t, Options{})
	ann := c.join("ann-1", "Ann")
	for _, query := range []string{"", "?format=json"} {
		s := c.live(query)
		name, data, err := s.next()
		if err != nil || name != "room" || !strings.Contains(data, "Ann") {
			t.Fatalf("the first event %s: %q %v: want the room at once", query, data, err)
		}
	}
	page, doc := c.live(""), c.live("?format=json")
	page.next()
	doc.next()
	posted := time.Now()
	if code, _, body := c.post(ann, batch(at(1, wire.StepOpened, "build"), failing(2, "build", "user"))); code != 200 {
		t.Fatalf("%d %s", code, body)
	}
	type got struct {
		data string
		err  error
	}
	wait := func(s *sse, want string) {
		t.Helper()
		ch := make(chan got, 1)
		go func() {
			for {
				_, data, err := s.next()
				if err != nil || strings.Contains(data, want) {
					ch <- got{data, err}
					return
				}
			}
		}()
		select {
		case g := <-ch:
			if g.err != nil {
				t.Fatal(g.err)
			}
			t.Logf("pushed %s after %s", want, time.Since(posted).Round(time.Millisecond))
		case <-time.After(2 * time.Second):
			t.Fatalf("no push with %q within 2 s of the verdict", want)
		}
	}
	wait(page, "it runs as a user")
	wait(doc, `"failing":["it runs as a user"]`)

	// The same verdict again leaves the page as it was, but the room took
	// in a new event: the JSON stream says so (its seq).
	posted = time.Now()
	if code, _, body := c.post(ann, batch(failing(3, "build", "user"))); code != 200 {
		t.Fatalf("%d %s", code, body)
	}
	wait(doc, `"seq":3`)
}

func TestCloseEndsLiveStreams(t *testing.T) {
	c := newClass(t, Options{})
	s := c.live("")
	s.next()
	done := make(chan error, 1)
	go func() {
		for {
			if _, _, err := s.next(); err != nil {
				done <- err
				return
			}
		}
	}()
	c.srv.Close()
	select {
	case <-done:
	case <-time.After(2 * time.Second):
		t.Fatal("a live stream outlived Close")
	}
}

// TestLiveStreamOutlivesServerTimeouts: the server's read and write
// timeouts cut slow requests, not a dashboard's stream.
func TestLiveStreamOutlivesServerTimeouts(t *testing.T) {
	c := newClass(t, Options{Heartbeat: 100 * time.Millisecond})
	c.http.Close()
	hs := httptest.NewUnstartedServer(c.srv)
	hs.Config.ReadTimeout, hs.Config.WriteTimeout, hs.Config.ReadHeaderTimeout = 300*time.Millisecond, 300*time.Millisecond, 300*time.Millisecond
	hs.Start()
	t.Cleanup(hs.Close) // after the stream's own cleanup ends it
	c.http = hs
	ann := c.join("ann-1", "Ann")
	s := c.live("")
	s.next()
	time.Sleep(1200 * time.Millisecond) // four times both timeouts
	if code, _, body := c.post(ann, batch(at(1, wire.StepOpened, "build"), failing(2, "build", "exists"))); code != 200 {
		t.Fatalf("%d %s", code, body)
	}
	got := make(chan error, 1)
	go func() {
		for {
			_, data, err := s.next()
			if err != nil || strings.Contains(data, "the image exists") {
				got <- err
				return
			}
		}
	}()
	select {
	case err := <-got:
		if err != nil {
			t.Fatalf("the stream ended: %v", err)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("no push after the server's timeouts passed")
	}
}

// The live stream is compressed for a client that takes gzip (every
// browser), and plain for one that does not.
func TestLiveStreamIsCompressedWhenAsked(t *testing.T) {
	c := newClass(t, Options{})
	c.join("ann-1", "Ann")
	for _, enc := range []string{"gzip", ""} {
		ctx, cancel := context.WithCancel(context.Background())
		req, _ := http.NewRequestWithContext(ctx, "GET", c.http.URL+"/live", nil)
		req.Header.Set("Authorization", "Bearer "+c.instructor)
		if enc != "" {
			req.Header.Set("Accept-Encoding", enc) // set by hand: the transport leaves the body as sent
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		if got := resp.Header.Get("Content-Encoding"); got != enc {
			t.Errorf("Accept-Encoding %q: Content-Encoding %q", enc, got)
		}
		var body io.Reader = resp.Body
		if enc == "gzip" {
			if body, err = gzip.NewReader(resp.Body); err != nil {
				t.Fatal(err)
			}
		}
		name, data, err := (&sse{r: bufio.NewReader(body)}).next()
		if err != nil || name != "room" || !strings.Contains(data, "Ann") {
			t.Errorf("Accept-Encoding %q: first event %q %q %v", enc, name, data, err)
		}
		cancel()
		resp.Body.Close()
	}
}
