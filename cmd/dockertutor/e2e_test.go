package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dockertutor/dockertutor/exercises/dockertest"
)

// tmuxSession drives the real binary in a real terminal.
type tmuxSession struct {
	t    *testing.T
	name string
}

func (s *tmuxSession) screen() string {
	out, err := exec.Command("tmux", "capture-pane", "-t", s.name, "-p").Output()
	if err != nil {
		return ""
	}
	return string(out)
}

func (s *tmuxSession) keys(keys ...string) {
	s.t.Helper()
	if out, err := exec.Command("tmux", append([]string{"send-keys", "-t", s.name}, keys...)...).CombinedOutput(); err != nil {
		s.t.Fatalf("send-keys %v: %v %s", keys, err, out)
	}
}

// waitFor polls the screen until it contains want, and returns how long
// that took.
func (s *tmuxSession) waitFor(want string, timeout time.Duration) time.Duration {
	s.t.Helper()
	start := time.Now()
	for time.Since(start) < timeout {
		if strings.Contains(s.screen(), want) {
			return time.Since(start)
		}
		time.Sleep(20 * time.Millisecond)
	}
	s.t.Fatalf("after %s the screen does not show %q:\n%s", timeout, want, s.screen())
	return 0
}

// dockerVars are the variables that choose the Docker daemon.
var dockerVars = []string{"DOCKER_HOST", "DOCKER_CONTEXT", "DOCKER_CONFIG", "DOCKER_API_VERSION", "DOCKER_CERT_PATH", "DOCKER_TLS_VERIFY"}

// tmuxDockerEnv hands this test's Docker variables to the tutor inside
// tmux: a session gets the environment of the tmux server, which may be
// older than this test and point at another daemon. It returns the
// new-session -e flags for the variables set here and a shell prefix that
// unsets the others.
func tmuxDockerEnv() (flags []string, unset string) {
	var missing []string
	for _, v := range dockerVars {
		if val, ok := os.LookupEnv(v); ok {
			flags = append(flags, "-e", v+"="+val)
		} else {
			missing = append(missing, v)
		}
	}
	if len(missing) > 0 {
		unset = "unset " + strings.Join(missing, " ") + "; "
	}
	return flags, unset
}

// TestTutorEndToEnd drives the tutor in tmux through the build-secrets fix:
// open, run the leaky build, see the check fail with evidence, put the
// multi-stage fix in place and build it from outside the tutor, and see
// the verdict turn to passed without pressing c; then quit.
func TestTutorEndToEnd(t *testing.T) {
	if _, err := exec.LookPath("tmux"); err != nil {
		if os.Getenv(dockertest.RequireEnv) == "1" {
			t.Fatal("tmux is required for the end-to-end test (apt-get install tmux)")
		}
		t.Skip("no tmux")
	}
	docker, err := exec.LookPath("docker")
	if err != nil {
		t.Skip("no docker CLI to build from outside the tutor")
	}
	cli := dockertest.Client(t)
	dockertest.StandIn(t, cli, "alpine:3.22")
	bin := filepath.Join(t.TempDir(), "dockertutor")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	// The learner's build from outside is each `docker build` learners
	// have: BuildKit through the buildx plugin, and the legacy builder.
	for _, b := range dockertest.LearnerBuilders(t) {
		t.Run(b.Name, func(t *testing.T) { tutorEndToEnd(t, bin, docker, b) })
	}
}

func tutorEndToEnd(t *testing.T, bin, docker string, b dockertest.LearnerBuilder) {
	tmp := t.TempDir()
	// A copy of the course with its own id and image names, so other tests
	// building the course's images at the same time are not disturbed.
	course := filepath.Join(tmp, "course")
	if err := dockertest.CopyCourse("../../lessons/course", course, "e2e-course", "dttest-e2e"); err != nil {
		t.Fatal(err)
	}
	ws, state := filepath.Join(tmp, "ws"), filepath.Join(tmp, "state")
	rc := filepath.Join(tmp, "rc")

	name := fmt.Sprintf("dte2e-%d-%s", os.Getpid(), b.Name)
	dockerEnv, unset := tmuxDockerEnv()
	shell := fmt.Sprintf("%sXDG_STATE_HOME=%s %s --course %s --workspace %s; echo $? > %s", unset, state, bin, course, ws, rc)
	start := time.Now()
	args := append([]string{"new-session", "-d", "-s", name, "-x", "120", "-y", "40"}, dockerEnv...)
	if out, err := exec.Command("tmux", append(args, shell)...).CombinedOutput(); err != nil {
		t.Fatalf("tmux: %v %s", err, out)
	}
	s := &tmuxSession{t: t, name: name}
	t.Cleanup(func() { exec.Command("tmux", "kill-session", "-t", name).Run() })

	s.waitFor("Welcome to", 10*time.Second)
	t.Logf("first full frame after %s (process start included)", time.Since(start).Round(time.Millisecond))

	s.keys("/")
	s.keys("-l", "multi-stage-fix")
	s.keys("Enter")
	s.waitFor("Fix it with a multi-stage build", 5*time.Second)
	s.waitFor("watching", 5*time.Second)

	s.keys("r")
	s.waitFor("Not yet", 3*time.Minute)
	s.waitFor("Dockerfile:1: stage 0 FROM alpine:3.22", 5*time.Second)
	// The leak's evidence is further down the results pane: focus it and
	// scroll until the history row that holds the secret shows.
	// Focus is shown by colour only, so try each pane in turn, and go
	// round again while a check that watch mode started late may still
	// bring new findings (which start from the top).
	const row = "docker history --no-trunc, row"
	for deadline := time.Now().Add(20 * time.Second); !strings.Contains(s.screen(), row) && time.Now().Before(deadline); {
		for i := 0; i < 3 && !strings.Contains(s.screen(), row); i++ {
			s.keys("PgDn")
			time.Sleep(150 * time.Millisecond)
		}
		if !strings.Contains(s.screen(), row) {
			s.keys("Tab")
		}
	}
	s.waitFor(row, 5*time.Second)

	dir := filepath.Join(ws, "e2e-course", "build-secrets", "multi-stage-fix")
	fix, err := os.ReadFile(filepath.Join(course, "build-secrets", "multi-stage-fix", "solution", "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), fix, 0o644); err != nil {
		t.Fatal(err)
	}
	secret, learner := readLearnerIn(t, state)
	build := exec.Command(docker, "build", "--build-arg", "BUILD_REPO_SECRET="+secret, "-t", learner+"/dttest-e2e/multistage", dir)
	build.Env = append(os.Environ(), b.Env...)
	out, err := build.CombinedOutput()
	if err != nil {
		t.Fatalf("docker build from outside: %v\n%s", err, out)
	}
	// The build stage stays behind untagged, as after any learner's
	// classic build; this test is the learner, so it cleans up.
	dockertest.RemoveBuiltOnCleanup(t, dockertest.Client(t), string(out))
	built := time.Now()
	s.waitFor("Step passed", 30*time.Second)
	t.Logf("verdict on screen %s after the outside build finished", time.Since(built).Round(time.Millisecond))
	if strings.Contains(s.screen(), secret) {
		// The command line shows the canary on purpose; the results must not.
		if strings.Contains(resultsPane(s.screen()), secret) {
			t.Fatal("the results pane shows the secret in full")
		}
	}

	s.keys("q")
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		// The shell creates the file before it writes the code in it: an
		// empty file is not an answer yet.
		if data, err := os.ReadFile(rc); err == nil && strings.TrimSpace(string(data)) != "" {
			if strings.TrimSpace(string(data)) != "0" {
				t.Fatalf("the tutor exited with %s", data)
			}
			cleanE2E(t, bin, course, ws, state)
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("q did not quit:\n%s", s.screen())
}

func resultsPane(screen string) string {
	var b strings.Builder
	for _, line := range strings.Split(screen, "\n") {
		if i := strings.Index(line, "╮╭"); i > 0 {
			b.WriteString(line[:i])
		}
	}
	return b.String()
}

func cleanE2E(t *testing.T, bin, course, ws, state string) {
	cmd := exec.Command(bin, "--course", course, "--workspace", ws, "reset", "--all")
	cmd.Env = append(os.Environ(), "XDG_STATE_HOME="+state)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Logf("reset --all: %v\n%s", err, out)
	}
}

// readLearnerIn reads the learner's canary and id from their progress:
// what the text shows them, for the commands they type.
func readLearnerIn(t *testing.T, state string) (secret, learner string) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(state, "dockertutor", "progress-e2e-course.json"))
	if err != nil {
		t.Fatal(err)
	}
	var p struct{ Secret, Learner string }
	if err := json.Unmarshal(data, &p); err != nil || p.Secret == "" || p.Learner == "" {
		t.Fatalf("no secret or learner id: %v", err)
	}
	return p.Secret, p.Learner
}
