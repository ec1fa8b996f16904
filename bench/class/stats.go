package main

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// parseSizes reads the -learners list: "50,100,200".
func parseSizes(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		n, err := strconv.Atoi(f)
		if err != nil || n < 1 {
			return nil, fmt.Errorf("-learners %q: want a list of counts such as 50,100,200", s)
		}
		out = append(out, n)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("-learners %q: no count", s)
	}
	return out, nil
}

// percentile is the nearest-rank percentile (0 < p <= 100) of xs: the
// smallest value with at least p% of the values at or below it, so p99
// of 100 values is the 99th, never an interpolation between two.
func percentile(xs []time.Duration, p float64) time.Duration {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	rank := int(float64(len(s))*p/100 + 0.999999999)
	return s[min(max(rank, 1), len(s))-1]
}

// procStatus reads VmRSS and VmHWM (KiB) from a /proc/PID/status.
func procStatus(text string) (rss, hwm int64) {
	for _, line := range strings.Split(text, "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		f := strings.Fields(v)
		if len(f) == 0 {
			continue
		}
		n, _ := strconv.ParseInt(f[0], 10, 64)
		switch k {
		case "VmRSS":
			rss = n
		case "VmHWM":
			hwm = n
		}
	}
	return rss, hwm
}

// procCPUTicks reads utime + stime from a /proc/PID/stat, in clock ticks.
// The command name (field 2) may hold spaces and parentheses, so the
// fields are counted from the last ')'.
func procCPUTicks(text string) (int64, error) {
	i := strings.LastIndexByte(text, ')')
	if i < 0 {
		return 0, fmt.Errorf("not a stat line: %q", text)
	}
	f := strings.Fields(text[i+1:])
	if len(f) < 13 {
		return 0, fmt.Errorf("short stat line: %q", text)
	}
	// f[0] is field 3 (state); utime and stime are fields 14 and 15.
	u, err1 := strconv.ParseInt(f[11], 10, 64)
	s, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("stat line: utime %q, stime %q", f[11], f[12])
	}
	return u + s, nil
}

// ms words a latency for the table.
func ms(d time.Duration) string {
	return strconv.FormatFloat(float64(d)/float64(time.Millisecond), 'f', 0, 64) + " ms"
}

func mib(kib int64) float64 { return float64(kib) / 1024 }
