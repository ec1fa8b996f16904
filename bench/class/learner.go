package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dockertutor/dockertutor/classroom/wire"
	"github.com/dockertutor/dockertutor/lessons"
)

// plan is the course as the simulated learners walk it.
type plan struct {
	course *lessons.Course
	steps  []*lessons.Step
	// starts are, per lesson, the index of its first exercise with three
	// checks or more: where everyone goes when the lesson starts.
	starts []int
}

func newPlan(c *lessons.Course) *plan {
	p := &plan{course: c, steps: c.Steps()}
	seen := map[string]bool{}
	for i, st := range p.steps {
		if st.Kind == lessons.KindExercise && len(st.Checks) >= 3 && !seen[st.Lesson.ID] {
			seen[st.Lesson.ID] = true
			p.starts = append(p.starts, i)
		}
	}
	return p
}

// counters add up what every learner sent and what came back.
type counters struct {
	generated  atomic.Int64 // events the learners made
	heartbeats atomic.Int64 // empty batches posted
	posted     atomic.Int64 // events in posted batches, resends included
	accepted   atomic.Int64 // events newly acked
	checks     atomic.Int64 // check outcomes in the verdicts made

	mu       sync.Mutex
	posts    []time.Duration // round trips of POST /api/v1/events
	requests map[int]int     // by status code; 0 is no answer
	refused  map[int]int     // events in batches not answered 200, by status code
	problem  string          // the first unexpected answer, for the report
}

func newCounters() *counters { return &counters{requests: map[int]int{}, refused: map[int]int{}} }

func (c *counters) answered(code, events int, problem string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.requests[code]++
	if code != http.StatusOK {
		c.refused[code] += events
	}
	if problem != "" && c.problem == "" {
		c.problem = problem
	}
}

// learner is one simulated learner's tutor: a generator that does what a
// learner does at a jittered pace (and what everyone does when a lesson
// starts), and a sender that posts the outbox as the real tutor does:
// in seq order, one request at a time, dropping what is acked, waiting
// out a 429's Retry-After and resending after a 409.
type learner struct {
	i     int
	id    string
	token string
	hc    *http.Client
	base  string
	rng   *rand.Rand
	plan  *plan
	c     *counters
	track *tracker

	mu     sync.Mutex
	outbox []wire.Event
	seq    int64
	beat   bool // an empty batch is due
	wake   chan struct{}
	burst  chan int // a lesson starts: the index into plan.starts

	// Where the learner is; only the generator touches these.
	pos     int
	opened  bool
	last    map[string]string // step -> its last verdict: "pass" or the failing checks
	fails   map[string]int
	hints   map[string]int
	answers map[string]int
}

// sourceIP gives learner i an address of its own on loopback, as if each
// sat at their own machine (the server limits joins per address).
func sourceIP(i int) net.IP { return net.IPv4(127, 1, byte(i/250), byte(1+i%250)) }

// ownAddresses says whether this system answers on all of 127.0.0.0/8
// (Linux does; macOS has only 127.0.0.1 unless told): without it every
// learner posts from 127.0.0.1, and the server's join limit per address
// spreads the joins out (they wait out its 429s).
var ownAddresses = sync.OnceValue(func() bool {
	ln, err := net.Listen("tcp", net.JoinHostPort(sourceIP(0).String(), "0"))
	if err != nil {
		return false
	}
	ln.Close()
	return true
})

func learnerID(i int) string { return fmt.Sprintf("bench-%04d", i) }

func newLearner(i int, base string, p *plan, c *counters, tr *tracker, seed uint64) *learner {
	d := &net.Dialer{Timeout: 5 * time.Second}
	if ownAddresses() {
		d.LocalAddr = &net.TCPAddr{IP: sourceIP(i)}
	}
	return &learner{
		i: i, id: learnerID(i), base: base, plan: p, c: c, track: tr,
		// A transport of its own: no proxy, one connection kept alive, as
		// one tutor has.
		hc:   &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{DialContext: d.DialContext, MaxIdleConnsPerHost: 1, IdleConnTimeout: 90 * time.Second}},
		rng:  rand.New(rand.NewPCG(seed, uint64(i))),
		wake: make(chan struct{}, 1), burst: make(chan int, 1),
		last: map[string]string{}, fails: map[string]int{}, hints: map[string]int{}, answers: map[string]int{},
	}
}

// join joins the class, waiting out 429s, and reports the machine's
// readiness as a tutor does at once.
func (l *learner) join(ctx context.Context, code string) error {
	body, _ := json.Marshal(wire.JoinRequest{Code: code, Name: fmt.Sprintf("Learner %03d", l.i+1), Learner: l.id, Course: l.plan.course.ID})
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, l.base+"/api/v1/join", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		resp, err := l.hc.Do(req)
		if err != nil {
			return err
		}
		data, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		switch resp.StatusCode {
		case http.StatusOK:
			var a wire.JoinAnswer
			if err := json.Unmarshal(data, &a); err != nil {
				return err
			}
			l.token, l.seq = a.Token, a.Acked
			l.emit(wire.Event{Kind: wire.Ready, Readiness: l.readiness()})
			return nil
		case http.StatusTooManyRequests:
			if err := sleep(ctx, retryAfter(resp)); err != nil {
				return err
			}
		default:
			return fmt.Errorf("join: %s: %s", resp.Status, strings.TrimSpace(string(data)))
		}
	}
}

func (l *learner) readiness() *wire.Readiness {
	r := &wire.Readiness{Docker: true, Engine: "Docker Engine - Community", Version: "28.3.2", API: "1.51", BuildKit: true, Classic: true, DockerBuild: "buildkit",
		Images: []wire.ImageReadiness{{Ref: "alpine:3.22", Present: true}, {Ref: "debian:12-slim", Present: true}, {Ref: "python:3.13-slim", Present: true}}}
	if l.rng.IntN(10) == 0 { // a few machines miss an image
		r.Images[2].Present = false
	}
	return r
}

// emit puts events in the outbox with the next seqs; no event is a
// heartbeat (an empty batch, unless something is pending anyway).
func (l *learner) emit(events ...wire.Event) { l.emitIn(false, events...) }

// emitIn is emit, saying whether the events are a lesson start's.
func (l *learner) emitIn(burst bool, events ...wire.Event) {
	now := time.Now()
	l.mu.Lock()
	for _, e := range events {
		l.seq++
		e.Seq, e.At = l.seq, now
		l.outbox = append(l.outbox, e)
		if e.Kind == wire.Verdict {
			// The clock of a verdict starts when the learner's tutor has
			// it, whether or not a post is in flight.
			l.track.sent(l.i, e.Seq, now, burst)
			l.c.checks.Add(int64(len(e.Checks)))
		}
	}
	if len(events) == 0 && len(l.outbox) == 0 {
		l.beat = true
	}
	l.mu.Unlock()
	l.c.generated.Add(int64(len(events)))
	select {
	case l.wake <- struct{}{}:
	default:
	}
}

// live is the generator: one action every interval (jittered by half
// either way), and a lesson start when the benchmark says.
func (l *learner) live(stop <-chan struct{}, interval time.Duration) {
	tick := time.NewTimer(time.Duration(l.rng.Float64() * float64(interval)))
	defer tick.Stop()
	var verdictDue <-chan time.Time
	for {
		select {
		case <-stop:
			return
		case <-tick.C:
			l.act()
			tick.Reset(time.Duration((0.5 + l.rng.Float64()) * float64(interval)))
		case k := <-l.burst:
			// Everyone opens the lesson's first exercise and checks it
			// right away.
			l.pos, l.opened = l.plan.starts[k%len(l.plan.starts)], true
			l.emitIn(true, wire.Event{Kind: wire.StepOpened, Step: l.plan.steps[l.pos].ID})
			verdictDue = time.After(time.Duration(100+l.rng.IntN(300)) * time.Millisecond)
		case <-verdictDue:
			verdictDue = nil
			l.emitIn(true, l.verdict(l.plan.steps[l.pos]))
		}
	}
}

func (l *learner) done(st *lessons.Step) bool {
	if st.Kind == lessons.KindRead {
		return l.opened
	}
	return l.last[st.ID] == "pass"
}

// act is one thing a learner does: open the next step once this one is
// done, else check it, take a hint, answer a quiz, or nothing (the tutor
// then posts an empty batch).
func (l *learner) act() {
	st := l.plan.steps[l.pos]
	switch {
	case !l.opened:
		l.opened = true
		l.emit(wire.Event{Kind: wire.StepOpened, Step: st.ID})
		return
	case l.done(st) && l.pos+1 < len(l.plan.steps):
		l.pos++
		l.opened = false
		l.act()
		return
	case l.done(st):
		l.emit() // the course is done; the tutor still says it is there
		return
	}
	r := l.rng.Float64()
	switch {
	case st.Kind == lessons.KindQuiz || st.Kind == lessons.KindAnswer:
		if r < 0.3 {
			l.emit()
			return
		}
		l.answers[st.ID]++
		l.emit(wire.Event{Kind: wire.AnswerGiven, Step: st.ID, Attempts: l.answers[st.ID]}, l.verdict(st))
	case r < 0.5:
		l.emit(l.verdict(st))
	case r < 0.65 && l.hints[st.ID] < len(st.Hints):
		l.hints[st.ID]++
		l.emit(wire.Event{Kind: wire.HintShown, Step: st.ID, Hint: l.hints[st.ID]})
	case r < 0.67 && l.fails[st.ID] >= 3:
		l.emit(wire.Event{Kind: wire.SolutionShown, Step: st.ID})
	default:
		l.emit()
	}
}

// verdict checks the step: every check of it, some failing, more likely
// to pass the more often it failed. It always differs from the step's
// last verdict (another failing check, or passing), so that each verdict
// changes what the dashboard shows and is pushed to it: the server does
// not push a room that looks the same.
func (l *learner) verdict(st *lessons.Step) wire.Event {
	e := wire.Event{Kind: wire.Verdict, Step: st.ID}
	last := l.last[st.ID]
	pass := last != "pass" && l.rng.Float64() < min(0.8, 0.15+0.2*float64(l.fails[st.ID]))
	failing := map[string]bool{}
	key := ""
	if !pass {
		for range 20 {
			clear(failing)
			var ids []string
			for _, c := range st.Checks {
				if l.rng.IntN(2) == 0 {
					failing[c.ID] = true
				}
			}
			if len(failing) == 0 {
				failing[st.Checks[l.rng.IntN(len(st.Checks))].ID] = true
			}
			for _, c := range st.Checks {
				if failing[c.ID] {
					ids = append(ids, c.ID)
				}
			}
			if key = strings.Join(ids, ","); key != last {
				break
			}
		}
		pass = key == last // the step's only failing set was the last one
	}
	for _, c := range st.Checks {
		o := wire.Passed
		if !pass && failing[c.ID] {
			o = wire.Failed
			if l.rng.IntN(10) == 0 {
				o = wire.Errored
			}
		}
		e.Checks = append(e.Checks, wire.CheckOutcome{ID: c.ID, Outcome: o})
	}
	e.Passed = pass
	if pass {
		l.last[st.ID] = "pass"
	} else {
		l.last[st.ID] = key
		l.fails[st.ID]++
	}
	return e
}

// send posts the outbox whenever there is something in it, until the
// generator stopped and everything is acked, or until hardStop.
func (l *learner) send(genDone <-chan struct{}, hardStop time.Time) {
	for {
		select {
		case <-l.wake:
		case <-genDone:
		}
		for time.Now().Before(hardStop) {
			l.mu.Lock()
			batch := append([]wire.Event(nil), l.outbox[:min(len(l.outbox), wire.MaxBatch)]...)
			beat := l.beat
			l.beat = false
			l.mu.Unlock()
			if len(batch) == 0 && !beat {
				break
			}
			l.post(batch, hardStop)
		}
		select {
		case <-genDone:
			l.mu.Lock()
			empty := len(l.outbox) == 0
			l.mu.Unlock()
			if empty || !time.Now().Before(hardStop) {
				return
			}
		default:
		}
	}
}

func (l *learner) post(batch []wire.Event, hardStop time.Time) {
	body, _ := json.Marshal(wire.EventBatch{Format: wire.EventsFormat, Events: batch})
	if batch == nil {
		body, _ = json.Marshal(wire.EventBatch{Format: wire.EventsFormat, Events: []wire.Event{}})
		l.c.heartbeats.Add(1)
	}
	l.c.posted.Add(int64(len(batch)))
	req, _ := http.NewRequest(http.MethodPost, l.base+"/api/v1/events", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+l.token)
	sent := time.Now()
	resp, err := l.hc.Do(req)
	if err == nil {
		took := time.Since(sent)
		l.c.mu.Lock()
		l.c.posts = append(l.c.posts, took)
		l.c.mu.Unlock()
	}
	if err != nil {
		l.c.answered(0, len(batch), err.Error())
		time.Sleep(500 * time.Millisecond)
		return
	}
	data, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	switch resp.StatusCode {
	case http.StatusOK, http.StatusConflict:
		// 409: the server holds up to Acked and the batch did not follow
		// it; dropping what it holds makes the next post follow it.
		var a wire.Ack
		if err := json.Unmarshal(data, &a); err != nil {
			l.c.answered(resp.StatusCode, len(batch), "ack: "+err.Error())
			return
		}
		l.c.answered(resp.StatusCode, len(batch), "")
		l.mu.Lock()
		n := 0
		for n < len(l.outbox) && l.outbox[n].Seq <= a.Acked {
			n++
		}
		l.outbox = l.outbox[n:]
		gap := len(l.outbox) > 0 && l.outbox[0].Seq != a.Acked+1
		l.mu.Unlock()
		l.c.accepted.Add(int64(n))
		if gap {
			l.c.answered(-1, 0, fmt.Sprintf("%s: the server holds up to %d, the outbox starts later", l.id, a.Acked))
			l.drop()
		}
	case http.StatusTooManyRequests:
		l.c.answered(resp.StatusCode, len(batch), "")
		wait := retryAfter(resp)
		if rest := time.Until(hardStop); wait > rest {
			wait = max(0, rest)
		}
		time.Sleep(wait)
	case http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusInternalServerError:
		l.c.answered(resp.StatusCode, len(batch), strings.TrimSpace(string(data)))
		time.Sleep(500 * time.Millisecond)
	default:
		// A refusal the tutor cannot fix by sending again (a bug of the
		// benchmark or of the server): drop the batch, say it.
		l.c.answered(resp.StatusCode, len(batch), fmt.Sprintf("%s: %s", resp.Status, strings.TrimSpace(string(data))))
		l.drop()
	}
}

// drop empties the outbox, so that a refused batch is not posted for
// ever.
func (l *learner) drop() {
	l.mu.Lock()
	l.outbox = nil
	l.mu.Unlock()
}

func retryAfter(resp *http.Response) time.Duration {
	n, err := strconv.Atoi(resp.Header.Get("Retry-After"))
	if err != nil || n < 1 {
		n = 1
	}
	return time.Duration(n) * time.Second
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
