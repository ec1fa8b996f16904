// Command class measures the class server under a class's load: the
// real `dockertutor class serve` process, simulated learners posting
// their events over loopback as a tutor does, and instructor dashboards
// on the live stream. For each class size (50, 100 and 200 learners by
// default, one after the other, each on a fresh server and database) it
// prints the events accepted per second, the time from a learner's
// verdict to the dashboard's push that shows it (p50, p95, p99, max),
// the server's resident memory (peak and at the end), its CPU, the
// database's size per learner-hour, and the size of a push.
//
//	go run ./bench/class [-learners 50,100,200] [-duration 60s] [-interval 3s] [-burst-every 20s] [-dashboards 2]
//
// -bin serves with another build; -cpuprofile FILE serves from this
// process instead, through server.New as `class serve` does, and writes a
// CPU profile per size (its memory and CPU figures then include the
// learners'); -keep keeps the temporary folder.
//
// Each learner joins through POST /api/v1/join from an address of its own
// (127.1.x.y), reports its machine's readiness, then acts every interval
// (jittered by half either way): opens the next step when done, checks
// the step (every check of it, some failing), takes a hint, answers a
// quiz, or posts an empty batch. Every burst-every, a lesson starts: all
// learners open the lesson's first exercise and check it within a
// second. The goals are the issue's: p95 under 1 s and RSS under 100 MB
// at 200 learners.
package main

import (
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/dockertutor/dockertutor/lessons"
)

type options struct {
	sizes      []int
	duration   time.Duration
	interval   time.Duration
	burstEvery time.Duration
	dashboards int
	seed       uint64
	// cpuProfile, when set, serves in this process and writes a CPU
	// profile per size to cpuProfile.N.
	cpuProfile string
}

func main() {
	sizes := flag.String("learners", "50,100,200", "class sizes to run, one after the other")
	duration := flag.Duration("duration", 60*time.Second, "time under load per class size")
	interval := flag.Duration("interval", 3*time.Second, "mean time between two actions of a learner")
	burstEvery := flag.Duration("burst-every", 20*time.Second, "time between two lesson starts (0: none)")
	dashboards := flag.Int("dashboards", 2, "dashboards on the live stream: the first reads the Room JSON and is timed, the others the page's HTML as a browser does")
	bin := flag.String("bin", "", "the dockertutor binary to serve with (default: build ./cmd/dockertutor)")
	keep := flag.Bool("keep", false, "keep the temporary folder (databases, the servers' homes)")
	seed := flag.Uint64("seed", 1, "seed of the learners' choices")
	cpuProfile := flag.String("cpuprofile", "", "serve in this process (not the real binary) and write a CPU profile per size to FILE.N; memory and CPU figures then include the load generator")
	flag.Parse()
	o := options{duration: *duration, interval: *interval, burstEvery: *burstEvery, dashboards: max(1, *dashboards), seed: *seed, cpuProfile: *cpuProfile}
	var err error
	if o.sizes, err = parseSizes(*sizes); err == nil {
		err = run(o, *bin, *keep)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "class bench:", err)
		os.Exit(1)
	}
}

func run(o options, bin string, keep bool) error {
	course, ps := lessons.Builtin()
	if len(ps) > 0 {
		return fmt.Errorf("the built-in course: %s", ps.Error())
	}
	tmp, err := os.MkdirTemp("", "classbench")
	if err != nil {
		return err
	}
	if keep {
		fmt.Println("keeping", tmp)
	} else {
		defer os.RemoveAll(tmp)
	}
	if bin == "" && o.cpuProfile == "" {
		bin = filepath.Join(tmp, "dockertutor")
		if out, err := exec.Command("go", "build", "-o", bin, "./cmd/dockertutor").CombinedOutput(); err != nil {
			return fmt.Errorf("build: %v\n%s", err, out)
		}
	}
	fmt.Printf("%d CPUs, load average %s at the start; %s per size, an action every %s (±50%%), a lesson start every %s, %d dashboard(s)\n",
		runtime.NumCPU(), loadavg(), o.duration, o.interval, o.burstEvery, o.dashboards)
	if !ownAddresses() {
		fmt.Println("every learner posts from 127.0.0.1 (this system has no other loopback address): joins wait out the server's limit per address")
	}
	var results []result
	for _, n := range o.sizes {
		dir := filepath.Join(tmp, fmt.Sprint(n))
		res, err := runSize(bin, dir, n, course, o)
		if err != nil {
			return fmt.Errorf("%d learners: %w", n, err)
		}
		if o.cpuProfile != "" {
			fmt.Printf("\n(in-process server: its RSS and CPU below include the learners' and the dashboards'; profile in %s.%d)", o.cpuProfile, n)
		}
		res.print()
		results = append(results, res)
	}
	fmt.Printf("\nload average %s at the end\n\n", loadavg())
	table(results, o)
	return nil
}

func loadavg() string {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(data))
	return strings.Join(f[:min(3, len(f))], " ")
}

type result struct {
	learners   int
	window     time.Duration
	joinTook   time.Duration
	generated  int64 // events made during the window
	accepted   int64 // events acked during the window
	posted     int64 // events posted during the window, resends included
	heartbeats int64
	checks     int64
	requests   map[int]int
	refused    map[int]int
	problem    string
	lat        []time.Duration
	burstLat   []time.Duration
	posts      []time.Duration
	clientCPU  time.Duration
	verdicts   int
	unseen     int
	idleKiB    int64
	peakKiB    int64
	endKiB     int64
	cpu        time.Duration
	dbBytes    int64
	pushes     int
	pushBytes  int64
	htmlPushes int
	htmlBytes  int64
	htmlWire   int64 // the page's stream as it came, gzip-compressed
	watchErr   error
}

// runSize runs one class size on a fresh server.
func runSize(bin, dir string, n int, course *lessons.Course, o options) (result, error) {
	res := result{learners: n}
	var srv *classServer
	var err error
	if o.cpuProfile != "" {
		srv, err = startInProcess(dir, course, fmt.Sprintf("%s.%d", o.cpuProfile, n))
	} else {
		srv, err = startServer(bin, dir)
	}
	if err != nil {
		return res, err
	}
	defer srv.stop()
	_, res.idleKiB = srv.memory()

	ids := make([]string, n)
	for i := range n {
		ids[i] = learnerID(i)
	}
	p, c, tr := newPlan(course), newCounters(), newTracker(ids)
	learners := make([]*learner, n)
	for i := range n {
		learners[i] = newLearner(i, srv.base, p, c, tr, o.seed)
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	watchers := make([]*watcher, o.dashboards)
	for i := range watchers {
		watchers[i] = &watcher{html: i > 0}
		ready := make(chan struct{})
		var t *tracker
		if i == 0 {
			t = tr
		}
		go watchers[i].watch(ctx, srv.base, srv.token, t, ready)
		select {
		case <-ready:
		case <-time.After(10 * time.Second):
			return res, fmt.Errorf("dashboard %d: no room pushed in 10 s (%v)", i+1, watchers[i].failure())
		}
	}

	// Everyone joins at once, as a room does when the instructor shows
	// the join command.
	start := time.Now()
	errs := make(chan error, n)
	var wg sync.WaitGroup
	for _, l := range learners {
		wg.Go(func() { errs <- l.join(ctx, srv.code) })
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			return res, err
		}
	}
	res.joinTook = time.Since(start)

	genDone := make(chan struct{})
	hardStop := time.Now().Add(o.duration + 20*time.Second)
	var senders sync.WaitGroup
	for _, l := range learners {
		senders.Go(func() { l.send(genDone, hardStop) })
	}
	// The readiness reports go out before the window opens.
	for time.Now().Before(hardStop) && c.accepted.Load() < int64(n) {
		time.Sleep(20 * time.Millisecond)
	}

	type snap struct{ generated, accepted, posted, heartbeats, checks int64 }
	read := func() snap {
		return snap{c.generated.Load(), c.accepted.Load(), c.posted.Load(), c.heartbeats.Load(), c.checks.Load()}
	}
	c.mu.Lock()
	clear(c.requests)
	clear(c.refused)
	c.posts = nil
	c.mu.Unlock()
	before, cpu0, self0 := read(), srv.cpu(), selfCPU()
	windowStart := time.Now()
	stopGen := make(chan struct{})
	var gens sync.WaitGroup
	for _, l := range learners {
		gens.Go(func() { l.live(stopGen, o.interval) })
	}
	var timers []*time.Timer
	rng := rand.New(rand.NewPCG(o.seed, 0))
	for k := 0; o.burstEvery > 0 && time.Duration(k)*o.burstEvery < o.duration; k++ {
		for _, l := range learners {
			// Within ~1 s: the step opens in the first 600 ms, its check
			// follows 100-400 ms later.
			at := time.Duration(k)*o.burstEvery + time.Duration(rng.IntN(600))*time.Millisecond
			timers = append(timers, time.AfterFunc(at, func() {
				select {
				case l.burst <- k:
				default:
				}
			}))
		}
	}
	time.Sleep(o.duration)
	for _, t := range timers {
		t.Stop()
	}
	close(stopGen)
	gens.Wait()
	res.window = time.Since(windowStart)
	after, cpu1, self1 := read(), srv.cpu(), selfCPU()
	res.clientCPU = self1 - self0
	close(genDone)
	senders.Wait()
	// The last verdicts' pushes: at most a coalescing period away.
	for deadline := time.Now().Add(5 * time.Second); tr.unseen() > 0 && time.Now().Before(deadline); {
		time.Sleep(20 * time.Millisecond)
	}

	res.generated, res.accepted, res.posted = after.generated-before.generated, after.accepted-before.accepted, after.posted-before.posted
	res.heartbeats, res.checks = after.heartbeats-before.heartbeats, after.checks-before.checks
	res.cpu = cpu1 - cpu0
	c.mu.Lock()
	res.requests, res.refused, res.problem, res.posts = maps(c.requests), maps(c.refused), c.problem, slices.Clone(c.posts)
	c.mu.Unlock()
	res.lat, res.burstLat, res.verdicts = tr.results()
	res.unseen = tr.unseen()
	res.peakKiB, res.endKiB = srv.memory()
	res.pushes, res.pushBytes, _ = watchers[0].counts()
	if len(watchers) > 1 {
		res.htmlPushes, res.htmlBytes, res.htmlWire = watchers[1].counts()
	}
	res.watchErr = watchers[0].failure()
	cancel()
	if err := srv.stop(); err != nil {
		return res, err
	}
	res.dbBytes = srv.dbBytes()
	if len(res.lat) == 0 {
		return res, fmt.Errorf("no verdict reached the dashboard (does the binary's room carry each learner's seq?); server said:\n%s", srv.stderr.String())
	}
	if s := srv.stderr.String(); s != "" {
		fmt.Fprintf(os.Stderr, "the server at %d learners said:\n%s", n, s)
	}
	return res, nil
}

// selfCPU is the CPU time this process (learners and dashboards) used.
func selfCPU() time.Duration {
	var u syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &u) != nil {
		return 0
	}
	return time.Duration(u.Utime.Nano() + u.Stime.Nano())
}

func maps(m map[int]int) map[int]int {
	out := make(map[int]int, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

func (r result) acceptedPerSecond() float64 { return float64(r.accepted) / r.window.Seconds() }

// perLearnerHour is the database's size over the learner-hours simulated.
func (r result) perLearnerHour() float64 {
	return float64(r.dbBytes) / (float64(r.learners) * r.window.Hours())
}

func (r result) print() {
	fmt.Printf("\n%d learners: joined in %s; %s under load\n", r.learners, r.joinTook.Round(time.Millisecond), r.window.Round(time.Millisecond))
	fmt.Printf("  events: %d made, %d posted (resends included), %d accepted (%.1f/s), %d empty batches\n",
		r.generated, r.posted, r.accepted, r.acceptedPerSecond(), r.heartbeats)
	fmt.Printf("  requests by status: %s; events refused by status: %s\n", codes(r.requests), codes(r.refused))
	if len(r.posts) > 0 {
		fmt.Printf("  POST /api/v1/events round trip (its answer comes after the commit): p50 %s, p95 %s, p99 %s, max %s\n",
			ms(percentile(r.posts, 50)), ms(percentile(r.posts, 95)), ms(percentile(r.posts, 99)), ms(slices.Max(r.posts)))
	}
	if r.problem != "" {
		fmt.Printf("  first problem: %s\n", r.problem)
	}
	fmt.Printf("  verdicts: %d made (%.1f checks each), %d timed to the dashboard, %d never shown\n",
		r.verdicts, float64(r.checks)/float64(max(1, r.verdicts)), len(r.lat), r.unseen)
	fmt.Printf("  verdict -> dashboard push: p50 %s, p95 %s, p99 %s, max %s\n",
		ms(percentile(r.lat, 50)), ms(percentile(r.lat, 95)), ms(percentile(r.lat, 99)), ms(slices.Max(r.lat)))
	if len(r.burstLat) > 0 {
		fmt.Printf("  of which lesson starts: %d verdicts, p50 %s, p95 %s, p99 %s, max %s\n", len(r.burstLat),
			ms(percentile(r.burstLat, 50)), ms(percentile(r.burstLat, 95)), ms(percentile(r.burstLat, 99)), ms(slices.Max(r.burstLat)))
	}
	fmt.Printf("  server: RSS %.1f MiB after start, peak %.1f MiB, %.1f MiB at the end; CPU %.1f s (%.0f%% of one core)\n",
		mib(r.idleKiB), mib(r.peakKiB), mib(r.endKiB), r.cpu.Seconds(), 100*r.cpu.Seconds()/r.window.Seconds())
	fmt.Printf("  this load generator and dashboard, on the same CPUs: CPU %.1f s\n", r.clientCPU.Seconds())
	fmt.Printf("  database at the end: %.2f MB, %.1f MB per learner-hour\n", float64(r.dbBytes)/1e6, r.perLearnerHour()/1e6)
	fmt.Printf("  dashboard: %d pushes (%.1f/s), %.1f KB each as JSON", r.pushes, float64(r.pushes)/r.window.Seconds(), float64(r.pushBytes)/float64(max(1, r.pushes))/1e3)
	if r.htmlPushes > 0 {
		fmt.Printf(", %.1f KB as the page's HTML, %.1f KB of it on the wire (gzip)", float64(r.htmlBytes)/float64(r.htmlPushes)/1e3, float64(r.htmlWire)/float64(r.htmlPushes)/1e3)
	}
	fmt.Println()
	if r.watchErr != nil {
		fmt.Printf("  the live stream ended early: %v\n", r.watchErr)
	}
}

func codes(m map[int]int) string {
	if len(m) == 0 {
		return "none"
	}
	keys := make([]int, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var parts []string
	for _, k := range keys {
		name := fmt.Sprint(k)
		switch k {
		case 0:
			name = "no answer"
		case -1:
			name = "outbox behind"
		}
		parts = append(parts, fmt.Sprintf("%s: %d", name, m[k]))
	}
	return strings.Join(parts, ", ")
}

// table prints the sizes side by side, as Markdown, and the goals.
func table(rs []result, o options) {
	fmt.Println("| learners | time under load | events sent / accepted / refused | accepted/s | verdict → push p50 / p95 / p99 / max | server RSS peak / end | server CPU | database at end (per learner-hour) | push size JSON / HTML / HTML on the wire |")
	fmt.Println("|---:|---:|---:|---:|---|---|---:|---:|---:|")
	for _, r := range rs {
		refused := 0
		for _, v := range r.refused {
			refused += v
		}
		fmt.Printf("| %d | %.0f s | %d / %d / %d | %.1f | %s / %s / %s / %s | %.1f / %.1f MiB | %.0f%% | %.2f MB (%.1f MB) | %.0f / %.0f / %.1f KB |\n",
			r.learners, r.window.Seconds(), r.posted, r.accepted, refused, r.acceptedPerSecond(),
			ms(percentile(r.lat, 50)), ms(percentile(r.lat, 95)), ms(percentile(r.lat, 99)), ms(slices.Max(r.lat)),
			mib(r.peakKiB), mib(r.endKiB), 100*r.cpu.Seconds()/r.window.Seconds(), float64(r.dbBytes)/1e6, r.perLearnerHour()/1e6,
			float64(r.pushBytes)/float64(max(1, r.pushes))/1e3, float64(r.htmlBytes)/float64(max(1, r.htmlPushes))/1e3,
			float64(r.htmlWire)/float64(max(1, r.htmlPushes))/1e3)
	}
	for _, r := range rs {
		if r.learners != 200 {
			continue
		}
		p95 := percentile(r.lat, 95)
		rss := float64(r.peakKiB) * 1024
		fmt.Printf("\ngoals at 200 learners: p95 %s < 1 s: %s; peak RSS %.1f MB < 100 MB: %s\n",
			ms(p95), holds(p95 < time.Second), rss/1e6, holds(rss < 100e6))
	}
}

func holds(ok bool) string {
	if ok {
		return "holds"
	}
	return "DOES NOT HOLD"
}
