package outbox

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dockertutor/dockertutor/classroom/wire"
)

func opened(step string) wire.Event {
	return wire.Event{Kind: wire.StepOpened, At: time.Now().UTC(), Step: step}
}

func seqsOf(t *testing.T, b *Box) []int64 {
	t.Helper()
	es, err := b.readEvents(0, 0)
	if err != nil {
		t.Fatal(err)
	}
	var out []int64
	for _, e := range es {
		out = append(out, e.Seq)
	}
	return out
}

func upTo(n int) []int64 {
	var out []int64
	for i := int64(1); i <= int64(n); i++ {
		out = append(out, i)
	}
	return out
}

// Two tutors appending at once (each with its own Box, as two processes
// have) never give a seq twice and leave no gap.
func TestConcurrentAppendersGiveEachSeqOnce(t *testing.T) {
	dir := t.TempDir()
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			b := Open(dir)
			for i := range 50 {
				if err := b.Append(opened(fmt.Sprintf("s%d-%d", w, i))); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	if got := seqsOf(t, Open(dir)); !slices.Equal(got, upTo(200)) {
		t.Fatalf("seqs %v, want 1..200 once each", got)
	}
	fi, err := os.Stat(filepath.Join(dir, Folder, outboxFile))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("outbox mode %v (%v), want 0600", fi.Mode(), err)
	}
}

// A crash mid-append leaves a torn last line: it is passed over, the next
// append cuts it off, and no seq is lost or given twice.
func TestATornLastLineIsIgnored(t *testing.T) {
	b := Open(t.TempDir())
	if err := b.Append(opened("one"), opened("two")); err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(b.path(outboxFile), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString(`{"seq":3,"kind":"step-ope`)
	f.Close()
	if got := seqsOf(t, b); !slices.Equal(got, upTo(2)) {
		t.Fatalf("with a torn line: %v", got)
	}
	// Torn just before its newline, the line reads as an event, but is
	// not one yet: the next append gives its seq again.
	data, _ := os.ReadFile(b.path(outboxFile))
	whole := data[:bytes.LastIndexByte(data, '\n')+1]
	os.WriteFile(b.path(outboxFile), append(whole, `{"seq":3,"kind":"step-opened","at":"2026-12-02T09:00:00Z","step":"torn"}`...), 0o600)
	if got := seqsOf(t, b); !slices.Equal(got, upTo(2)) {
		t.Fatalf("with a whole line torn before its newline: %v", got)
	}
	if n, err := b.Waiting(); err != nil || n != 2 {
		t.Fatalf("waiting %d %v", n, err)
	}
	if err := b.Append(opened("three")); err != nil {
		t.Fatal(err)
	}
	if got := seqsOf(t, b); !slices.Equal(got, upTo(3)) {
		t.Fatalf("after the next append: %v", got)
	}
	data, _ = os.ReadFile(b.path(outboxFile))
	if strings.Contains(string(data), `"torn"`) || strings.Count(string(data), "\n") != 3 {
		t.Fatalf("the torn line stayed:\n%s", data)
	}
}

// An event that is not well formed is a bug: it is never appended.
func TestAnInvalidEventIsNotAppended(t *testing.T) {
	b := Open(t.TempDir())
	err := b.Append(opened("ok"), wire.Event{Kind: wire.HintShown, At: time.Now(), Step: "Not An Id", Hint: 1})
	if err == nil || !strings.Contains(err.Error(), "not well formed") {
		t.Fatalf("err %v", err)
	}
	if got := seqsOf(t, b); len(got) != 0 {
		t.Fatalf("appended %v", got)
	}
}

// Compaction drops what the server holds and keeps the rest; seqs go on
// after the delivered ones.
func TestCompactionKeepsWhatIsWaiting(t *testing.T) {
	b := Open(t.TempDir())
	for i := range 10 {
		if err := b.Append(opened(fmt.Sprintf("s%d", i))); err != nil {
			t.Fatal(err)
		}
	}
	if err := b.writeDelivery(Delivery{Acked: 10}); err != nil {
		t.Fatal(err)
	}
	if err := b.compact(10, false); err != nil {
		t.Fatal(err)
	}
	if got := seqsOf(t, b); len(got) != 10 {
		t.Fatalf("compacted before %d were delivered: %v", compactAfter, got)
	}
	if err := b.compact(10, true); err != nil {
		t.Fatal(err)
	}
	// The last delivered event stays, to say which seq was given out last.
	if got := seqsOf(t, b); !slices.Equal(got, []int64{10}) {
		t.Fatalf("kept %v", got)
	}
	if err := b.Append(opened("next")); err != nil {
		t.Fatal(err)
	}
	if got := seqsOf(t, b); !slices.Equal(got, []int64{10, 11}) {
		t.Fatalf("after compaction the next seq is %v, want 11", got)
	}
}

func testTiming() Timing {
	return Timing{Heartbeat: 50 * time.Millisecond, MaxBackoff: 100 * time.Millisecond, Look: 20 * time.Millisecond, Request: 2 * time.Second}
}

func joined(t *testing.T, f *fakeClass, learner string) *Box {
	t.Helper()
	b := Open(t.TempDir())
	link, err := ParseJoinURL(f.srv.URL + "/join/abc123")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := b.Join(context.Background(), f.srv.Client(), link, Joiner{Name: "Ada", Learner: learner, Course: "docker-security"}); err != nil {
		t.Fatal(err)
	}
	return b
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// The sender delivers every event once and in order through lost
// answers (resent and deduplicated), a 429 and a server that is away for
// a while.
func TestTheSenderDeliversInOrderOnceThroughFaults(t *testing.T) {
	f := newFakeClass(t)
	b := joined(t, f, "ada-000001")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	f.loseAnswers = 2
	f.tooMany = 1
	done := make(chan struct{})
	go func() { b.NewSender(nil, testTiming()).Run(ctx); close(done) }()
	for i := range 300 { // more than one batch
		if err := b.Append(opened(fmt.Sprintf("s%d", i))); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, "300 events", func() bool { return len(f.heldSeqs("token-ada-000001")) == 300 })
	if got := f.heldSeqs("token-ada-000001"); !slices.Equal(got, upTo(300)) {
		t.Fatalf("held %v", got)
	}
	waitFor(t, "the delivery state", func() bool { n, _ := b.Waiting(); return n == 0 })
	st, ok, err := b.Status()
	if err != nil || !ok || st.Delivery.Trouble != "" || st.Delivery.Class.Title != "Docker security, Tuesday" || st.Delivery.LastContact.IsZero() {
		t.Fatalf("status %+v %v %v", st, ok, err)
	}

	// The server goes away: events wait; it comes back: they arrive.
	f.setDown(true)
	for i := range 3 {
		if err := b.Append(opened(fmt.Sprintf("offline%d", i))); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, "the trouble noted", func() bool { st, _, _ := b.Status(); return st.Delivery.Trouble == NoAnswer && st.Waiting == 3 })
	f.mu.Lock()
	f.state.Message = "Break until 11:00"
	f.mu.Unlock()
	f.setDown(false)
	waitFor(t, "303 events", func() bool { return len(f.heldSeqs("token-ada-000001")) == 303 })
	if got := f.heldSeqs("token-ada-000001"); !slices.Equal(got, upTo(303)) {
		t.Fatalf("held %v", got)
	}
	waitFor(t, "the message", func() bool {
		st, _, _ := b.Status()
		return st.Delivery.Trouble == "" && st.Delivery.Class.Message == "Break until 11:00" && st.Waiting == 0
	})

	// Idle, the sender still asks now and then: the heartbeat brings the
	// instructor's hold without any event to send.
	f.mu.Lock()
	f.state.HoldLesson = "base-images"
	f.mu.Unlock()
	waitFor(t, "the hold, by heartbeat", func() bool { st, _, _ := b.Status(); return st.Delivery.Class.HoldLesson == "base-images" })
	cancel()
	<-done
}
