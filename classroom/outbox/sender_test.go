package outbox

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gofrs/flock"

	"github.com/dockertutor/dockertutor/classroom/wire"
)

func runSender(t *testing.T, b *Box) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { b.NewSender(nil, testTiming()).Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
}

func appendSteps(t *testing.T, b *Box, n int, prefix string) {
	t.Helper()
	for i := range n {
		if err := b.Append(opened(fmt.Sprintf("%s%d", prefix, i))); err != nil {
			t.Fatal(err)
		}
	}
}

// A server that lost its last events (restored from an older copy)
// answers 409 with what it holds, and the sender sends again from there.
func TestA409SendsAgainFromWhatTheServerHolds(t *testing.T) {
	f := newFakeClass(t)
	b := joined(t, f, "bob-000002")
	appendSteps(t, b, 10, "s")
	if n, err := b.NewSender(nil, testTiming()).DeliverNow(context.Background()); err != nil || n != 0 {
		t.Fatalf("waiting %d %v", n, err)
	}
	f.mu.Lock()
	f.held["token-bob-000002"] = f.held["token-bob-000002"][:7]
	f.mu.Unlock()
	appendSteps(t, b, 1, "after")
	if n, err := b.NewSender(nil, testTiming()).DeliverNow(context.Background()); err != nil || n != 0 {
		t.Fatalf("waiting %d %v", n, err)
	}
	if got := f.heldSeqs("token-bob-000002"); !slices.Equal(got, upTo(11)) {
		t.Fatalf("held %v", got)
	}
}

// A 429 is honoured: nothing is posted before Retry-After has passed.
func TestA429WaitsForRetryAfter(t *testing.T) {
	f := newFakeClass(t)
	b := joined(t, f, "cy-000003")
	f.tooMany = 1
	appendSteps(t, b, 1, "s")
	start := time.Now()
	runSender(t, b)
	waitFor(t, "the event", func() bool { return len(f.heldSeqs("token-cy-000003")) == 1 })
	if took := time.Since(start); took < time.Second {
		t.Fatalf("sent again after %v: Retry-After said 1 s", took)
	}
	f.mu.Lock()
	batches := f.batches
	f.mu.Unlock()
	if batches != 2 {
		t.Errorf("%d batches: one refused, one taken", batches)
	}
}

// A token the server no longer knows keeps the events and says why.
func TestA401KeepsTheEventsAndSaysJoinAgain(t *testing.T) {
	f := newFakeClass(t)
	b := joined(t, f, "di-000004")
	f.forget = true
	appendSteps(t, b, 2, "s")
	if n, _ := b.NewSender(nil, testTiming()).DeliverNow(context.Background()); n != 2 {
		t.Fatalf("waiting %d, want 2", n)
	}
	st, _, err := b.Status()
	if err != nil || st.Delivery.Trouble != NotKnown || !strings.Contains(st.Delivery.Detail, "join it again") || st.Waiting != 2 {
		t.Fatalf("status %+v %v", st, err)
	}
	// Joining again gets a new token; the events go on from where the
	// server is.
	f.forget = false
	link, _ := ParseJoinURL(f.srv.URL + "/join/abc123")
	if _, _, err := b.Join(context.Background(), f.srv.Client(), link, Joiner{Name: "Di", Learner: "di-000004", Course: "docker-security"}); err != nil {
		t.Fatal(err)
	}
	if n, err := b.NewSender(nil, testTiming()).DeliverNow(context.Background()); err != nil || n != 0 {
		t.Fatalf("after joining again: waiting %d %v", n, err)
	}
	if got := f.heldSeqs("token-di-000004"); !slices.Equal(got, upTo(2)) {
		t.Fatalf("held %v", got)
	}
}

// While another process's sender holds the folder, a command only
// appends: it posts nothing and says what waits.
func TestOneSenderPerFolder(t *testing.T) {
	f := newFakeClass(t)
	b := joined(t, f, "ed-000005")
	other := flock.New(filepath.Join(b.dir, senderLockFile))
	if ok, err := other.TryLock(); !ok || err != nil {
		t.Fatal(ok, err)
	}
	appendSteps(t, b, 3, "s")
	if n, err := b.NewSender(nil, testTiming()).DeliverNow(context.Background()); err != nil || n != 3 {
		t.Fatalf("waiting %d %v", n, err)
	}
	if f.batches != 0 {
		t.Fatalf("posted %d batches while another sender held the folder", f.batches)
	}
	other.Unlock()
	if n, err := b.NewSender(nil, testTiming()).DeliverNow(context.Background()); err != nil || n != 0 {
		t.Fatalf("waiting %d %v", n, err)
	}
}

func TestJoinSaysWhatIsWrong(t *testing.T) {
	f := newFakeClass(t)
	ctx := context.Background()
	for _, c := range []struct{ url, learner, course, want string }{
		{"ftp://x/join/abc", "fi-000006", "docker-security", "starts with http://"},
		{f.srv.URL + "/room", "fi-000006", "docker-security", "no class code"},
		{f.srv.URL + "/join/", "fi-000006", "docker-security", "no class code"},
		{f.srv.URL + "/join/wrong", "fi-000006", "docker-security", "not this class's code"},
		{f.srv.URL + "/join/abc123", "fi-000006", "other-course", "runs the course docker-security"},
	} {
		b := Open(t.TempDir())
		link, err := ParseJoinURL(c.url)
		if err == nil {
			_, _, err = b.Join(ctx, f.srv.Client(), link, Joiner{Name: "Fi", Learner: c.learner, Course: c.course})
		}
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", c.url, err, c.want)
		}
		if _, ok, _ := b.Membership(); ok {
			t.Errorf("%s: a refused join saved a membership", c.url)
		}
	}
}

// Leaving says how many events never went and forgets the class.
func TestLeaveForgetsTheClass(t *testing.T) {
	f := newFakeClass(t)
	b := joined(t, f, "gu-000007")
	f.setDown(true)
	appendSteps(t, b, 2, "s")
	if n, err := b.Leave(); err != nil || n != 2 {
		t.Fatalf("leave: %d %v", n, err)
	}
	if _, ok, err := b.Membership(); ok || err != nil {
		t.Fatalf("still a member (%v)", err)
	}
	if got := seqsOf(t, b); len(got) != 0 {
		t.Fatalf("outbox kept %v", got)
	}
}

// A batch never passes the server's bound on a body, however many checks
// the waiting verdicts carry: the sender sends fewer events at a time.
func TestBatchesFitTheServersBound(t *testing.T) {
	var events []wire.Event
	for i := range wire.MaxBatch {
		e := wire.Event{Seq: int64(i + 1), Kind: wire.Verdict, At: time.Now().UTC(), Step: "a-step-with-many-checks"}
		for c := range 20 {
			e.Checks = append(e.Checks, wire.CheckOutcome{ID: fmt.Sprintf("check-number-%d", c), Outcome: wire.Failed})
		}
		events = append(events, e)
	}
	body, sent, err := batchBody(events)
	if err != nil {
		t.Fatal(err)
	}
	if len(body) > wire.MaxBodyBytes || len(sent) == 0 || len(sent) == len(events) {
		t.Fatalf("%d bytes for %d of %d events", len(body), len(sent), len(events))
	}
	if _, err := wire.DecodeBatch(bytes.NewReader(body)); err != nil {
		t.Fatalf("the server would refuse it: %v", err)
	}
}
