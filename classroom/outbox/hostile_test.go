package outbox

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dockertutor/dockertutor/classroom/wire"
)

// hostile is a class server that lets anyone join and answers every batch
// with answer: a server with a bug, or one that is not a class server.
func hostile(t *testing.T, answer http.HandlerFunc) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/v1/join", func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(wire.JoinAnswer{Token: "token-x", Class: wire.ClassState{Title: "Tuesday"}})
	})
	mux.HandleFunc("POST /api/v1/events", answer)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func joinHostile(t *testing.T, srv *httptest.Server) *Box {
	t.Helper()
	b := Open(t.TempDir())
	link, err := ParseJoinURL(srv.URL + "/join/abc123")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := b.Join(context.Background(), srv.Client(), link, Joiner{Name: "Ann", Learner: "ann-000001", Course: "docker-security"}); err != nil {
		t.Fatal(err)
	}
	return b
}

// An answer that says the server holds events it was never sent (an
// acked past the batch, or below zero) is not believed: the outbox keeps
// every event the server does not hold, and says the server refused.
func TestAnAckPastWhatWasSentDropsNothing(t *testing.T) {
	for _, c := range []struct {
		name   string
		status int
		acked  int64
	}{
		{"200 past the batch", 200, 1_000_000},
		{"409 far ahead", 409, 1 << 62},
		{"409 below zero", 409, -5},
		{"200 below zero", 200, -1},
	} {
		t.Run(c.name, func(t *testing.T) {
			srv := hostile(t, func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(c.status)
				json.NewEncoder(w).Encode(wire.Ack{Acked: c.acked})
			})
			b := joinHostile(t, srv)
			appendSteps(t, b, 3, "s")
			if n, _ := b.NewSender(nil, testTiming()).DeliverNow(context.Background()); n != 3 {
				t.Fatalf("waiting %d after acked %d: want the 3 events kept", n, c.acked)
			}
			st, _, err := b.Status()
			if err != nil || st.Delivery.Trouble != Refused || st.Delivery.Acked != 0 {
				t.Fatalf("status %+v %v", st.Delivery, err)
			}
			// A right answer later delivers them, from seq 1.
			if got := seqsOf(t, b); len(got) != 3 || got[0] != 1 {
				t.Fatalf("outbox %v", got)
			}
		})
	}
}

// A join answer with no token, or an acked below zero, is not a class
// server's: nothing is saved, and the learner is told.
func TestAJoinAnswerThatIsNotAClassServersIsRefused(t *testing.T) {
	for _, ans := range []wire.JoinAnswer{{Token: ""}, {Token: "t", Acked: -3}} {
		mux := http.NewServeMux()
		mux.HandleFunc("POST /api/v1/join", func(w http.ResponseWriter, r *http.Request) { json.NewEncoder(w).Encode(ans) })
		srv := httptest.NewServer(mux)
		b := Open(t.TempDir())
		link, _ := ParseJoinURL(srv.URL + "/join/abc123")
		_, _, err := b.Join(context.Background(), srv.Client(), link, Joiner{Name: "Ann", Learner: "ann-000001", Course: "docker-security"})
		srv.Close()
		if err == nil || !strings.Contains(err.Error(), "did not answer as a class server does") || strings.Contains(err.Error(), "<nil>") {
			t.Errorf("%+v: %v", ans, err)
		}
		if _, ok, _ := b.Membership(); ok {
			t.Errorf("%+v: a membership was saved", ans)
		}
	}
}

var _ atomic.Int64

// The sender follows no redirect: the learner's token goes to the server
// they joined and nowhere else (Go keeps the Authorization header on a
// redirect to the same host name, whatever the port), and an event
// batch is never posted twice on one delivery.
func TestARedirectIsNotFollowedAndTheTokenStaysHome(t *testing.T) {
	var leaked atomic.Int64
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "" {
			leaked.Add(1)
		}
		json.NewEncoder(w).Encode(wire.Ack{Acked: 3})
	}))
	t.Cleanup(other.Close)
	srv := hostile(t, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.URL+"/api/v1/events", http.StatusTemporaryRedirect)
	})
	b := joinHostile(t, srv)
	appendSteps(t, b, 3, "s")
	n, _ := b.NewSender(nil, testTiming()).DeliverNow(context.Background())
	if leaked.Load() > 0 {
		t.Errorf("the token reached another server %d times", leaked.Load())
	}
	if n != 3 {
		t.Errorf("waiting %d: a redirect delivered nothing", n)
	}
	if st, _, _ := b.Status(); st.Delivery.Trouble != Refused {
		t.Errorf("trouble %q, want refused", st.Delivery.Trouble)
	}
}

// What the server says of the class is shown in the learner's terminal:
// it is cleaned when it arrives, as the join's title is, so that no
// escape sequence or line break reaches the screen, and a held lesson
// that is not an id is no lesson.
func TestTheClassStateIsCleanedOnArrival(t *testing.T) {
	dirty := wire.ClassState{Title: "Tue\x1b[2J\x1b]0;owned\x07sday", Message: "look\nhere\x1b[31m\u202e now", HoldLesson: "../\x1b[2J"}
	srv := hostile(t, func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(wire.Ack{Acked: 0, Class: dirty})
	})
	b := joinHostile(t, srv)
	if _, err := b.NewSender(nil, testTiming()).DeliverNow(context.Background()); err != nil {
		t.Fatal(err)
	}
	s := b.NewSender(nil, testTiming())
	if _, _, err := s.deliver(context.Background(), true); err != nil {
		t.Fatal(err)
	}
	st, _, err := b.Status()
	if err != nil {
		t.Fatal(err)
	}
	c := st.Delivery.Class
	if strings.ContainsAny(c.Title+c.Message+c.HoldLesson, "\x1b\x07\n\u202e") || c.HoldLesson != "" {
		t.Fatalf("class state kept as sent: %+v", c)
	}
	if c.Title != "Tue[2J]0;ownedsday" || c.Message != "look here[31m now" {
		t.Fatalf("class state %+v", c)
	}
}

// A tutor joining its class again shows the token it has, so that the
// server knows it is the same learner and not someone using their id;
// the token goes to that class server only, never to another one.
func TestJoiningAgainShowsTheTokenToTheSameServerOnly(t *testing.T) {
	var got []string
	answer := func(w http.ResponseWriter, r *http.Request) {
		got = append(got, r.Header.Get("Authorization"))
		json.NewEncoder(w).Encode(wire.JoinAnswer{Token: "token-x", Class: wire.ClassState{Title: "Tuesday"}})
	}
	one, other := http.NewServeMux(), http.NewServeMux()
	one.HandleFunc("POST /api/v1/join", answer)
	other.HandleFunc("POST /api/v1/join", answer)
	s1, s2 := httptest.NewServer(one), httptest.NewServer(other)
	t.Cleanup(s1.Close)
	t.Cleanup(s2.Close)
	b := Open(t.TempDir())
	for _, srv := range []*httptest.Server{s1, s1, s2} {
		link, _ := ParseJoinURL(srv.URL + "/join/abc123")
		if _, _, err := b.Join(context.Background(), srv.Client(), link, Joiner{Name: "Ann", Learner: "ann-000001", Course: "docker-security"}); err != nil {
			t.Fatal(err)
		}
	}
	if want := []string{"", "Bearer token-x", ""}; strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("Authorization on the three joins: %q, want %q", got, want)
	}
}

// delivery.json is a note of what the server acknowledged, and a corrupt
// one (a disk fault, a hand edit) must not stop the tutor recording: new
// events are still appended with the seqs that follow, and delivered once
// the server answers, even after the outbox was compacted empty.
func TestACorruptDeliveryFileLosesNoEvent(t *testing.T) {
	f := newFakeClass(t)
	b := joined(t, f, "ko-000001")
	appendSteps(t, b, compactAfter+10, "s")
	if n, err := b.NewSender(nil, testTiming()).DeliverNow(context.Background()); err != nil || n != 0 {
		t.Fatalf("waiting %d %v", n, err)
	}
	if err := os.WriteFile(b.path(deliveryFile), []byte("{\"acked\": 12\x00garbage"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := b.Append(opened("after")); err != nil {
		t.Fatalf("an event after delivery.json broke: %v", err)
	}
	if _, ok, err := b.Status(); !ok || err != nil {
		t.Errorf("status with a corrupt delivery.json: %v %v", ok, err)
	}
	if n, err := b.NewSender(nil, testTiming()).DeliverNow(context.Background()); err != nil || n != 0 {
		t.Fatalf("waiting %d %v", n, err)
	}
	if got := f.heldSeqs("token-ko-000001"); !slices.Equal(got, upTo(compactAfter+11)) {
		t.Fatalf("the server holds %d events up to %d, want %d", len(got), got[len(got)-1], compactAfter+11)
	}
}

// A learner who leaves and joins the same class again at once shows the
// token they had: the server lets a learner who was online a moment ago
// back in by it alone.
func TestJoiningAgainAfterLeavingShowsTheOldToken(t *testing.T) {
	var got []string
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/v1/join", func(w http.ResponseWriter, r *http.Request) {
		got = append(got, r.Header.Get("Authorization"))
		json.NewEncoder(w).Encode(wire.JoinAnswer{Token: fmt.Sprintf("token-%d", len(got)), Class: wire.ClassState{Title: "Tuesday"}})
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	b := Open(t.TempDir())
	link, _ := ParseJoinURL(srv.URL + "/join/abc123")
	who := Joiner{Name: "Ann", Learner: "ann-000001", Course: "docker-security"}
	if _, _, err := b.Join(context.Background(), srv.Client(), link, who); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Leave(); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := b.Membership(); ok {
		t.Fatal("still a member after leaving")
	}
	if _, _, err := b.Join(context.Background(), srv.Client(), link, who); err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[1] != "Bearer token-1" {
		t.Fatalf("Authorization on the two joins: %q", got)
	}
}

// A Retry-After is honoured, up to a bound: a server (or something in its
// place) that asks for a wait of years, or one past what a duration
// holds, does not silence the tutor for good.
func TestARetryAfterIsBounded(t *testing.T) {
	for _, after := range []string{"999999999", "99999999999999999", "-5", "soon"} {
		srv := hostile(t, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Retry-After", after)
			w.WriteHeader(http.StatusTooManyRequests)
		})
		b := joinHostile(t, srv)
		appendSteps(t, b, 1, "s")
		_, retry, _ := b.NewSender(nil, testTiming()).deliver(context.Background(), false)
		if retry < time.Second || retry > maxRetryAfter {
			t.Errorf("Retry-After %s: waits %v, want between 1 s and %v", after, retry, maxRetryAfter)
		}
	}
}
