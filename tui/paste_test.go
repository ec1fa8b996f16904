package tui

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"
	"github.com/moby/moby/client"

	"github.com/dockertutor/dockertutor/exercises/dockertest"
	"github.com/dockertutor/dockertutor/exercises/tutor"
	"github.com/dockertutor/dockertutor/lessons"
)

// TestBuildSecretsCommandsPasteAndRun reads each step of the build-secrets
// lesson as the full screen shows it at 80 columns, takes every line of
// its shell code blocks from the rendered text (so a command the renderer
// wrapped or changed fails here), pastes each block into bash in the step
// folder the tutor laid out, with this learner's values, and checks that
// no command fails, against the real daemon and in a private namespace.
// A step's action runs first (r), as the text asks before looking at what
// it built. A block with a placeholder for the learner to fill in
// (<IMAGE ID>) cannot be pasted as it is and is left out.
func TestBuildSecretsCommandsPasteAndRun(t *testing.T) {
	cli := dockertest.Client(t)
	if _, err := exec.LookPath("docker"); err != nil {
		if os.Getenv("DOCKERTUTOR_REQUIRE_DOCKER") == "1" {
			t.Fatal("no docker CLI to paste the commands into")
		}
		t.Skip("no docker CLI to paste the commands into")
	}
	course := dockertest.BuiltinCourse(t, cli)
	sess, err := tutor.Open(tutor.Options{Course: course, WorkspaceRoot: t.TempDir(), StateDir: t.TempDir(), Namespace: dockertest.Namespace(t)})
	if err != nil {
		t.Fatal(err)
	}
	var lesson *lessons.Lesson
	for _, l := range course.Lessons {
		if l.ID == "build-secrets" {
			lesson = l
		}
	}
	if lesson == nil {
		t.Fatal("the course has no build-secrets lesson")
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		removals, err := sess.CleanDocker(ctx, lesson.Steps, false)
		if err != nil {
			t.Errorf("cleaning up: %v", err)
		}
		for _, r := range removals {
			if r.Err != "" {
				t.Errorf("cleaning up: %+v", r)
			}
		}
		// What CleanDocker leaves of this namespace's step images (a tag a
		// pasted build moved to an image without the tutor's labels) goes
		// too, and the untagged stage images whose history holds this
		// test's own canary (no other test's or learner's can).
		p, _ := sess.Progress()
		defer removeUntaggedHolding(ctx, t, cli, p.Secret)
		for _, st := range lesson.Steps {
			for _, name := range sess.StepImages(st, sess.Values(st, p)) {
				if _, err := cli.ImageRemove(ctx, name, client.ImageRemoveOptions{}); err == nil {
					t.Logf("CleanDocker left %s; removed it", name)
				}
			}
		}
		sess.Close()
	})
	buildKit := exec.Command("docker", "buildx", "version").Run() == nil

	h := newHarnessOn(t, sess, course, 80, 24)
	h.patience = 2 * time.Minute
	h.settle(settled)
	pasted := 0
	for _, st := range lesson.Steps {
		idx := -1
		for i, s := range h.m.steps {
			if s.ID == st.ID {
				idx = i
			}
		}
		h.exec(h.m.enterStep(idx))
		h.settle(func(m Model) bool {
			return settled(m) && m.page == pageStep && m.cur == idx && m.info.Step != nil && m.info.Step.ID == st.ID
		})
		if h.m.info.Action != "" { // an exercise's build, or a teammate's image to look into
			h.press("r")
			h.settle(settled)
		}
		rendered := ansi.Strip(h.m.text.vp.GetContent())
		for _, block := range lessons.CodeBlocks(h.m.text.doc) {
			if !block.Shell() {
				continue
			}
			if learnerFills.MatchString(block.Code) {
				t.Logf("step %s: a block for the learner to fill in, not pasted:\n%s", st.Number, block.Code)
				continue
			}
			script := fromScreen(t, st.Number, rendered, block.Code)
			failed, out := paste(t, h.m.info.Values.Workdir, script)
			dockertest.RemoveBuiltOnCleanup(t, cli, out)
			pasted++
			for _, f := range failed {
				if !buildKit && needsBuildx(f.command, out) {
					// The text says "with BuildKit (the buildx plugin)"; this
					// docker CLI has none.
					t.Logf("step %s: %q needs the buildx plugin, which this docker CLI lacks", st.Number, f.command)
					continue
				}
				t.Errorf("step %s: %q exited %d; the block as pasted:\n%s\noutput:\n%s", st.Number, f.command, f.status, script, out)
			}
		}
	}
	if pasted == 0 {
		t.Fatal("no shell command in the whole lesson")
	}
}

// madeFolder is a folder a pasted block makes by its absolute path.
var madeFolder = regexp.MustCompile(`mkdir -p (/[^\s;&|]+)`)

// removeUntaggedHolding removes the untagged images whose history holds
// secret, newest first.
func removeUntaggedHolding(ctx context.Context, t *testing.T, cli *client.Client, secret string) {
	if secret == "" {
		return
	}
	list, err := cli.ImageList(ctx, client.ImageListOptions{Filters: client.Filters{}.Add("dangling", "true")})
	if err != nil {
		t.Logf("listing untagged images: %v", err)
		return
	}
	for _, img := range list.Items {
		h, err := cli.ImageHistory(ctx, img.ID)
		if err != nil {
			continue
		}
		for _, item := range h.Items {
			if strings.Contains(item.CreatedBy, secret) {
				if _, err := cli.ImageRemove(ctx, img.ID, client.ImageRemoveOptions{PruneChildren: true}); err != nil {
					t.Logf("removing %s: %v", img.ID, err)
				}
				break
			}
		}
	}
}

// learnerFills is a part of a command the learner replaces: <IMAGE ID>.
var learnerFills = regexp.MustCompile(`<[A-Z][A-Z _-]*>`)

// needsBuildx says a command failed for want of the buildx plugin: it is
// a buildx command, or a build with a feature only BuildKit has whose
// error names buildx.
func needsBuildx(command, out string) bool {
	if strings.Contains(command, "docker buildx ") {
		return true
	}
	return strings.Contains(command, "docker build") && strings.Contains(out, "buildx") &&
		(strings.Contains(command, "--secret") || strings.Contains(command, "--ssh") || strings.Contains(command, "DOCKER_BUILDKIT=1"))
}

// fromScreen finds each line of a code block whole on one line of the
// rendered screen text and returns the lines as the screen shows them,
// without the pane's margin: what a learner selects and pastes.
func fromScreen(t *testing.T, step, rendered, code string) string {
	t.Helper()
	screen := strings.Split(rendered, "\n")
	var out []string
	for _, want := range strings.Split(strings.TrimRight(code, "\n"), "\n") {
		body := strings.TrimSpace(want)
		if body == "" {
			out = append(out, "")
			continue
		}
		found := false
		for _, line := range screen {
			line = strings.TrimRight(line, " ")
			at := strings.Index(line, body)
			if at < 0 || strings.TrimSpace(line[:at]) != "" || line[at:] != body {
				continue
			}
			// Keep the line's own indentation (a loop's body), not the margin.
			indent := len(want) - len(strings.TrimLeft(want, " "))
			out = append(out, strings.Repeat(" ", indent)+line[at:])
			found = true
			break
		}
		if !found {
			t.Fatalf("step %s: the command line %q is not whole on any line of the screen:\n%s", step, body, rendered)
		}
	}
	return strings.Join(out, "\n") + "\n"
}

type failedCommand struct {
	status  int
	command string
}

// errTrap reports each command that fails where `set -e` would stop (not
// the test of an if or the left of an &&) to the file $DTPASTE_FAILED.
const errTrap = `trap 'printf "%s\t%s\n" "$?" "$BASH_COMMAND" >> "$DTPASTE_FAILED"' ERR` + "\n"

// paste runs script in bash, read from its input as a paste is, in dir,
// and returns the commands that failed and everything it printed.
func paste(t *testing.T, dir, script string) ([]failedCommand, string) {
	t.Helper()
	// A folder the text makes outside the workspace (mkdir -p /tmp/layers)
	// goes when the test ends, if the test made it.
	for _, m := range madeFolder.FindAllStringSubmatch(script, -1) {
		if _, err := os.Stat(m[1]); os.IsNotExist(err) {
			t.Cleanup(func() { os.RemoveAll(m[1]) })
		}
	}
	report := filepath.Join(t.TempDir(), "failed")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", "-s")
	cmd.Dir = dir
	// mktemp -d in a block makes its folder in the test's own.
	cmd.Env = append(os.Environ(), "DTPASTE_FAILED="+report, "TMPDIR="+t.TempDir())
	cmd.Stdin = strings.NewReader(errTrap + script)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); ctx.Err() != nil {
		t.Fatalf("the paste did not end: %v\n%s", err, out.String())
	}
	data, err := os.ReadFile(report)
	if os.IsNotExist(err) {
		return nil, out.String()
	}
	if err != nil {
		t.Fatal(err)
	}
	var failed []failedCommand
	for _, line := range strings.Split(strings.TrimRight(string(data), "\n"), "\n") {
		var f failedCommand
		status, command, _ := strings.Cut(line, "\t")
		fmt.Sscan(status, &f.status)
		f.command = command
		failed = append(failed, f)
	}
	return failed, out.String()
}
