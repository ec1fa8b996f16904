package main

import (
	"slices"
	"testing"
	"time"
)

func TestPercentile(t *testing.T) {
	var xs []time.Duration
	for i := 100; i >= 1; i-- { // unsorted on purpose
		xs = append(xs, time.Duration(i)*time.Millisecond)
	}
	for _, c := range []struct {
		p    float64
		want time.Duration
	}{{50, 50 * time.Millisecond}, {95, 95 * time.Millisecond}, {99, 99 * time.Millisecond}, {100, 100 * time.Millisecond}, {0.1, time.Millisecond}} {
		if got := percentile(xs, c.p); got != c.want {
			t.Errorf("p%v of 1..100 ms: %v, want %v", c.p, got, c.want)
		}
	}
	if xs[0] != 100*time.Millisecond {
		t.Error("percentile sorted its argument")
	}
	three := []time.Duration{3, 1, 2}
	if got := percentile(three, 50); got != 2 {
		t.Errorf("p50 of 1,2,3: %v", got)
	}
	if got := percentile(three, 95); got != 3 {
		t.Errorf("p95 of 1,2,3: %v", got)
	}
	if got := percentile(nil, 50); got != 0 {
		t.Errorf("p50 of nothing: %v", got)
	}
}

func TestParseSizes(t *testing.T) {
	got, err := parseSizes(" 50,100, 200 ")
	if err != nil || !slices.Equal(got, []int{50, 100, 200}) {
		t.Errorf("parseSizes: %v, %v", got, err)
	}
	for _, bad := range []string{"", "0", "50,x", "-3"} {
		if _, err := parseSizes(bad); err == nil {
			t.Errorf("parseSizes(%q) took it", bad)
		}
	}
}

func TestProc(t *testing.T) {
	rss, hwm := procStatus("Name:\tdockertutor\nVmHWM:\t   41236 kB\nVmRSS:\t   39012 kB\nThreads:\t9\n")
	if rss != 39012 || hwm != 41236 {
		t.Errorf("procStatus: rss %d, hwm %d", rss, hwm)
	}
	ticks, err := procCPUTicks("4242 (a (b) c) S 1 4242 4242 0 -1 4194560 1234 0 0 0 150 37 0 0 20 0 9 0 100 0 0")
	if err != nil || ticks != 187 {
		t.Errorf("procCPUTicks: %d, %v", ticks, err)
	}
}

func TestJoinURL(t *testing.T) {
	out := "Class \"x\" (course c), code K7QX2M\n\nLearners join with:\n  dockertutor class join http://127.0.0.1:41234/join/K7QX2M --name \"Your name\"\n"
	base, code, err := parseJoin(out)
	if err != nil || base != "http://127.0.0.1:41234" || code != "K7QX2M" {
		t.Errorf("parseJoin: %q, %q, %v", base, code, err)
	}
	if _, _, err := parseJoin("nothing here"); err == nil {
		t.Error("parseJoin took output without a join command")
	}
}
