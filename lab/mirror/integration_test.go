//go:build linux

package mirror_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/moby/moby/client"

	"github.com/dockertutor/dockertutor/exercises/builder"
	"github.com/dockertutor/dockertutor/exercises/dockertest"
	"github.com/dockertutor/dockertutor/internal/privatedaemon"
	"github.com/dockertutor/dockertutor/lab/mirror"
)

var engines = []privatedaemon.Engine{privatedaemon.Docker20, privatedaemon.Engine29}

func engineName(e privatedaemon.Engine) string { return strings.ReplaceAll(e.String(), " ", "_") }

func tctx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// labConfig is the private daemon's daemon.json: keys of the admin's that
// must come back byte for byte, in an admin's layout.
const labConfig = "{\n    \"labels\": [\"org.dockertutor.test=mirror\"],\n    \"max-concurrent-downloads\": 2\n}\n"

// TestMirrorMakesAPinnedFromBuildOffline is the lab machine's case on each
// engine, with no network at all: the base image is on a registry on the
// daemon's own loopback; pulling it by digest under its docker.io name
// through the mirror lets both builders build `FROM alpine:3.22@D` once
// the registry is gone, and the daemon's configuration is as it was.
// Before that, the same image brought in by `docker load` shows why the
// mirror is needed.
func TestMirrorMakesAPinnedFromBuildOffline(t *testing.T) {
	for _, e := range engines {
		t.Run(engineName(e), func(t *testing.T) {
			began := time.Now()
			ctx := tctx(t)
			d := privatedaemon.Start(t, privatedaemon.Options{Engine: e, Config: []byte(labConfig)})
			cli := d.Client(t)
			d.StandIn(t, "alpine:3.22")
			reg := d.StartRegistry(t)
			digest := reg.PushStandIn(t, ctx, cli)
			saved := save(t, ctx, cli, "alpine:3.22")
			removeAll(t, ctx, cli)

			// Without the mirror: the image loaded, as a lab machine
			// would get it from a tar.
			load(t, ctx, cli, saved)
			if rd := repoDigests(t, ctx, cli, "alpine:3.22"); e == privatedaemon.Docker20 && len(rd) != 0 {
				t.Errorf("a loaded image has repository digests %q on 20.10", rd)
			}
			pinned := "alpine:3.22@" + digest
			classicErr := build(t, ctx, cli, builder.Classic, pinned)
			buildkitErr := build(t, ctx, cli, builder.BuildKit, pinned)
			t.Logf("%s, loaded image, no mirror: classic: %v; BuildKit: %v", e, classicErr, buildkitErr)
			// On 20.10 both builders ask Docker Hub for the pinned base
			// of a loaded image: the reason for the mirror step. (The
			// current engine keeps the manifest's digest through save
			// and load, and both of its builders found the base
			// locally here; the mirror step serves it all the same.)
			if e == privatedaemon.Docker20 {
				for kind, err := range map[builder.Kind]error{builder.Classic: classicErr, builder.BuildKit: buildkitErr} {
					if !baseMissing(err) {
						t.Errorf("%s FROM %s offline from a loaded image on 20.10: %v, want the base image missing", kind, pinned, err)
					}
				}
			}
			removeAll(t, ctx, cli)

			// With the mirror.
			m, err := mirror.Find(ctx, d.Socket)
			if err != nil {
				t.Fatal(err)
			}
			if m.PID != d.PID || m.ConfigFile != d.ConfigFile {
				t.Fatalf("found pid %d config %s, the daemon is pid %d config %s", m.PID, m.ConfigFile, d.PID, d.ConfigFile)
			}
			// prepare --from loads by this platform, not asking Info.
			info, err := cli.Info(ctx, client.InfoOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if want := info.Info.OSType + "/" + info.Info.Architecture; m.Platform != want {
				t.Fatalf("found platform %q, the daemon's Info says %q", m.Platform, want)
			}
			mirrorStarted := time.Now()
			err = m.WithMirror(ctx, reg.URL, cli, func(ctx context.Context) error {
				return pullAndTag(ctx, cli, "alpine@"+digest, "alpine:3.22")
			})
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%s: WithMirror with the pull took %s", e, time.Since(mirrorStarted).Round(time.Millisecond))
			assertConfigAsBefore(t, ctx, m, cli, []byte(labConfig), nil)
			t.Logf("%s: registry requests through the mirror: %q", e, afterPush(reg.Requests()))
			if !slices.ContainsFunc(reg.Requests(), func(r string) bool {
				return strings.Contains(r, "/v2/library/alpine/manifests/"+digest) && strings.HasSuffix(r, " 200")
			}) {
				t.Errorf("the pull did not come from the mirror: %q", reg.Requests())
			}
			if rd := repoDigests(t, ctx, cli, "alpine:3.22"); !slices.ContainsFunc(rd, func(r string) bool { return strings.TrimPrefix(r, "docker.io/library/") == "alpine@"+digest }) {
				t.Errorf("RepoDigests %q has no alpine@%s", rd, digest)
			}

			// Offline: no registry anywhere.
			reg.Stop()
			for _, kind := range []builder.Kind{builder.Classic, builder.BuildKit} {
				if err := build(t, ctx, cli, kind, pinned); err != nil {
					t.Errorf("%s build FROM %s with no registry: %v", kind, pinned, err)
				}
			}
			t.Logf("%s: whole case %s", e, time.Since(began).Round(time.Millisecond))
		})
	}
}

func save(t *testing.T, ctx context.Context, cli *client.Client, ref string) []byte {
	t.Helper()
	res, err := cli.ImageSave(ctx, []string{ref})
	if err != nil {
		t.Fatal(err)
	}
	defer res.Close()
	data, err := io.ReadAll(res)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func load(t *testing.T, ctx context.Context, cli *client.Client, tar []byte) {
	t.Helper()
	res, err := cli.ImageLoad(ctx, bytes.NewReader(tar))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Close()
	out, _ := io.ReadAll(res)
	if bytes.Contains(out, []byte(`"errorDetail"`)) {
		t.Fatalf("load: %s", out)
	}
	img, err := cli.ImageInspect(ctx, "alpine:3.22")
	if err != nil {
		t.Fatalf("after load: %v (%s)", err, out)
	}
	t.Logf("loaded alpine:3.22: RepoDigests %q", img.RepoDigests)
}

// repoDigests are an image's repository digests.
func repoDigests(t *testing.T, ctx context.Context, cli *client.Client, ref string) []string {
	t.Helper()
	img, err := cli.ImageInspect(ctx, ref)
	if err != nil {
		t.Fatal(err)
	}
	return img.RepoDigests
}

// removeAll removes every image of the private daemon and fails unless
// none is left: what follows starts from nothing of the image.
func removeAll(t *testing.T, ctx context.Context, cli *client.Client) {
	t.Helper()
	if _, err := cli.BuildCachePrune(ctx, client.BuildCachePruneOptions{All: true}); err != nil {
		t.Logf("build cache prune: %v", err)
	}
	// Parents go only once their children are gone: a pass per
	// generation, as long as each pass removes something.
	for {
		list, err := cli.ImageList(ctx, client.ImageListOptions{All: true})
		if err != nil {
			t.Fatal(err)
		}
		if len(list.Items) == 0 {
			return
		}
		var errs []error
		for _, img := range list.Items {
			if _, err := cli.ImageRemove(ctx, img.ID, client.ImageRemoveOptions{Force: true, PruneChildren: true}); err != nil && !strings.Contains(err.Error(), "No such image") {
				errs = append(errs, err)
			}
		}
		if len(errs) == len(list.Items) {
			t.Fatalf("images left: %v", errors.Join(errs...))
		}
	}
}

// build builds `FROM base` plus a COPY onto it with the given builder.
// No RUN: the private daemon has no bridge network for BuildKit's RUN
// (the classic builder's RUN works, see dockertest's stand-in), and what
// is proven here is the base's resolution.
func build(t *testing.T, ctx context.Context, cli *client.Client, kind builder.Kind, base string) error {
	t.Helper()
	dir := dockertest.WriteFiles(t, map[string]string{"Dockerfile": "FROM " + base + "\nCOPY hello /hello\n", "hello": "built offline\n"})
	bctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	_, err := builder.Build(bctx, cli, builder.Options{Course: "dttest-mirror", Step: "pinned", Namespace: dockertest.Namespace(t), Dir: dir, Builder: kind, NoCache: true}, nil)
	return err
}

// baseMissing says the build failed because its base image is neither on
// the daemon nor pullable (the builder's reading of the daemon's error).
func baseMissing(err error) bool {
	var be *builder.BuildError
	return errors.As(err, &be) && be.MissingImage != ""
}

// afterPush are the requests after the push's last one (its manifest).
func afterPush(requests []string) []string {
	last := -1
	for i, r := range requests {
		if strings.HasPrefix(r, "PUT /v2/library/alpine/manifests/") {
			last = i
		}
	}
	return requests[last+1:]
}

// pullAndTag pulls ref (a docker.io name by digest) and tags it as tag.
func pullAndTag(ctx context.Context, cli *client.Client, ref, tag string) error {
	res, err := cli.ImagePull(ctx, ref, client.ImagePullOptions{})
	if err != nil {
		return err
	}
	if err := res.Wait(ctx); err != nil {
		return fmt.Errorf("pull %s: %w", ref, err)
	}
	_, err = cli.ImageTag(ctx, client.ImageTagOptions{Source: ref, Target: tag})
	return err
}

// assertConfigAsBefore fails unless the config file has its original
// bytes, the daemon shows its original mirrors and no backup is left.
func assertConfigAsBefore(t *testing.T, ctx context.Context, m *mirror.Daemon, cli *client.Client, original []byte, mirrors []string) {
	t.Helper()
	got, err := os.ReadFile(m.ConfigFile)
	if err != nil || !bytes.Equal(got, original) {
		t.Errorf("config file is %q (%v), was %q", got, err, original)
	}
	info, err := cli.Info(ctx, client.InfoOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if shown := info.Info.RegistryConfig.Mirrors; !slices.Equal(shown, mirrors) && !(len(shown) == 0 && len(mirrors) == 0) {
		t.Errorf("daemon shows mirrors %q, had %q", shown, mirrors)
	}
	if _, err := os.Stat(m.Backup()); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("backup left: %v", err)
	}
}

// helperEnv makes this test binary the process that is killed inside
// WithMirror (TestKilledRunIsRecovered): its value is the daemon's socket.
const helperEnv = "DOCKERTUTOR_MIRROR_HELPER_SOCKET"

// TestWithMirrorHelperProcess is not a test: it is the mirror step of a
// run that TestKilledRunIsRecovered kills with SIGKILL inside fn.
func TestWithMirrorHelperProcess(t *testing.T) {
	socket := os.Getenv(helperEnv)
	if socket == "" {
		t.Skip("the process TestKilledRunIsRecovered kills")
	}
	ctx := context.Background()
	m, err := mirror.Find(ctx, socket)
	if err != nil {
		t.Fatal(err)
	}
	cli, err := client.New(client.WithHost("unix://"+m.Socket), client.WithAPIVersionNegotiation())
	if err != nil {
		t.Fatal(err)
	}
	err = m.WithMirror(ctx, "http://127.0.0.1:5999", cli, func(ctx context.Context) error {
		os.WriteFile(os.Getenv("DOCKERTUTOR_MIRROR_HELPER_MARK"), []byte("inside"), 0o644)
		time.Sleep(10 * time.Minute) // killed here
		return nil
	})
	t.Fatalf("WithMirror returned: %v", err)
}

// TestKilledRunIsRecovered kills a process inside WithMirror (SIGKILL:
// nothing of it runs after) and checks that the backup it left lets
// Recover put back the config file's bytes and the daemon's own mirrors.
func TestKilledRunIsRecovered(t *testing.T) {
	for _, e := range engines {
		t.Run(engineName(e), func(t *testing.T) {
			began := time.Now()
			ctx := tctx(t)
			original := []byte("{\"registry-mirrors\": [\"http://127.0.0.1:5998\"],\n \"debug\": false}")
			d := privatedaemon.Start(t, privatedaemon.Options{Engine: e, Config: original})
			cli := d.Client(t)

			mark := t.TempDir() + "/inside"
			helper := exec.Command(os.Args[0], "-test.run=^TestWithMirrorHelperProcess$", "-test.v")
			helper.Env = append(os.Environ(), helperEnv+"="+d.SocketPath, "DOCKERTUTOR_MIRROR_HELPER_MARK="+mark)
			var out bytes.Buffer
			helper.Stdout, helper.Stderr = &out, &out
			if err := helper.Start(); err != nil {
				t.Fatal(err)
			}
			deadline := time.Now().Add(60 * time.Second)
			for {
				if _, err := os.Stat(mark); err == nil {
					break
				}
				if time.Now().After(deadline) {
					helper.Process.Kill()
					helper.Wait()
					t.Fatalf("the helper never got inside WithMirror: %s", out.String())
				}
				time.Sleep(50 * time.Millisecond)
			}
			helper.Process.Signal(syscall.SIGKILL)
			helper.Wait()

			m, err := mirror.Find(ctx, d.Socket)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := os.Stat(m.Backup()); err != nil {
				t.Fatalf("the killed run left no backup: %v", err)
			}
			info, err := cli.Info(ctx, client.InfoOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if got := info.Info.RegistryConfig.Mirrors; !slices.Equal(got, []string{"http://127.0.0.1:5999/"}) {
				t.Fatalf("killed inside fn, the daemon shows mirrors %q", got)
			}
			// A second run refuses to start over the backup.
			err = m.WithMirror(ctx, "http://127.0.0.1:5999", cli, func(context.Context) error { return nil })
			if err == nil || !strings.Contains(err.Error(), "interrupted run") {
				t.Fatalf("WithMirror over a killed run's backup: %v", err)
			}

			recovered, err := m.Recover(ctx, cli)
			if err != nil || !recovered {
				t.Fatalf("Recover: %v, %v", recovered, err)
			}
			assertConfigAsBefore(t, ctx, m, cli, original, []string{"http://127.0.0.1:5998/"})
			t.Logf("%s: whole case %s", e, time.Since(began).Round(time.Millisecond))
		})
	}
}
