package outbox

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/dockertutor/dockertutor/classroom/wire"
)

// fakeClass is the small protocol of a class server, on loopback, with
// faults to order: answers lost after the events were kept, 429s, a
// forgotten token.
type fakeClass struct {
	t  *testing.T
	mu sync.Mutex
	// held is every event the server kept, in seq order, per token.
	held   map[string][]wire.Event
	bodies [][]byte // every body posted to /events
	state  wire.ClassState
	// loseAnswers drops the connection after keeping the events, this
	// many times.
	loseAnswers int
	// tooMany answers 429 this many times.
	tooMany int
	// forget answers 401 to every token.
	forget bool
	// down answers nothing: every connection is closed unread.
	down    bool
	batches int
	srv     *httptest.Server
}

func newFakeClass(t *testing.T) *fakeClass {
	f := &fakeClass{t: t, held: map[string][]wire.Event{}, state: wire.ClassState{Title: "Docker security, Tuesday"}}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/v1/join", f.join)
	mux.HandleFunc("POST /api/v1/events", f.events)
	f.srv = httptest.NewServer(mux) // 127.0.0.1
	t.Cleanup(f.srv.Close)
	return f
}

func problem(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(wire.Problem{Error: msg})
}

func (f *fakeClass) join(w http.ResponseWriter, r *http.Request) {
	var req wire.JoinRequest
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		problem(w, 400, "not a join request")
		return
	}
	if req.Code != "abc123" {
		problem(w, 403, "That is not this class's code: check the join command on the instructor's screen.")
		return
	}
	if req.Course != "docker-security" {
		problem(w, 409, "This class runs the course docker-security.")
		return
	}
	if wire.CleanName(req.Name) == "" || wire.ValidID(req.Learner) != nil {
		problem(w, 400, "bad name")
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	token := "token-" + req.Learner
	json.NewEncoder(w).Encode(wire.JoinAnswer{Token: token, Class: f.state, Acked: f.acked(token)})
}

func (f *fakeClass) acked(token string) int64 {
	es := f.held[token]
	if len(es) == 0 {
		return 0
	}
	return es[len(es)-1].Seq
}

func (f *fakeClass) events(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.down {
		conn, _, _ := w.(http.Hijacker).Hijack()
		conn.Close()
		return
	}
	token := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
	b, err := wire.DecodeBatch(r.Body)
	data, _ := json.Marshal(b)
	f.bodies = append(f.bodies, data)
	f.batches++
	if f.forget {
		problem(w, 401, "This class does not know you any more: join it again.")
		return
	}
	if f.tooMany > 0 {
		f.tooMany--
		w.Header().Set("Retry-After", "1")
		problem(w, 429, "Too many reports at once.")
		return
	}
	if err != nil {
		problem(w, 400, err.Error())
		return
	}
	acked := f.acked(token)
	var fresh []wire.Event
	for _, e := range b.Events {
		if e.Seq > acked {
			fresh = append(fresh, e)
		}
	}
	if len(fresh) > 0 && fresh[0].Seq != acked+1 {
		w.WriteHeader(http.StatusConflict)
		json.NewEncoder(w).Encode(wire.Ack{Acked: acked, Class: f.state})
		return
	}
	f.held[token] = append(f.held[token], fresh...)
	if f.loseAnswers > 0 && len(fresh) > 0 {
		f.loseAnswers--
		// The events are kept, the answer is lost: the tutor sends them
		// again, and they must be kept once.
		conn, _, _ := w.(http.Hijacker).Hijack()
		conn.Close()
		return
	}
	json.NewEncoder(w).Encode(wire.Ack{Acked: f.acked(token), Class: f.state})
}

func (f *fakeClass) setDown(down bool) {
	f.mu.Lock()
	f.down = down
	f.mu.Unlock()
}

// heldSeqs are the seqs the server kept for a token.
func (f *fakeClass) heldSeqs(token string) []int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []int64
	for _, e := range f.held[token] {
		out = append(out, e.Seq)
	}
	return out
}
