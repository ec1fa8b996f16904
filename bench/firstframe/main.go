// Command firstframe measures how long the tutor takes from exec to its
// first full frame on a 120x40 pseudo-terminal, beside a bare Bubble Tea
// program drawing a static screen the same way (bench/firstframe/bare),
// in the same run, alternating the two.
//
// A full frame is the resumed step as a learner sees it: the help line,
// the course's progress in the status line and the step's rendered text
// (a phrase from its body), all on the terminal. No tmux is involved, so
// the figures are the programs' own; `go run ./bench/tuilatency` measures
// the same inside tmux, start of tmux included.
//
//	go run ./bench/firstframe -runs 21
package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/charmbracelet/x/ansi"
	"github.com/creack/pty"
)

// The step the tutor resumes at, and a phrase of its text that shows only
// once glamour's rendering is on screen.
const (
	resumeStep = "multi-stage-fix"
	textMarker = "last stage"
)

func main() {
	runs := flag.Int("runs", 15, "runs of each program")
	other := flag.String("compare", "", "another dockertutor binary to measure in the same run (an older build, say)")
	flag.Parse()
	if err := run(*runs, *other); err != nil {
		fmt.Fprintln(os.Stderr, "firstframe:", err)
		os.Exit(1)
	}
}

func run(runs int, other string) error {
	tmp, err := os.MkdirTemp("", "firstframe")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	tutorBin, bareBin := filepath.Join(tmp, "dockertutor"), filepath.Join(tmp, "bare")
	for bin, pkg := range map[string]string{tutorBin: "./cmd/dockertutor", bareBin: "./bench/firstframe/bare"} {
		if out, err := exec.Command("go", "build", "-o", bin, pkg).CombinedOutput(); err != nil {
			return fmt.Errorf("build %s: %v\n%s", pkg, err, out)
		}
	}
	ws := filepath.Join(tmp, "ws")
	env := append(cleanEnv(), "XDG_STATE_HOME="+filepath.Join(tmp, "state"), "TERM=xterm-256color")
	// Make the step current, as a learner who left off there.
	show := exec.Command(tutorBin, "--workspace", ws, "show", resumeStep)
	show.Env = env
	if out, err := show.CombinedOutput(); err != nil {
		return fmt.Errorf("dockertutor show: %v\n%s", err, out)
	}

	var tutor, bare, others, tutorCPU, bareCPU, othersCPU []time.Duration
	for i := 0; i < runs; i++ {
		d, c, err := firstFrame(exec.Command(bareBin), env, "q quit", "passed", textMarker)
		if err != nil {
			return fmt.Errorf("bare: %w", err)
		}
		bare, bareCPU = append(bare, d), append(bareCPU, c)
		d, c, err = firstFrame(exec.Command(tutorBin, "--workspace", ws), env, "q quit", "passed", textMarker)
		if err != nil {
			return fmt.Errorf("dockertutor: %w", err)
		}
		tutor, tutorCPU = append(tutor, d), append(tutorCPU, c)
		if other != "" {
			d, c, err = firstFrame(exec.Command(other, "--workspace", ws), env, "q quit", "passed", textMarker)
			if err != nil {
				return fmt.Errorf("%s: %w", other, err)
			}
			others, othersCPU = append(others, d), append(othersCPU, c)
		}
	}
	mt, mb := median(tutor), median(bare)
	fmt.Printf("exec to first full frame at 120x40 on a pty, median of %d runs each:\n", runs)
	line := func(name string, ds, cpu []time.Duration) {
		fmt.Printf("  %-28s %6.1f ms (min %.1f, max %.1f); processor time by then %.1f ms\n", name, ms(median(ds)), ms(slices.Min(ds)), ms(slices.Max(ds)), ms(median(cpu)))
	}
	line("dockertutor (resumed step):", tutor, tutorCPU)
	if other != "" {
		line(filepath.Base(other)+":", others, othersCPU)
	}
	line("bare Bubble Tea program:", bare, bareCPU)
	fmt.Printf("  dockertutor / bare: %.2f; the tutor's own work: %.1f ms\n", float64(mt)/float64(mb), ms(mt-mb))
	if other != "" {
		fmt.Printf("  dockertutor / %s: %.2f\n", filepath.Base(other), float64(mt)/float64(median(others)))
	}
	return nil
}

// cleanEnv is the environment without the terminal multiplexer's marks, so
// that neither program asks tmux about its colours.
func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch k {
		case "TMUX", "TMUX_PANE", "TERM", "COLORTERM", "NO_COLOR", "STY":
			continue
		}
		env = append(env, kv)
	}
	return env
}

// firstFrame starts cmd on a 120x40 pty and returns the time until every
// marker has appeared in its output (escape sequences stripped), then
// quits it with q.
func firstFrame(cmd *exec.Cmd, env []string, markers ...string) (wall, cpu time.Duration, err error) {
	cmd.Env = env
	began := time.Now()
	f, err := pty.StartWithSize(cmd, &pty.Winsize{Rows: 40, Cols: 120})
	if err != nil {
		return 0, 0, err
	}
	defer f.Close()
	var (
		mu   sync.Mutex
		out  bytes.Buffer
		seen = make(chan [2]time.Duration, 1)
	)
	go func() {
		buf := make([]byte, 64<<10)
		for {
			n, err := f.Read(buf)
			if n > 0 {
				at := time.Since(began)
				mu.Lock()
				out.Write(buf[:n])
				text := ansi.Strip(out.String())
				mu.Unlock()
				if containsAll(text, markers) {
					select {
					case seen <- [2]time.Duration{at, cpuTime(cmd.Process.Pid)}:
					default:
					}
				}
			}
			if err != nil {
				return
			}
		}
	}()
	var d [2]time.Duration
	select {
	case d = <-seen:
	case <-time.After(10 * time.Second):
		cmd.Process.Kill()
		cmd.Wait()
		mu.Lock()
		defer mu.Unlock()
		return 0, 0, fmt.Errorf("no full frame within 10 s; the screen held:\n%s", ansi.Strip(out.String()))
	}
	io.WriteString(f, "q")
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		var exit *exec.ExitError
		if err != nil && !errors.As(err, &exit) {
			return 0, 0, err
		}
	case <-time.After(5 * time.Second):
		cmd.Process.Kill()
		<-done
		return 0, 0, errors.New("did not quit on q within 5 s")
	}
	return d[0], d[1], nil
}

// cpuTime is the processor time a process's threads have used so far,
// from the scheduler's own nanosecond account (/proc/PID/task/*/schedstat):
// unlike wall time, it hardly moves with what else the machine runs.
func cpuTime(pid int) time.Duration {
	tasks, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/schedstat", pid))
	var total time.Duration
	for _, t := range tasks {
		b, err := os.ReadFile(t)
		if err != nil {
			continue
		}
		var ns int64
		if _, err := fmt.Sscan(string(b), &ns); err == nil {
			total += time.Duration(ns)
		}
	}
	return total
}

func containsAll(s string, subs []string) bool {
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			return false
		}
	}
	return true
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
