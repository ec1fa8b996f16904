package server

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dockertutor/dockertutor/classroom/wire"
)

// BenchmarkVerdictToSnapshot posts one verdict at a time from 200
// learners through the handler (file database, FULL sync) and measures
// until the published snapshot holds it: the server's share of the
// verdict-to-dashboard latency, without the network.
func BenchmarkVerdictToSnapshot(b *testing.B) {
	c := newClass(b, Options{LearnerRate: 1e9, LearnerBurst: 1 << 30, JoinRate: 1e9, JoinBurst: 1 << 30})
	const learners = 200
	tokens := make([]string, learners)
	for i := range tokens {
		tokens[i] = c.join(fmt.Sprintf("l-%03d", i), fmt.Sprintf("Learner %d", i))
	}
	seq := make([]int64, learners)
	updates, cancel := c.srv.Subscribe()
	defer cancel()
	var worst atomic.Int64
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		l := i % learners
		seq[l]++
		e := wire.Event{Seq: seq[l], Kind: wire.Verdict, Step: "build", At: time.Now(), Checks: []wire.CheckOutcome{{ID: "user", Outcome: wire.Failed}}}
		body, _ := json.Marshal(wire.EventBatch{Format: wire.EventsFormat, Events: []wire.Event{e}})
		req := httptest.NewRequest("POST", "/api/v1/events", bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+tokens[l])
		w := httptest.NewRecorder()
		start := time.Now()
		c.srv.ServeHTTP(w, req)
		if w.Code != 200 {
			b.Fatalf("%d %s", w.Code, w.Body)
		}
		want := int64(0)
		for _, lv := range c.srv.Snapshot().Room.Learners {
			if lv.ID == fmt.Sprintf("l-%03d", l) && lv.Verdict == "failed" {
				want = 1
			}
		}
		for want == 0 {
			<-updates
			for _, lv := range c.srv.Snapshot().Room.Learners {
				if lv.ID == fmt.Sprintf("l-%03d", l) && lv.Verdict == "failed" {
					want = 1
				}
			}
		}
		if d := int64(time.Since(start)); d > worst.Load() {
			worst.Store(d)
		}
	}
	b.ReportMetric(float64(worst.Load())/1e6, "worst-ms")
}
