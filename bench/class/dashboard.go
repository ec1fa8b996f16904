package main

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sync"
	"time"
)

// tracker times each verdict from the moment a learner's tutor has it to
// the first pushed room whose row for that learner shows a seq at or past
// the verdict's (rooms take each learner's events in seq order).
type tracker struct {
	mu      sync.Mutex
	index   map[string]int
	pending [][]sentVerdict
	lat     []time.Duration
	burst   []time.Duration // the verdicts of lesson starts, also in lat
	made    int
}

type sentVerdict struct {
	seq   int64
	at    time.Time
	burst bool
}

func newTracker(ids []string) *tracker {
	t := &tracker{index: map[string]int{}, pending: make([][]sentVerdict, len(ids))}
	for i, id := range ids {
		t.index[id] = i
	}
	return t
}

func (t *tracker) sent(i int, seq int64, at time.Time, burst bool) {
	t.mu.Lock()
	t.pending[i] = append(t.pending[i], sentVerdict{seq, at, burst})
	t.made++
	t.mu.Unlock()
}

// seen takes in a pushed room received at at.
func (t *tracker) seen(r pushedRoom, at time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, l := range r.Learners {
		i, ok := t.index[l.ID]
		if !ok {
			continue
		}
		p := t.pending[i]
		n := 0
		for n < len(p) && p[n].seq <= l.Seq {
			t.lat = append(t.lat, at.Sub(p[n].at))
			if p[n].burst {
				t.burst = append(t.burst, at.Sub(p[n].at))
			}
			n++
		}
		t.pending[i] = p[n:]
	}
}

func (t *tracker) unseen() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	n := 0
	for _, p := range t.pending {
		n += len(p)
	}
	return n
}

// results are the latencies so far (all, and the lesson starts') and
// the verdicts made.
func (t *tracker) results() (all, burst []time.Duration, made int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return slices.Clone(t.lat), slices.Clone(t.burst), t.made
}

// pushedRoom is what the benchmark reads of a pushed Room document.
type pushedRoom struct {
	Learners []struct {
		ID  string `json:"id"`
		Seq int64  `json:"seq"`
	} `json:"learners"`
}

// watcher is one instructor's dashboard on the live stream: the Room
// document (GET /live?format=json), or the page's fragment as the
// browser reads it (GET /live).
type watcher struct {
	html   bool
	mu     sync.Mutex
	pushes int
	bytes  int64 // the rooms' JSON, as pushed
	// wire counts what came over the connection: the page's stream asks
	// for gzip, as a browser does, so beside bytes it shows what that saves.
	wire int64
	err  error
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r  io.Reader
	n  *int64
	mu *sync.Mutex
}

func (c countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.mu.Lock()
	*c.n += int64(n)
	c.mu.Unlock()
	return n, err
}

// failure is why the stream ended before it was told to, if it did.
func (w *watcher) failure() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.err
}

func (w *watcher) counts() (pushes int, bytes, wire int64) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.pushes, w.bytes, w.wire
}

// watch reads the live stream until ctx ends; the first push closes
// ready. With a tracker it decodes each room and feeds it.
func (w *watcher) watch(ctx context.Context, base, token string, tr *tracker, ready chan<- struct{}) {
	err := w.read(ctx, base, token, tr, ready)
	if ctx.Err() == nil {
		w.mu.Lock()
		w.err = err
		w.mu.Unlock()
	}
}

func (w *watcher) read(ctx context.Context, base, token string, tr *tracker, ready chan<- struct{}) error {
	u := base + "/live?format=json"
	if w.html {
		u = base + "/live"
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	if w.html {
		req.Header.Set("Accept-Encoding", "gzip") // by hand: the body comes as sent
	}
	resp, err := (&http.Client{Transport: &http.Transport{}}).Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<10))
		return fmt.Errorf("live stream: %s: %s", resp.Status, body)
	}
	var body io.Reader = countingReader{r: resp.Body, n: &w.wire, mu: &w.mu}
	if resp.Header.Get("Content-Encoding") == "gzip" {
		if body, err = gzip.NewReader(body); err != nil {
			return err
		}
	}
	br := bufio.NewReaderSize(body, 1<<20)
	var data bytes.Buffer
	var event string
	for {
		line, err := readLine(br)
		if err != nil {
			return err
		}
		switch {
		case len(line) == 0:
			if event == "room" && data.Len() > 0 {
				at := time.Now()
				w.mu.Lock()
				w.pushes++
				w.bytes += int64(data.Len())
				w.mu.Unlock()
				if tr != nil {
					var r pushedRoom
					if err := json.Unmarshal(data.Bytes(), &r); err != nil {
						return fmt.Errorf("a pushed room: %w", err)
					}
					tr.seen(r, at)
				}
				if ready != nil {
					close(ready)
					ready = nil
				}
			}
			data.Reset()
			event = ""
		case bytes.HasPrefix(line, []byte("event:")):
			event = string(bytes.TrimSpace(line[len("event:"):]))
		case bytes.HasPrefix(line, []byte("data:")):
			if data.Len() > 0 {
				data.WriteByte('\n')
			}
			data.Write(bytes.TrimPrefix(line[len("data:"):], []byte(" ")))
		}
	}
}

// readLine reads one line of any length, without its end of line.
func readLine(br *bufio.Reader) ([]byte, error) {
	var out []byte
	for {
		part, err := br.ReadSlice('\n')
		out = append(out, part...)
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		if err != nil {
			return nil, err
		}
		return bytes.TrimRight(out, "\r\n"), nil
	}
}
