package outbox

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/gofrs/flock"

	"github.com/dockertutor/dockertutor/classroom/wire"
)

// HeartbeatEnv names the environment variable that sets how often the
// sender asks the server for the class's state when it has nothing to
// send (a Go duration, "200ms"); it also caps the backoff at twice that
// (at most 30 s) and sets how often another process's appends are
// looked for. Tests shorten it; unset, a heartbeat is every 15 s.
const HeartbeatEnv = "DOCKERTUTOR_CLASS_HEARTBEAT"

// maxRetryAfter bounds the wait a server's 429 asks for: a class server
// asks for seconds, and a wait of years (or one past what a duration
// holds) would silence the tutor for good.
const maxRetryAfter = 5 * time.Minute

// Timing is how often the sender speaks and how long it waits.
type Timing struct {
	// Heartbeat is how often an empty batch asks for the class's state.
	Heartbeat time.Duration
	// MaxBackoff caps the wait after a failed delivery.
	MaxBackoff time.Duration
	// Look is how often the outbox is read for events other processes
	// appended.
	Look time.Duration
	// Request bounds one request.
	Request time.Duration
}

// DefaultTiming is the timing for a classroom, or HeartbeatEnv's.
func DefaultTiming() Timing {
	t := Timing{Heartbeat: 15 * time.Second, MaxBackoff: 30 * time.Second, Look: 2 * time.Second, Request: 10 * time.Second}
	if d, err := time.ParseDuration(os.Getenv(HeartbeatEnv)); err == nil && d > 0 {
		t.Heartbeat, t.MaxBackoff, t.Look = d, min(2*d, 30*time.Second), min(d, 2*time.Second)
	}
	return t
}

// Sender delivers one class folder's outbox. Only one sender at a time
// delivers a folder (a file lock); another process's sender waits for the
// lock and meanwhile its process only appends.
type Sender struct {
	box    *Box
	client *http.Client
	timing Timing
	lock   *flock.Flock
	now    func() time.Time
}

// Client is the HTTP client that speaks to a class server: one bounded in
// time, and never through a proxy, since a class server is on the room's
// own network.
func Client(t Timing) *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.Proxy = nil
	return &http.Client{Transport: tr, Timeout: t.Request, CheckRedirect: noRedirect}
}

// noRedirect answers a redirect with itself: a class server never
// redirects its API, and Go would carry the learner's token along to
// another port of the same host.
func noRedirect(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

// cleanState is the class's state as the server said it, made safe to
// show in a terminal: the title and message one line of printable text
// (no escape sequences, no bidi overrides), a held lesson an id or none.
func cleanState(c wire.ClassState) wire.ClassState {
	c.Title, c.Message = wire.CleanMessage(c.Title), wire.CleanMessage(c.Message)
	if wire.ValidID(c.HoldLesson) != nil {
		c.HoldLesson = ""
	}
	return c
}

// NewSender returns the sender of b's outbox; client nil is Client(t).
func (b *Box) NewSender(client *http.Client, t Timing) *Sender {
	if client == nil {
		client = Client(t)
	}
	return &Sender{box: b, client: client, timing: t, lock: flock.New(filepath.Join(b.dir, senderLockFile)), now: time.Now}
}

// Run delivers until ctx ends: the outbox's events in order as they are
// appended, a heartbeat when there is nothing to send, backing off while
// the server does not answer. It returns when ctx ends.
func (s *Sender) Run(ctx context.Context) {
	look := time.NewTicker(s.timing.Look)
	defer look.Stop()
	held := false
	defer func() {
		if held {
			s.lock.Unlock()
		}
	}()
	var (
		backoff  time.Duration
		lastSent time.Time
	)
	for {
		wait := s.timing.Heartbeat
		if !held {
			held = s.tryLock()
		}
		if held {
			heartbeat := s.now().Sub(lastSent) >= s.timing.Heartbeat
			sent, retry, err := s.deliver(ctx, heartbeat)
			if ctx.Err() != nil {
				return
			}
			switch {
			case retry > 0:
				// The server said how long to wait: nothing cuts it short.
				backoff = 0
				s.sleep(ctx, retry)
				continue
			case err != nil:
				// Nor does anything cut a backoff short: the server was
				// not answering a moment ago.
				backoff = min(max(2*backoff, s.timing.MaxBackoff/16), s.timing.MaxBackoff)
				s.sleep(ctx, backoff)
				continue
			}
			backoff = 0
			if heartbeat || sent {
				lastSent = s.now()
			}
			if sent {
				continue // more may be waiting
			}
			wait = s.timing.Heartbeat - s.now().Sub(lastSent)
		}
		timer := time.NewTimer(max(wait, 0))
		select {
		case <-ctx.Done():
			timer.Stop()
			return
		case <-timer.C:
		case <-s.box.wake:
			timer.Stop()
		case <-look.C:
			timer.Stop()
		}
	}
}

func (s *Sender) sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

func (s *Sender) tryLock() bool {
	if err := os.MkdirAll(s.box.dir, 0o700); err != nil {
		return false
	}
	ok, err := s.lock.TryLock()
	return ok && err == nil
}

// DeliverNow makes one bounded attempt to deliver everything waiting, for
// a command that exits next; a sender running in another process is left
// to it. It returns how many events are still waiting.
func (s *Sender) DeliverNow(ctx context.Context) (int, error) {
	if s.tryLock() {
		defer s.lock.Unlock()
		for {
			sent, retry, err := s.deliver(ctx, false)
			if err != nil || retry > 0 || !sent {
				break
			}
		}
	}
	return s.box.Waiting()
}

// deliver posts the next batch (or a heartbeat, when asked and nothing
// waits) and records the answer. sent says a batch was accepted and more
// may wait; retry is how long the server asked the sender to wait.
func (s *Sender) deliver(ctx context.Context, heartbeat bool) (sent bool, retry time.Duration, err error) {
	m, ok, err := s.box.Membership()
	if err != nil || !ok {
		return false, 0, err
	}
	d, err := s.box.readDelivery()
	if err != nil {
		return false, 0, err
	}
	events, err := s.box.readEvents(d.Acked, wire.MaxBatch)
	if err != nil {
		return false, 0, err
	}
	if len(events) == 0 && !heartbeat {
		return false, 0, nil
	}
	if len(events) > 0 && events[0].Seq != d.Acked+1 {
		// The server holds less than this outbox still has: the reports
		// between were compacted away after it had acknowledged them.
		return false, 0, s.trouble(d, Refused, fmt.Sprintf("the class server lost reports %d to %d, which were delivered before", d.Acked+1, events[0].Seq-1), nil)
	}
	events = following(events, d.Acked)
	body, events, err := batchBody(events)
	if err != nil {
		return false, 0, err
	}
	rctx, cancel := context.WithTimeout(ctx, s.timing.Request)
	defer cancel()
	req, err := http.NewRequestWithContext(rctx, http.MethodPost, m.Server+"/api/v1/events", bytes.NewReader(body))
	if err != nil {
		return false, 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+m.Token)
	resp, err := s.client.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return false, 0, ctx.Err()
		}
		return false, 0, s.trouble(d, NoAnswer, "", err)
	}
	defer resp.Body.Close()
	switch resp.StatusCode {
	case http.StatusOK, http.StatusConflict:
		var ack wire.Ack
		if err := json.NewDecoder(io.LimitReader(resp.Body, wire.MaxBodyBytes)).Decode(&ack); err != nil {
			return false, 0, s.trouble(d, Refused, "the class server's answer could not be read", err)
		}
		// The server can hold at most what it was sent. An acked past that
		// (or below zero) is a server with a bug or not a class server:
		// believing it would compact away events nobody holds.
		top := d.Acked
		if len(events) > 0 {
			top = max(top, events[len(events)-1].Seq)
		}
		if ack.Acked < 0 || ack.Acked > top {
			return false, 0, s.trouble(d, Refused, fmt.Sprintf("the class server says it holds report %d, but only reports up to %d were sent", ack.Acked, top), nil)
		}
		// A 409 says where the server is; the next batch starts after it.
		moved := ack.Acked != d.Acked
		d.Acked, d.Class, d.Trouble, d.Detail, d.Since = ack.Acked, cleanState(ack.Class), "", "", time.Time{}
		d.LastContact = s.now().UTC()
		if err := s.box.writeDelivery(d); err != nil {
			return false, 0, err
		}
		if err := s.box.compact(d.Acked, false); err != nil {
			return false, 0, err
		}
		// Only an answer that moved the watermark is worth sending again
		// at once; one that did not would repeat itself.
		return len(events) > 0 && moved, 0, nil
	case http.StatusTooManyRequests:
		secs, _ := strconv.Atoi(resp.Header.Get("Retry-After"))
		retry = time.Duration(min(max(secs, 1), int(maxRetryAfter/time.Second))) * time.Second
		d.LastContact = s.now().UTC()
		return false, retry, s.trouble(d, SlowedDown, "", nil)
	case http.StatusUnauthorized:
		d.LastContact = s.now().UTC()
		return false, 0, s.trouble(d, NotKnown, problemOf(resp).Sentence, nil)
	default:
		d.LastContact = s.now().UTC()
		p := problemOf(resp)
		return false, 0, s.trouble(d, Refused, p.Sentence, p)
	}
}

// trouble records why delivery failed and returns an error saying it.
func (s *Sender) trouble(d Delivery, t Trouble, detail string, cause error) error {
	if d.Trouble != t {
		d.Since = s.now().UTC()
	}
	d.Trouble, d.Detail = t, detail
	if err := s.box.writeDelivery(d); err != nil {
		return err
	}
	if cause == nil {
		cause = errors.New(string(t))
	}
	return fmt.Errorf("class delivery: %s: %w", t, cause)
}

// batchBody is the body of a batch of the events' first ones, as many as
// fit in wire.MaxBodyBytes (200 verdicts of many checks would not), and
// the events it carries.
func batchBody(events []wire.Event) ([]byte, []wire.Event, error) {
	for {
		body, err := json.Marshal(wire.EventBatch{Format: wire.EventsFormat, Events: nonNil(events)})
		if err != nil || len(body) <= wire.MaxBodyBytes || len(events) <= 1 {
			return body, events, err
		}
		// Cut in proportion to the excess, and at least one event.
		keep := len(events) * wire.MaxBodyBytes / len(body)
		events = events[:max(1, min(keep, len(events)-1))]
	}
}

// following keeps the events that follow acked without a gap: a batch's
// seqs follow one another, and the server wants acked+1 first.
func following(es []wire.Event, acked int64) []wire.Event {
	for i, e := range es {
		if e.Seq != acked+int64(i)+1 {
			return es[:i]
		}
	}
	return es
}

func nonNil(es []wire.Event) []wire.Event {
	if es == nil {
		return []wire.Event{}
	}
	return es
}
