// Command tuilatency measures the tutor as a learner feels it, in a real
// terminal (tmux): the time from start to the first full frame, the time
// from a `docker build` in another terminal finishing to the verdict on
// screen, and the memory of the idle tutor. It prints medians.
//
//	go run ./bench/tuilatency [-runs 11]
//
// It needs tmux, the docker CLI and a daemon with the alpine:3.22 image
// (go run ./exercises/dockertest/standins makes a stand-in).
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/dockertutor/dockertutor/exercises/dockertest"
)

func main() {
	runs := flag.Int("runs", 11, "measurements of each kind")
	flag.Parse()
	if err := run(*runs); err != nil {
		fmt.Fprintln(os.Stderr, "tuilatency:", err)
		os.Exit(1)
	}
}

type term struct{ name string }

func (t term) screen() string {
	out, _ := exec.Command("tmux", "capture-pane", "-t", t.name, "-p").Output()
	return string(out)
}

func (t term) keys(k ...string) {
	exec.Command("tmux", append([]string{"send-keys", "-t", t.name}, k...)...).Run()
}

// waitFor polls every 5 ms; the figures are therefore within 5 ms.
// waitFor waits until every wanted text is on the screen at once.
func (t term) waitFor(want string, timeout time.Duration, more ...string) (time.Duration, error) {
	start := time.Now()
	all := append([]string{want}, more...)
	for time.Since(start) < timeout {
		screen := t.screen()
		if !slices.ContainsFunc(all, func(w string) bool { return !strings.Contains(screen, w) }) {
			return time.Since(start), nil
		}
		time.Sleep(5 * time.Millisecond)
	}
	return 0, fmt.Errorf("not all of %q on screen after %s:\n%s", all, timeout, t.screen())
}

func (t term) kill() { exec.Command("tmux", "kill-session", "-t", t.name).Run() }

func run(runs int) error {
	tmp, err := os.MkdirTemp("", "tuilatency")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	bin := filepath.Join(tmp, "dockertutor")
	if out, err := exec.Command("go", "build", "-o", bin, "./cmd/dockertutor").CombinedOutput(); err != nil {
		return fmt.Errorf("build: %v\n%s", err, out)
	}
	course := filepath.Join(tmp, "course")
	if err := dockertest.CopyCourse("lessons/course", course, "latency-course", "dtlat"); err != nil {
		return err
	}
	ws, state := filepath.Join(tmp, "ws"), filepath.Join(tmp, "state")
	start := func(name string) (term, time.Time, error) {
		t := term{name}
		cmd := fmt.Sprintf("XDG_STATE_HOME=%s %s --course %s --workspace %s", state, bin, course, ws)
		began := time.Now()
		err := exec.Command("tmux", "new-session", "-d", "-s", name, "-x", "120", "-y", "40", cmd).Run()
		return t, began, err
	}

	// 1. Start to the first full frame (the welcome page, rendered, with
	// the help line: the loading screen shows the help line alone),
	// beside the same measure of a program that prints at once, so that
	// tmux's own start is told apart.
	var frames, baseline []time.Duration
	for i := 0; i < runs; i++ {
		b := term{fmt.Sprintf("tuilat-base-%d", i)}
		began := time.Now()
		if err := exec.Command("tmux", "new-session", "-d", "-s", b.name, "-x", "120", "-y", "40", "printf 'q quit'; sleep 5").Run(); err != nil {
			return err
		}
		if _, err := b.waitFor("q quit", 10*time.Second); err != nil {
			return err
		}
		baseline = append(baseline, time.Since(began))
		b.kill()

		t, began, err := start(fmt.Sprintf("tuilat-start-%d", i))
		if err != nil {
			return err
		}
		if _, err := t.waitFor("q quit", 10*time.Second, "Welcome to"); err != nil {
			t.kill()
			return err
		}
		frames = append(frames, time.Since(began))
		t.keys("q")
		time.Sleep(200 * time.Millisecond)
		t.kill()
	}

	// 2. An outside build to the verdict on screen, alternating a fixed
	// and a leaky Dockerfile so that every build changes the verdict.
	t, _, err := start("tuilat-verdict")
	if err != nil {
		return err
	}
	defer t.kill()
	t.waitFor("q quit", 10*time.Second)
	t.keys("/")
	t.keys("-l", "multi-stage-fix")
	t.keys("Enter")
	if _, err := t.waitFor("watching", 10*time.Second); err != nil {
		return err
	}
	secret, err := readSecret(state)
	if err != nil {
		return err
	}
	dir := filepath.Join(ws, "latency-course", "build-secrets", "multi-stage-fix")
	fixed, _ := os.ReadFile(filepath.Join(course, "build-secrets", "multi-stage-fix", "solution", "Dockerfile"))
	leaky, _ := os.ReadFile(filepath.Join(course, "build-secrets", "multi-stage-fix", "starter", "Dockerfile"))
	var verdicts []time.Duration
	var leftovers []string
	defer func() {
		for i := len(leftovers) - 1; i >= 0; i-- {
			// Only untagged ones: the FROM steps name the base image.
			tags, err := exec.Command("docker", "image", "inspect", "--format", "{{len .RepoTags}}", leftovers[i]).Output()
			if err == nil && strings.TrimSpace(string(tags)) == "0" {
				exec.Command("docker", "rmi", leftovers[i]).Run()
			}
		}
	}()
	for i := 0; i < 2*runs; i++ {
		file, want := fixed, "─ passed ─"
		if i%2 == 1 {
			file, want = leaky, "─ not yet ─"
		}
		if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), file, 0o644); err != nil {
			return err
		}
		time.Sleep(600 * time.Millisecond) // let the re-check on the file change settle
		build := exec.Command("docker", "build", "--build-arg", "BUILD_REPO_SECRET="+secret, "-t", "dtlat/multistage", dir)
		out, err := build.CombinedOutput()
		if err != nil {
			return fmt.Errorf("docker build: %v\n%s", err, out)
		}
		// The classic builder leaves the build stage untagged, holding
		// the build arg: this bench is the learner, it removes them.
		leftovers = append(leftovers, dockertest.BuiltImages(string(out))...)
		d, err := t.waitFor(want, 30*time.Second)
		if err != nil {
			return err
		}
		verdicts = append(verdicts, d)
	}

	// 3. Memory of the idle tutor, after it settled.
	time.Sleep(3 * time.Second)
	pidOut, _ := exec.Command("tmux", "list-panes", "-t", "tuilat-verdict", "-F", "#{pane_pid}").Output()
	rss := "unknown"
	if pid := strings.TrimSpace(string(pidOut)); pid != "" {
		if out, err := exec.Command("sh", "-c", "ps -o rss= -p $(pgrep -P "+pid+" dockertutor || echo "+pid+")").Output(); err == nil {
			rss = strings.TrimSpace(string(out)) + " KiB"
		}
	}
	t.keys("q")

	fmt.Printf("start to first full frame (120x40, process start included): median %s, min %s, max %s over %d runs\n", median(frames), minD(frames), maxD(frames), len(frames))
	fmt.Printf("the same for printf in tmux (the baseline): median %s; the tutor's own share: median %s\n", median(baseline), median(diffs(frames, baseline)))
	fmt.Printf("outside docker build finished to verdict on screen: median %s, min %s, max %s over %d builds\n", median(verdicts), minD(verdicts), maxD(verdicts), len(verdicts))
	fmt.Printf("idle tutor resident memory: %s\n", rss)
	exec.Command(bin, "--course", course, "--workspace", ws, "reset", "--all").Run()
	exec.Command("docker", "rmi", "-f", "dtlat/multistage").Run()
	return nil
}

func diffs(a, b []time.Duration) []time.Duration {
	out := make([]time.Duration, len(a))
	for i := range a {
		out[i] = a[i] - b[i]
	}
	return out
}

func median(d []time.Duration) time.Duration {
	s := append([]time.Duration(nil), d...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[len(s)/2].Round(time.Millisecond)
}

func minD(d []time.Duration) time.Duration {
	m := d[0]
	for _, x := range d {
		m = min(m, x)
	}
	return m.Round(time.Millisecond)
}

func maxD(d []time.Duration) time.Duration {
	m := d[0]
	for _, x := range d {
		m = max(m, x)
	}
	return m.Round(time.Millisecond)
}

func readSecret(state string) (string, error) {
	data, err := os.ReadFile(filepath.Join(state, "dockertutor", "progress-latency-course.json"))
	if err != nil {
		return "", err
	}
	var p struct{ Secret string }
	return p.Secret, json.Unmarshal(data, &p)
}
