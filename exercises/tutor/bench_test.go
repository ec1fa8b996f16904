package tutor

import (
	"context"
	"sort"
	"testing"
	"time"

	"github.com/moby/moby/client"

	"github.com/dockertutor/dockertutor/exercises/daemon"
	"github.com/dockertutor/dockertutor/exercises/dockertest"
	"github.com/dockertutor/dockertutor/lessons"
)

// BenchmarkVerdictMultiStageFix times the full check of the build-secrets
// multi-stage fix step on its solved image: Dockerfile analysis, image
// checks, a container stat and the leak scan of every layer. It reports
// the median as well as the mean, since the daemon's latency is skewed.
//
//	go test ./exercises/tutor -run '^$' -bench VerdictMultiStageFix -benchtime 20x
func BenchmarkVerdictMultiStageFix(b *testing.B) {
	cli := dockertest.Client(b)
	dockertest.StandIn(b, cli, "alpine:3.22")
	c, ps := lessons.Builtin()
	if len(ps) > 0 {
		b.Fatal(ps)
	}
	st, ok := c.Step("multi-stage-fix")
	if !ok {
		b.Skip("the course has no multi-stage-fix step")
	}
	// A private namespace: the course's own image names are a learner's.
	s, err := Open(Options{Course: c, WorkspaceRoot: b.TempDir(), StateDir: b.TempDir(), Namespace: dockertest.Namespace(b),
		Connect: func(ctx context.Context) (daemon.Client, error) { return client.New(client.FromEnv) }})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	if err := s.Solve(ctx, st, nil); err != nil {
		b.Fatal(err)
	}
	defer s.CleanDocker(ctx, []*lessons.Step{st}, false)
	times := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		v, err := s.Check(ctx, st)
		times = append(times, time.Since(start))
		if err != nil || !v.Passed {
			b.Fatalf("%v %+v", err, v)
		}
	}
	b.StopTimer()
	sort.Slice(times, func(i, j int) bool { return times[i] < times[j] })
	b.ReportMetric(float64(times[len(times)/2].Microseconds())/1000, "median-ms")
}
