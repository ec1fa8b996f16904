package builder

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	controlapi "github.com/moby/buildkit/api/services/control"
)

// Aux message ids of a BuildKit build through the Engine API.
const (
	auxTrace   = "moby.buildkit.trace"
	auxImageID = "moby.image.id"
)

// tracer turns BuildKit's status updates into events. BuildKit resends a
// vertex each time it changes, so the tracer remembers what it already
// reported.
type tracer struct {
	emit     func(Event)
	vertices map[string]*vertexState
	order    []*vertexState // first seen first, for a stable flush
	// failed is the first step that failed for a reason of its own, not
	// because a sibling's failure cancelled it.
	failed   string
	warnings []string
}

type vertexState struct {
	name                          string
	started, cached, done, failed bool
	logs                          map[int64]*lineSplitter
}

func newTracer(emit func(Event)) *tracer {
	return &tracer{emit: emit, vertices: map[string]*vertexState{}}
}

// decodeTrace reads one moby.buildkit.trace aux payload: a JSON string
// holding a base64 protobuf StatusResponse.
func decodeTrace(aux []byte) (*controlapi.StatusResponse, error) {
	var raw []byte
	if err := json.Unmarshal(aux, &raw); err != nil {
		return nil, fmt.Errorf("build trace: %w", err)
	}
	var resp controlapi.StatusResponse
	if err := resp.UnmarshalVT(raw); err != nil {
		return nil, fmt.Errorf("build trace: %w", err)
	}
	return &resp, nil
}

func (t *tracer) vertex(digest string) *vertexState {
	v, ok := t.vertices[digest]
	if !ok {
		v = &vertexState{logs: map[int64]*lineSplitter{}}
		t.vertices[digest] = v
		t.order = append(t.order, v)
	}
	return v
}

func (t *tracer) update(resp *controlapi.StatusResponse) {
	for _, v := range resp.Vertexes {
		st := t.vertex(v.Digest)
		if v.Name != "" {
			st.name = v.Name
		}
		if st.done || st.failed {
			continue
		}
		if v.Cached {
			if !st.cached {
				st.cached = true
				st.done = true
				t.emit(Event{Kind: StepCached, Step: st.name})
			}
			continue
		}
		if v.Started != nil && !st.started {
			st.started = true
			t.emit(Event{Kind: StepStarted, Step: st.name})
		}
		var elapsed time.Duration
		if v.Started != nil && v.Completed != nil {
			elapsed = v.Completed.AsTime().Sub(v.Started.AsTime())
		}
		switch {
		case v.Error != "":
			st.failed = true
			t.flushLogs(st)
			t.emit(Event{Kind: StepFailed, Step: st.name, Text: v.Error, Elapsed: elapsed})
			if t.failed == "" && !isCancellation(v.Error) {
				t.failed = st.name
			}
		case v.Completed != nil:
			st.done = true
			t.flushLogs(st)
			t.emit(Event{Kind: StepDone, Step: st.name, Elapsed: elapsed})
		}
	}
	for _, l := range resp.Logs {
		st := t.vertex(l.Vertex)
		split, ok := st.logs[l.Stream]
		if !ok {
			split = &lineSplitter{}
			st.logs[l.Stream] = split
		}
		for _, line := range split.write(string(l.Msg)) {
			t.emit(Event{Kind: StepLog, Step: st.name, Text: line, Stderr: l.Stream == 2})
		}
	}
	for _, w := range resp.Warnings {
		text := strings.TrimSpace(string(w.Short))
		if text == "" {
			continue
		}
		t.warnings = append(t.warnings, text)
		t.emit(Event{Kind: Warning, Step: t.vertex(w.Vertex).name, Text: text})
	}
}

// flushLogs reports a step's last log line when it had no line end.
func (t *tracer) flushLogs(st *vertexState) {
	for _, stream := range []int64{1, 2} {
		if split, ok := st.logs[stream]; ok {
			if line, ok := split.flush(); ok {
				t.emit(Event{Kind: StepLog, Step: st.name, Text: line, Stderr: stream == 2})
			}
		}
	}
}

// finish reports the log lines still buffered when the build ends.
func (t *tracer) finish() {
	for _, st := range t.order {
		t.flushLogs(st)
	}
}

// isCancellation reports whether a step failed only because the build was
// cancelled, by the caller or by a sibling step's failure.
func isCancellation(msg string) bool {
	return strings.Contains(msg, "context canceled") || strings.Contains(msg, "context cancelled")
}
