package builder

import (
	"archive/tar"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	controlapi "github.com/moby/buildkit/api/services/control"
	"github.com/moby/moby/client"
	"golang.org/x/net/http2"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// fakeDaemon plays the Docker API for unit tests: canned build output, a
// session endpoint that accepts or refuses, and a record of the calls.
type fakeDaemon struct {
	ping    client.PingResult
	pingErr error
	dialErr error
	// output returns the build's response body for the request.
	output func(ctx context.Context, opts client.ImageBuildOptions) (io.ReadCloser, error)
	// images present on the daemon, by reference.
	images map[string]bool

	mu          sync.Mutex
	builds      []client.ImageBuildOptions
	contextTar  map[string]string // file name -> content of the last classic context
	cancelled   []string
	removed     []string
	dialed      int
	sessionEnds []net.Conn
}

func (f *fakeDaemon) Ping(ctx context.Context, _ client.PingOptions) (client.PingResult, error) {
	return f.ping, f.pingErr
}

func (f *fakeDaemon) ImageBuild(ctx context.Context, body io.Reader, opts client.ImageBuildOptions) (client.ImageBuildResult, error) {
	f.mu.Lock()
	f.builds = append(f.builds, opts)
	f.mu.Unlock()
	if body != nil {
		files, err := readTar(body)
		if err != nil {
			return client.ImageBuildResult{}, err
		}
		f.mu.Lock()
		f.contextTar = files
		f.mu.Unlock()
	}
	rc, err := f.output(ctx, opts)
	if err != nil {
		return client.ImageBuildResult{}, err
	}
	return client.ImageBuildResult{Body: rc}, nil
}

func (f *fakeDaemon) BuildCancel(ctx context.Context, id string, _ client.BuildCancelOptions) (client.BuildCancelResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.cancelled = append(f.cancelled, id)
	return client.BuildCancelResult{}, nil
}

func (f *fakeDaemon) DialHijack(ctx context.Context, url, proto string, meta map[string][]string) (net.Conn, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.dialed++
	if f.dialErr != nil {
		return nil, f.dialErr
	}
	// The session serves gRPC on its end. The daemon's end only opens
	// the HTTP/2 connection, as the daemon does, and reads what comes.
	mine, theirs := net.Pipe()
	f.sessionEnds = append(f.sessionEnds, theirs)
	go func() {
		if _, err := io.WriteString(theirs, http2.ClientPreface); err != nil {
			return
		}
		if err := http2.NewFramer(theirs, nil).WriteSettings(); err != nil {
			return
		}
		_, _ = io.Copy(io.Discard, theirs)
	}()
	return mine, nil
}

func (f *fakeDaemon) ImageInspect(ctx context.Context, ref string, _ ...client.ImageInspectOption) (client.ImageInspectResult, error) {
	if f.images[ref] {
		return client.ImageInspectResult{}, nil
	}
	return client.ImageInspectResult{}, fmt.Errorf("No such image: %s: %w", ref, cerrdefs.ErrNotFound)
}

func (f *fakeDaemon) ContainerRemove(ctx context.Context, id string, _ client.ContainerRemoveOptions) (client.ContainerRemoveResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.removed = append(f.removed, id)
	return client.ContainerRemoveResult{}, nil
}

func (f *fakeDaemon) ContainerInspect(ctx context.Context, id string, _ client.ContainerInspectOptions) (client.ContainerInspectResult, error) {
	return client.ContainerInspectResult{}, cerrdefs.ErrNotFound
}

func (f *fakeDaemon) close() {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, c := range f.sessionEnds {
		c.Close()
	}
}

func newFake(t *testing.T, output ...string) *fakeDaemon {
	f := &fakeDaemon{
		ping:   client.PingResult{APIVersion: "1.41", OSType: "linux"},
		images: map[string]bool{},
		output: func(context.Context, client.ImageBuildOptions) (io.ReadCloser, error) {
			return io.NopCloser(strings.NewReader(strings.Join(output, "\n"))), nil
		},
	}
	t.Cleanup(f.close)
	return f
}

func readTar(r io.Reader) (map[string]string, error) {
	files := map[string]string{}
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return files, nil
		}
		if err != nil {
			return nil, err
		}
		if h.Typeflag != tar.TypeReg {
			files[strings.TrimSuffix(h.Name, "/")+"/"] = ""
			continue
		}
		b, err := io.ReadAll(tr)
		if err != nil {
			return nil, err
		}
		files[h.Name] = string(b)
	}
}

// workspace writes files into a fresh folder and returns it.
func workspace(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// traceLine is one moby.buildkit.trace message as the daemon sends it.
func traceLine(t *testing.T, resp *controlapi.StatusResponse) string {
	t.Helper()
	raw, err := resp.MarshalVT()
	if err != nil {
		t.Fatal(err)
	}
	aux, err := json.Marshal(raw) // []byte marshals as base64
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf(`{"id":%q,"aux":%s}`, auxTrace, aux)
}

var t0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

func ts(offset time.Duration) *timestamppb.Timestamp { return timestamppb.New(t0.Add(offset)) }

// collect gathers events for assertions.
type collect struct {
	mu     sync.Mutex
	events []Event
}

func (c *collect) add(e Event) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.events = append(c.events, e)
}

func (c *collect) lines() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]string, 0, len(c.events))
	for _, e := range c.events {
		out = append(out, e.Kind.String()+" "+e.String())
	}
	return out
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
