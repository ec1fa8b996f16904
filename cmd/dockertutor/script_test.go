package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/moby/moby/client"
	"github.com/rogpeppe/go-internal/testscript"

	"github.com/dockertutor/dockertutor/exercises/dockertest"
	"github.com/dockertutor/dockertutor/exercises/labels"
)

// The scripts in testdata/script drive the real command, one process per
// line, as a learner or a CI job would: `dockertutor` in a script is this
// package's main.
func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){"dockertutor": main})
}

// TestScripts runs every command with no daemon: DOCKER_HOST names a
// socket that does not exist, so what needs Docker must exit 3, quickly.
func TestScripts(t *testing.T) {
	testscript.Run(t, scriptParams("testdata/script", func(env *testscript.Env) string {
		return "unix://" + filepath.Join(env.WorkDir, "no-daemon.sock")
	}, nil))
}

// TestScriptsOnDocker runs the scripts that need a daemon; without one
// they are skipped, or fail when DOCKERTUTOR_REQUIRE_DOCKER=1, as every
// integration test. They work on a copy of the fixture pack under a course
// id and image namespace of their own, so they touch nothing they did not
// create, even on a daemon someone else is using.
func TestScriptsOnDocker(t *testing.T) {
	cli := dockertest.Client(t)
	dockertest.StandIn(t, cli, "alpine:3.22")
	host := cli.DaemonHost()
	testscript.Run(t, scriptParams("testdata/script/docker", func(*testscript.Env) string { return host },
		func(env *testscript.Env, ns string) { env.Defer(func() { removeNamespace(cli, ns) }) }))
}

// scriptParams gives each script its own workspace, state folder, home and
// course pack in $WORK, the daemon dockerHost names, and $NS: the pack's
// course id and image namespace, and the namespace the tutor works in
// (DOCKERTUTOR_NAMESPACE), so the scripts' names are the pack's as
// written rather than under a learner id made up per run.
func scriptParams(dir string, dockerHost func(*testscript.Env) string, setup func(*testscript.Env, string)) testscript.Params {
	return testscript.Params{
		Dir:                 dir,
		RequireExplicitExec: true,
		Setup: func(env *testscript.Env) error {
			ns, err := namespace()
			if err != nil {
				return err
			}
			for k, v := range map[string]string{
				"NS":                    ns,
				"DOCKERTUTOR_NAMESPACE": ns,
				"XDG_STATE_HOME":        filepath.Join(env.WorkDir, "state"),
				"DOCKERTUTOR_WORKSPACE": filepath.Join(env.WorkDir, "ws"),
				"HOME":                  filepath.Join(env.WorkDir, "home"),
				"DOCKER_HOST":           dockerHost(env),
				"DOCKER_CONTEXT":        "",
				"DOCKER_CONFIG":         filepath.Join(env.WorkDir, "home", ".docker"),
				"NO_COLOR":              "1",
				// Never ask Docker Hub about a tag or digest: nothing past loopback.
				"DOCKERTUTOR_OFFLINE_REGISTRIES": "docker.io",
				"TERM":                           "dumb",
			} {
				env.Setenv(k, v)
			}
			if setup != nil {
				setup(env, ns)
			}
			return dockertest.CopyPack("testdata/pack", filepath.Join(env.WorkDir, "pack"), ns, "dttest-cli", ns)
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){"exits": exitsCmd},
	}
}

// exitsCmd is `exits CODE [-fast] COMMAND ARGS...`: it runs the command as
// exec does and wants exactly that exit code (exec and `! exec` only tell
// zero from non-zero), and with -fast an answer within 2 seconds.
func exitsCmd(ts *testscript.TestScript, neg bool, args []string) {
	if neg {
		ts.Fatalf("usage: exits CODE [-fast] COMMAND ARGS... (no !)")
	}
	if len(args) < 2 {
		ts.Fatalf("usage: exits CODE [-fast] COMMAND ARGS...")
	}
	want, err := strconv.Atoi(args[0])
	if err != nil {
		ts.Fatalf("exits: %q is not an exit code", args[0])
	}
	args = args[1:]
	fast := args[0] == "-fast"
	if fast {
		args = args[1:]
	}
	// The promise is an answer within 2 s of the program starting: on a
	// loaded machine starting it may take a good part of a second, so the
	// same program's start (its --help, run beside the script: ts.Exec
	// would take the stdin the script set for the command) is not counted.
	var startCost time.Duration
	if fast {
		if bin := scriptLookPath(ts, args[0]); bin != "" {
			begin := time.Now()
			_ = exec.Command(bin, "--help").Run()
			// At most half the bound: a start that slow says the
			// machine is swamped, and the rest must still be quick.
			startCost = min(time.Since(begin), time.Second)
		}
	}
	start := time.Now()
	err = ts.Exec(args[0], args[1:]...)
	took := time.Since(start) - startCost
	got := 0
	var exitErr *exec.ExitError
	switch {
	case errors.As(err, &exitErr):
		got = exitErr.ExitCode()
	case err != nil:
		ts.Fatalf("exits: %v", err)
	}
	if got != want {
		ts.Fatalf("exit code %d, want %d", got, want)
	}
	if fast && took > 2*time.Second {
		ts.Fatalf("took %s past the program's start (%s): the answer must come within 2 s", took.Round(time.Millisecond), startCost.Round(time.Millisecond))
	}
}

// namespace is a name no other run uses: image names and course ids of
// concurrent runs on one daemon never meet.
func namespace() (string, error) {
	b := make([]byte, 4)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return "dts" + hex.EncodeToString(b), nil
}

// removeNamespace removes, after a script, what it may have left on the
// daemon when it failed half-way: the containers labelled with its course
// id and the images named in its namespace. Nothing else carries either.
func removeNamespace(cli *client.Client, ns string) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cs, err := cli.ContainerList(ctx, client.ContainerListOptions{All: true, Filters: make(client.Filters).Add("label", labels.Course+"="+ns)})
	if err == nil {
		for _, c := range cs.Items {
			cli.ContainerRemove(ctx, c.ID, client.ContainerRemoveOptions{Force: true})
		}
	}
	imgs, err := cli.ImageList(ctx, client.ImageListOptions{Filters: make(client.Filters).Add("reference", ns+"/*")})
	if err == nil {
		for _, im := range imgs.Items {
			for _, tag := range im.RepoTags {
				cli.ImageRemove(ctx, tag, client.ImageRemoveOptions{PruneChildren: true})
			}
		}
	}
}

// scriptLookPath finds name on the script's PATH, "" when it is not there.
func scriptLookPath(ts *testscript.TestScript, name string) string {
	for _, dir := range filepath.SplitList(ts.Getenv("PATH")) {
		if p := filepath.Join(dir, name); fileIsExecutable(p) {
			return p
		}
	}
	return ""
}

func fileIsExecutable(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0
}
