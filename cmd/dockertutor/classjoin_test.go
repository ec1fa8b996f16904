package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/dockertutor/dockertutor/classroom/outbox"
	"github.com/dockertutor/dockertutor/classroom/wire"
	"github.com/dockertutor/dockertutor/exercises/progress"
)

// classServer is the learner's half of the class protocol on loopback:
// join with code "c0de", events kept once per seq, and a switch that
// makes it answer nothing.
type classServer struct {
	mu     sync.Mutex
	events []wire.Event
	bodies []string
	down   bool
	srv    *httptest.Server
	// course is the course the class runs ("fixture", the test pack, by
	// default); state what every answer says of the class.
	course string
	state  wire.ClassState
}

func newClassServer(t *testing.T) *classServer {
	c := &classServer{course: "fixture", state: wire.ClassState{Title: "Tuesday lab"}}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/v1/join", func(w http.ResponseWriter, r *http.Request) {
		var req wire.JoinRequest
		json.NewDecoder(r.Body).Decode(&req)
		if req.Code != "c0de" {
			w.WriteHeader(http.StatusForbidden)
			json.NewEncoder(w).Encode(wire.Problem{Error: "That is not this class's code."})
			return
		}
		if req.Course != c.course || wire.ValidID(req.Learner) != nil {
			w.WriteHeader(http.StatusConflict)
			json.NewEncoder(w).Encode(wire.Problem{Error: "This class runs the course fixture."})
			return
		}
		json.NewEncoder(w).Encode(wire.JoinAnswer{Token: "t-" + req.Learner, Class: c.state})
	})
	mux.HandleFunc("POST /api/v1/events", func(w http.ResponseWriter, r *http.Request) {
		c.mu.Lock()
		defer c.mu.Unlock()
		if c.down {
			conn, _, _ := w.(http.Hijacker).Hijack()
			conn.Close()
			return
		}
		b, err := wire.DecodeBatch(r.Body)
		if err != nil {
			w.WriteHeader(http.StatusBadRequest)
			json.NewEncoder(w).Encode(wire.Problem{Error: err.Error()})
			return
		}
		data, _ := json.Marshal(b)
		c.bodies = append(c.bodies, string(data))
		acked := int64(len(c.events))
		for _, e := range b.Events {
			if e.Seq == acked+1 {
				c.events = append(c.events, e)
				acked++
			} else if e.Seq > acked+1 {
				w.WriteHeader(http.StatusConflict)
				break
			}
		}
		json.NewEncoder(w).Encode(wire.Ack{Acked: acked, Class: c.state})
	})
	c.srv = httptest.NewServer(mux)
	t.Cleanup(c.srv.Close)
	return c
}

func (c *classServer) kinds() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for _, e := range c.events {
		out = append(out, string(e.Kind)+":"+e.Step)
	}
	return out
}

func (c *classServer) setDown(down bool) {
	c.mu.Lock()
	c.down = down
	c.mu.Unlock()
}

func TestClassJoinReportAndLeave(t *testing.T) {
	t.Setenv(outbox.HeartbeatEnv, "50ms")
	cli := newCLI(t)
	server := newClassServer(t)
	classDir := filepath.Join(os.Getenv("XDG_STATE_HOME"), "dockertutor", outbox.Folder)

	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"class", "join", "ftp://127.0.0.1/join/c0de", "--name", "Ada"}, 2, "starts with http://"},
		{[]string{"class", "join", server.srv.URL + "/join/c0de", "--name", " \u200b "}, 2, "--name: the name is empty"},
		{[]string{"class", "join", server.srv.URL + "/join/c0de"}, 2, "name"},
		{[]string{"class", "join", server.srv.URL + "/join/nope", "--name", "Ada"}, 1, "That is not this class's code."},
	} {
		_, errs, code := cli.fixture(c.args...)
		if code != c.code || !strings.Contains(errs, c.want) {
			t.Errorf("%q: exit %d, %q; want %d, %q", c.args, code, errs, c.code, c.want)
		}
	}
	if _, err := os.Stat(filepath.Join(classDir, "membership.json")); !os.IsNotExist(err) {
		t.Fatalf("a refused join left a membership (%v)", err)
	}

	out, errs, code := cli.fixture("class", "join", server.srv.URL+"/join/c0de", "--name", "Ada L.")
	if code != 0 || !strings.Contains(out, "You joined the class Tuesday lab as Ada L.") {
		t.Fatalf("join: exit %d\n%s%s", code, out, errs)
	}
	if fi, err := os.Stat(filepath.Join(classDir, "membership.json")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("membership %v %v", fi, err)
	}
	// The learner's current step is the test pack's first not passed.
	if got := strings.Join(server.kinds(), " "); got != "readiness: step-opened:fix" {
		t.Fatalf("after join the server holds %v, want the readiness and where the learner is", got)
	}

	// A one-shot command reports and delivers before it exits.
	if _, errs, code := cli.fixture("hint", "fix"); code != 0 {
		t.Fatalf("hint: %d %s", code, errs)
	}
	if got := server.kinds(); strings.Join(got, " ") != "readiness: step-opened:fix hint:fix" {
		t.Fatalf("server holds %v", got)
	}

	// The server away: the command still works, the outbox keeps the
	// event, and the next command delivers it.
	server.setDown(true)
	if _, errs, code := cli.fixture("hint", "fix"); code != 0 {
		t.Fatalf("hint with the server away: %d %s", code, errs)
	}
	if got := server.kinds(); len(got) != 3 {
		t.Fatalf("server holds %v", got)
	}
	server.setDown(false)
	if _, errs, code := cli.fixture("list"); code != 0 {
		t.Fatalf("list: %d %s", code, errs)
	}
	if got := server.kinds(); len(got) != 3 {
		t.Fatalf("list, which reports nothing, delivered: the server holds %v", got)
	}
	if _, errs, code := cli.fixture("hint", "fix"); code != 0 {
		t.Fatalf("hint: %d %s", code, errs)
	}
	if got := server.kinds(); strings.Join(got, " ") != "readiness: step-opened:fix hint:fix hint:fix hint:fix" {
		t.Fatalf("after the server came back it holds %v", got)
	}

	st, _ := progress.Open(filepath.Join(os.Getenv("XDG_STATE_HOME"), "dockertutor"), "fixture")
	p, err := st.Load("fixture")
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range server.bodies {
		if strings.Contains(b, p.Secret) {
			t.Errorf("a body carries the canary: %s", b)
		}
	}

	server.setDown(true)
	cli.fixture("hint", "fix")
	out, errs, code = cli.fixture("class", "leave")
	if code != 0 || !strings.Contains(out, "You left the class Tuesday lab; 1 report(s)") {
		t.Fatalf("leave: exit %d\n%s%s", code, out, errs)
	}
	if _, err := os.Stat(filepath.Join(classDir, "membership.json")); !os.IsNotExist(err) {
		t.Fatalf("membership after leave (%v)", err)
	}
	out, _, code = cli.fixture("class", "leave")
	if code != 0 || !strings.Contains(out, "You are not in a class") {
		t.Fatalf("leave again: %d %s", code, out)
	}
}

// The tutor (plain mode here: its output is not a terminal) reports as the
// learner works and delivers in the background while it runs.
func TestTheTutorReportsToTheClass(t *testing.T) {
	t.Setenv(outbox.HeartbeatEnv, "50ms")
	cli := newCLI(t)
	server := newClassServer(t)
	if _, errs, code := cli.fixture("class", "join", server.srv.URL+"/join/c0de", "--name", "Bo"); code != 0 {
		t.Fatalf("join: %d %s", code, errs)
	}
	var out, errb strings.Builder
	io := &IO{In: strings.NewReader("g fix\nh\nq\n"), Out: &out, Err: &errb, Width: 80}
	if code := run(t.Context(), io, []string{"--workspace", cli.workspace, "--course", "testdata/pack"}); code != 0 {
		t.Fatalf("tutor: exit %d\n%s%s", code, out.String(), errb.String())
	}
	got := strings.Join(server.kinds(), " ")
	for _, want := range []string{"step-opened:fix", "hint:fix"} {
		if !strings.Contains(got, want) {
			t.Errorf("the server holds %s, lacking %s", got, want)
		}
	}
}

// A held lesson is held for the commands too: a step after it does not
// open, and says why, as the full screen and plain mode say it.
func TestTheCommandsKeepToTheHeldLesson(t *testing.T) {
	t.Setenv(outbox.HeartbeatEnv, "50ms")
	cli := newCLI(t)
	server := newClassServer(t)
	server.course = "image-security"
	server.state = wire.ClassState{Title: "Tuesday", HoldLesson: "base-images"}
	if out, errs, code := cli.run("class", "join", server.srv.URL+"/join/c0de", "--name", "Ada"); code != 0 {
		t.Fatalf("join: exit %d\n%s%s", code, out, errs)
	}
	if _, errs, code := cli.run("show", "2.1"); code != 1 || !strings.Contains(errs, "Lesson 2 opens soon: your instructor will open it.") {
		t.Errorf("show of a held step: exit %d, %q", code, errs)
	}
	if _, errs, code := cli.run("hint", "2.2"); code != 1 || !strings.Contains(errs, "Lesson 2 opens soon") {
		t.Errorf("hint of a held step: exit %d, %q", code, errs)
	}
	if out, errs, code := cli.run("show", "1.1"); code != 0 || !strings.Contains(out, "1.1") {
		t.Errorf("show of an open step: exit %d\n%s%s", code, out, errs)
	}
	// Released: the instructor holds nothing, and the next delivery says so.
	server.mu.Lock()
	server.state.HoldLesson = ""
	server.mu.Unlock()
	if out, errs, code := cli.run("hint", "1.2"); code != 0 {
		t.Fatalf("hint: exit %d\n%s%s", code, out, errs)
	}
	if out, errs, code := cli.run("show", "2.1"); code != 0 {
		t.Errorf("show after the hold was lifted: exit %d\n%s%s", code, out, errs)
	}
}
