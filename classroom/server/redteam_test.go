package server

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dockertutor/dockertutor/classroom/room"
	"github.com/dockertutor/dockertutor/classroom/wire"
)

// clock is a settable Options.Now.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// A learner's clock is theirs: one set days ahead or years behind (or a
// tutor that lies) must not hide a stuck learner, mark one stuck at once,
// or put years into the grade sheet's time on a step. The server takes an
// event's time as no later than it arrived and no earlier than the class
// began.
func TestEventTimesAreClampedToWhenTheyCouldHaveHappened(t *testing.T) {
	clk := &clock{now: time.Now().UTC()}
	c := newClass(t, Options{Now: clk.Now}) // the class begins now
	ahead := c.join("ann-1", "Ann")
	behind := c.join("bob-1", "Bob")

	e := at(1, wire.StepOpened, "build")
	e.At = clk.Now().Add(72 * time.Hour)
	if code, _, body := c.post(ahead, batch(e)); code != 200 {
		t.Fatalf("%d %s", code, body)
	}
	e.At = clk.Now().AddDate(-3, 0, 0)
	if code, _, body := c.post(behind, batch(e)); code != 200 {
		t.Fatalf("%d %s", code, body)
	}
	if l := c.learner("bob-1"); l.Stuck || l.OnStepSeconds > 60 {
		t.Errorf("an event three years old: %d s on the step, stuck %v", l.OnStepSeconds, l.Stuck)
	}
	clk.add(11 * time.Minute)
	if l := c.learner("ann-1"); !l.Stuck || l.OnStepSeconds < 600 {
		t.Errorf("an event three days ahead: %d s on the step, stuck %v: 11 minutes passed", l.OnStepSeconds, l.Stuck)
	}
	for _, r := range c.srv.Grades().Rows {
		if r.Step == "build" && (r.TimeOnStep < 10*time.Minute || r.TimeOnStep > 12*time.Minute) {
			t.Errorf("%s: time on the step %v, want about 11 min", r.Learner, r.TimeOnStep)
		}
	}
}

// A form the server cannot read (past its bound, or badly encoded) is
// refused and changes nothing: it used to read as an empty field, which
// cleared the message or the hold.
func TestAnUnreadableFormChangesNothing(t *testing.T) {
	c := newClass(t, Options{})
	if resp, body := c.do("POST", "/api/v1/message", c.instructor, wire.Message{Text: "Back at 10:30"}); resp.StatusCode != 200 {
		t.Fatalf("%d %s", resp.StatusCode, body)
	}
	if resp, body := c.do("POST", "/api/v1/hold", c.instructor, wire.Hold{Lesson: "basics"}); resp.StatusCode != 200 {
		t.Fatalf("%d %s", resp.StatusCode, body)
	}
	cookie := &http.Cookie{Name: cookieName, Value: c.instructor}
	for _, f := range []struct{ path, body string }{
		{"/message", "text=" + strings.Repeat("A", 10<<10) + "%0A%3Cb%3Ex"},
		{"/message", "text=%zz"},
		{"/hold", "lesson=" + strings.Repeat("b", 10<<10)},
		{"/hold", "lesson=%"},
	} {
		req, _ := http.NewRequest("POST", c.http.URL+f.path, strings.NewReader(f.body))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Sec-Fetch-Site", "same-origin")
		req.AddCookie(cookie)
		resp, err := noRedirects.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 400 && resp.StatusCode != 413 {
			t.Errorf("%s with %.20q…: %d, want 400 or 413", f.path, f.body, resp.StatusCode)
		}
	}
	if r := c.srv.Room(); r.Class.Message != "Back at 10:30" || r.Class.HoldLesson != "basics" {
		t.Errorf("after unreadable forms: message %q, hold %q", r.Class.Message, r.Class.HoldLesson)
	}
}

// Learner ids are not secret (they name a learner's images and
// containers on a shared daemon), so the class code and someone's id must
// not be enough to take over their place in the class while they work:
// a tutor joining again shows the token it has; one without it is turned
// away while the learner is online, and let in once they are not (a new
// machine, a reinstall).
func TestJoiningAsSomeoneOnlineNeedsTheirToken(t *testing.T) {
	clk := &clock{now: time.Now().UTC()}
	c := newClass(t, Options{Now: clk.Now})
	ann := c.join("ann-1", "Ann")
	if code, _, body := c.post(ann, batch(at(1, wire.StepOpened, "intro"))); code != 200 {
		t.Fatalf("%d %s", code, body)
	}
	req := wire.JoinRequest{Code: c.code, Name: "Mallory", Learner: "ann-1", Course: "test-course"}
	resp, body := c.do("POST", "/api/v1/join", "", req)
	if resp.StatusCode != 409 || !strings.Contains(string(body), "another") {
		t.Fatalf("a join as someone online, without their token: %d %s", resp.StatusCode, body)
	}
	if code, _, _ := c.post(ann, batch()); code != 200 {
		t.Errorf("Ann's token after the refused join: %d", code)
	}
	if l := c.learner("ann-1"); l.Name != "Ann" {
		t.Errorf("the refused join renamed her: %q", l.Name)
	}
	// Ann's own tutor joins again with her token: a new one, the same learner.
	req.Name = "Ann B."
	resp, body = c.do("POST", "/api/v1/join", ann, req)
	var a wire.JoinAnswer
	if resp.StatusCode != 200 || json.Unmarshal(body, &a) != nil || a.Acked != 1 {
		t.Fatalf("joining again with her token: %d %s", resp.StatusCode, body)
	}
	// Once she is offline, a tutor without her token (her new laptop) joins.
	clk.add(room.OnlineWithin + time.Second)
	req.Name = "Ann C."
	if resp, body := c.do("POST", "/api/v1/join", "", req); resp.StatusCode != 200 {
		t.Fatalf("joining again once offline: %d %s", resp.StatusCode, body)
	}
}

// What an address's join budget is spent on: wrong codes (a guesser is
// slowed down) and new learners (so is anyone filling the class with
// made-up ones); a learner joining again and the join page of the right
// code spend nothing, so that a lab behind one NAT address is not held up
// by its own learners.
func TestTheJoinBudget(t *testing.T) {
	c := newClass(t, Options{JoinRate: 0.01, JoinBurst: 4})
	ann := c.join("ann-1", "Ann")
	for i := range 20 {
		resp, body := c.do("POST", "/api/v1/join", ann, wire.JoinRequest{Code: c.code, Name: "Ann", Learner: "ann-1", Course: "test-course"})
		var a wire.JoinAnswer
		if resp.StatusCode != 200 || json.Unmarshal(body, &a) != nil {
			t.Fatalf("joining again, %d times: %d %s", i+1, resp.StatusCode, body)
		}
		ann = a.Token
		if resp, _ := c.do("GET", "/join/"+c.code, "", nil); resp.StatusCode != 200 {
			t.Fatalf("the join page of the right code, %d times: %d", i+1, resp.StatusCode)
		}
	}
	for i := range 3 {
		c.join(fmt.Sprintf("lab-%d", i), "Lab")
	}
	resp, _ := c.do("POST", "/api/v1/join", "", wire.JoinRequest{Code: c.code, Name: "One more", Learner: "lab-9", Course: "test-course"})
	if resp.StatusCode != 429 {
		t.Errorf("a fifth new learner from one address with a budget of 4: %d, want 429", resp.StatusCode)
	}

	d := newClass(t, Options{JoinRate: 0.01, JoinBurst: 3})
	for i := range 3 {
		if resp, _ := d.do("POST", "/api/v1/join", "", wire.JoinRequest{Code: fmt.Sprintf("GUESS%03d", i)}); resp.StatusCode != 403 {
			t.Fatalf("guess %d: %d, want 403", i+1, resp.StatusCode)
		}
	}
	resp, _ = d.do("POST", "/api/v1/join", "", wire.JoinRequest{Code: d.code, Name: "Late", Learner: "late-1", Course: "test-course"})
	if resp.StatusCode != 429 {
		t.Errorf("after the budget went on guesses: %d, want 429 (an address that guessed waits)", resp.StatusCode)
	}
	if resp, _ := d.do("GET", "/join/GUESS999", "", nil); resp.StatusCode != 429 {
		t.Errorf("the join page after the guesses: %d, want 429", resp.StatusCode)
	}
}

// Each live stream holds a connection and a goroutine for as long as it
// is open: a dashboard in a reconnect loop, or a leaked instructor token,
// must not hold them until learners' requests find no file descriptor.
// Past maxStreams, a stream is refused with a Retry-After; one that ends
// frees its place.
func TestLiveStreamsAreBounded(t *testing.T) {
	c := newClass(t, Options{})
	var cancels []context.CancelFunc
	open := func() int {
		ctx, cancel := context.WithCancel(context.Background())
		t.Cleanup(cancel)
		req, _ := http.NewRequestWithContext(ctx, "GET", c.http.URL+"/live", nil)
		req.Header.Set("Authorization", "Bearer "+c.instructor)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != 200 {
			resp.Body.Close()
			cancel()
			return resp.StatusCode
		}
		cancels = append(cancels, func() { cancel(); resp.Body.Close() })
		return resp.StatusCode
	}
	for i := range maxStreams {
		if code := open(); code != 200 {
			t.Fatalf("stream %d: %d", i+1, code)
		}
	}
	if code := open(); code != http.StatusServiceUnavailable {
		t.Fatalf("stream %d: %d, want 503", maxStreams+1, code)
	}
	cancels[0]()
	waitUntil(t, func() bool { return open() == 200 })
}

func waitUntil(t *testing.T, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatal("not within 5 s")
}

// Anyone with the class code can join under new ids, and a learner's
// token posts as many events as the rate allows: both are bounded, so that
// the room and the database stay a class's size. A learner who joined
// before still joins again when the class is full.
func TestTheClassAndEachLearnersReportsAreBounded(t *testing.T) {
	c := newClass(t, Options{MaxLearners: 3})
	var ann string
	for i := range 3 {
		tok := c.join(fmt.Sprintf("l-%d", i), "L")
		if i == 0 {
			ann = tok
		}
	}
	resp, body := c.do("POST", "/api/v1/join", "", wire.JoinRequest{Code: c.code, Name: "One more", Learner: "l-9", Course: "test-course"})
	if resp.StatusCode != 403 || !strings.Contains(string(body), "full") {
		t.Errorf("a join past the class's size: %d %s", resp.StatusCode, body)
	}
	resp, _ = c.do("POST", "/api/v1/join", ann, wire.JoinRequest{Code: c.code, Name: "L", Learner: "l-0", Course: "test-course"})
	if resp.StatusCode != 200 {
		t.Errorf("a learner of the full class joining again: %d", resp.StatusCode)
	}

	d := newClass(t, Options{MaxEvents: 5})
	bob := d.join("bob-1", "Bob")
	if code, ack, body := d.post(bob, batch(at(1, wire.StepOpened, "intro"), at(2, wire.StepOpened, "build"), at(3, wire.StepOpened, "intro"))); code != 200 || ack.Acked != 3 {
		t.Fatalf("%d %s", code, body)
	}
	code, _, said := d.post(bob, batch(at(4, wire.StepOpened, "build"), at(5, wire.StepOpened, "intro"), at(6, wire.StepOpened, "build")))
	if code != 413 || !strings.Contains(said, "5") {
		t.Errorf("events past the learner's bound: %d %s", code, said)
	}
	if code, ack, _ := d.post(bob, batch()); code != 200 || ack.Acked != 3 {
		t.Errorf("after the refusal: %d acked %d, want 3 (nothing of the refused batch kept)", code, ack.Acked)
	}
}

// A carriage return ends a line in a server-sent event stream as a line
// feed does: one inside the data (a name from a database edited by hand)
// must not start a line of its own, such as a second event.
func TestAnEventsDataCannotStartALine(t *testing.T) {
	got := string(sseEvent("room", 7, []byte("<p>a\revent: forged\r\ndata: x\rid: 99\n<p>b")))
	for _, line := range strings.FieldsFunc(got, func(r rune) bool { return r == '\n' || r == '\r' }) {
		if !strings.HasPrefix(line, "data: ") && line != "event: room" && line != "id: 7" {
			t.Errorf("a line of its own: %q in %q", line, got)
		}
	}
}
