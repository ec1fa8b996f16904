package server

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/dockertutor/dockertutor/classroom/wire"
)

// FuzzEventsHandler posts arbitrary bodies as a joined learner: every
// answer is a 200 with an Ack or a 4xx with a Problem, never a 5xx or a
// panic, and the learner can still post afterwards.
func FuzzEventsHandler(f *testing.F) {
	for _, seed := range []string{
		`{"format":"dockertutor.events/1","events":[]}`,
		`{"format":"dockertutor.events/1","events":[{"seq":1,"kind":"step-opened","at":"2026-03-01T09:00:00Z","step":"build"}]}`,
		`{"format":"dockertutor.events/1","events":[{"seq":1,"kind":"verdict","at":"2026-03-01T09:00:00Z","step":"build","checks":[{"id":"user","outcome":"failed"}]}]}`,
		`{"format":"dockertutor.events/1","events":[{"seq":1,"kind":"hint","at":"2026-03-01T09:00:00Z","step":"build","hint":9}]}`,
		`{"format":"dockertutor.events/1","events":[{"seq":1,"kind":"readiness","at":"2026-03-01T09:00:00Z","readiness":{"docker":true,"buildkit":true,"classic":false,"images":[{"ref":"alpine:3.22","present":true}]}}]}`,
		`{"format":"dockertutor.events/1","events":[{"seq":3,"kind":"skip","at":"2026-03-01T09:00:00Z","step":"mount"}]}`,
		`[]`, `{`, ``,
	} {
		f.Add([]byte(seed))
	}
	c := newClass(f, Options{LearnerRate: 1e9, LearnerBurst: 1 << 30})
	token := c.join("fuzz-1", "Fuzz")
	f.Fuzz(func(t *testing.T, body []byte) {
		req := httptest.NewRequest("POST", "/api/v1/events", bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token)
		w := httptest.NewRecorder()
		c.srv.ServeHTTP(w, req)
		switch {
		case w.Code == http.StatusOK || w.Code == http.StatusConflict:
			var a wire.Ack
			if err := json.Unmarshal(w.Body.Bytes(), &a); err != nil {
				t.Fatalf("%d with a body that is not an Ack: %s", w.Code, w.Body)
			}
		case w.Code >= 400 && w.Code < 500:
			var p wire.Problem
			if err := json.Unmarshal(w.Body.Bytes(), &p); err != nil || p.Error == "" {
				t.Fatalf("%d with a body that is not a Problem: %s", w.Code, w.Body)
			}
		default:
			t.Fatalf("%d: %s", w.Code, w.Body)
		}
		req = httptest.NewRequest("POST", "/api/v1/events", bytes.NewReader([]byte(`{"format":"dockertutor.events/1","events":[]}`)))
		req.Header.Set("Authorization", "Bearer "+token)
		w = httptest.NewRecorder()
		c.srv.ServeHTTP(w, req)
		if w.Code != http.StatusOK {
			t.Fatalf("a heartbeat after the fuzzed body: %d %s", w.Code, w.Body)
		}
	})
}
