package engine

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dockertutor/dockertutor/exercises/dockertest"
	"github.com/dockertutor/dockertutor/exercises/pins"
	"github.com/dockertutor/dockertutor/lessons"
	"github.com/moby/moby/client"
	"github.com/moby/moby/client/pkg/versions"
)

// realEndpoint is the daemon the integration tests use (DOCKER_HOST or the
// default socket, as dockertest uses), skipping without one.
func realEndpoint(t *testing.T) (Endpoint, *client.Client) {
	t.Helper()
	cli := dockertest.Client(t)
	ep, err := Resolve()
	if err != nil {
		t.Fatalf("Resolve: %v", err)
	}
	return ep, cli
}

// rawDaemon asks the daemon directly over its socket, without the moby
// client, to have answers that do not come from the code under test.
type rawDaemon struct {
	http *http.Client
}

func newRawDaemon(t *testing.T, ep Endpoint) *rawDaemon {
	t.Helper()
	proto, path, _ := strings.Cut(ep.Host, "://")
	if proto != "unix" {
		t.Skipf("the raw oracle speaks only to unix sockets, not %s", ep.Host)
	}
	return &rawDaemon{http: &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, "unix", path)
		},
	}}}
}

func (d *rawDaemon) get(t *testing.T, path string, into any) http.Header {
	t.Helper()
	resp, err := d.http.Get("http://docker" + path)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	if into != nil {
		if err := json.NewDecoder(resp.Body).Decode(into); err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
	}
	return resp.Header
}

func TestConnectRealDaemonNegotiates(t *testing.T) {
	ep, _ := realEndpoint(t)
	raw := newRawDaemon(t, ep)
	var ver struct{ Version, ApiVersion, MinAPIVersion string }
	raw.get(t, "/version", &ver)

	start := time.Now()
	cli, err := Connect(context.Background(), ep)
	if err != nil {
		t.Fatalf("Connect(%s): %v", ep.Host, err)
	}
	defer cli.Close()
	t.Logf("connected to %s (Docker %s, API %s) in %s, negotiated %s", ep.Host, ver.Version, ver.ApiVersion, time.Since(start), cli.ClientVersion())

	want := ver.ApiVersion
	if versions.LessThan(client.MaxAPIVersion, want) {
		want = client.MaxAPIVersion
	}
	if cli.ClientVersion() != want {
		t.Errorf("negotiated %s, want %s (daemon %s, client max %s)", cli.ClientVersion(), want, ver.ApiVersion, client.MaxAPIVersion)
	}
	if strings.HasPrefix(ver.Version, "20.10.") && cli.ClientVersion() != "1.41" {
		t.Errorf("Docker 20.10 must be spoken to in API 1.41, got %s", cli.ClientVersion())
	}
	// The client works for real calls at the negotiated version.
	if _, err := cli.Info(context.Background(), client.InfoOptions{}); err != nil {
		t.Errorf("Info after Connect: %v", err)
	}
}

// BuildKit sessions hijack a connection through the client's dialer; the
// dialer Connect installs must serve them too.
func TestConnectedClientCanHijackASession(t *testing.T) {
	ep, _ := realEndpoint(t)
	cli, err := Connect(context.Background(), ep)
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	var id [8]byte
	_, _ = rand.Read(id[:])
	conn, err := cli.DialHijack(context.Background(), "/session", "h2c", map[string][]string{
		"X-Docker-Expose-Session-Uuid": {"dttest-engine-" + hex.EncodeToString(id[:])},
		"X-Docker-Expose-Session-Name": {"dttest-engine"},
	})
	if err != nil {
		t.Fatalf("DialHijack /session: %v", err)
	}
	conn.Close()
}

func TestDiagnoseRealDaemon(t *testing.T) {
	ep, cli := realEndpoint(t)
	raw := newRawDaemon(t, ep)
	dockertest.StandIn(t, cli, "alpine:3.22")
	present, err := cli.ImageInspect(context.Background(), "alpine:3.22")
	if err != nil {
		t.Fatal(err)
	}
	var nonce [6]byte
	_, _ = rand.Read(nonce[:])
	missing := "dttest-engine-missing-" + hex.EncodeToString(nonce[:]) + ":1"

	var ver struct{ Version, ApiVersion, MinAPIVersion, Os, Arch string }
	raw.get(t, "/version", &ver)
	var info struct {
		Driver          string
		DriverStatus    [][2]string
		SecurityOptions []string
	}
	raw.get(t, "/info", &info)
	ping := raw.get(t, "/_ping", nil)

	start := time.Now()
	r := Diagnose(context.Background(), ep, []lessons.BaseImage{{Ref: "alpine:3.22"}, {Ref: missing}})
	t.Logf("Diagnose took %s", time.Since(start))

	if !r.Reachable || r.Server == nil {
		t.Fatalf("report = %+v", r)
	}
	s := r.Server
	if s.Version != ver.Version || s.API.ServerMax != ver.ApiVersion || s.API.ServerMin != ver.MinAPIVersion || s.OS != ver.Os || s.Arch != ver.Arch {
		t.Errorf("server %+v does not match /version %+v", s, ver)
	}
	if s.StorageDriver != info.Driver {
		t.Errorf("storage driver %s, /info says %s", s.StorageDriver, info.Driver)
	}
	wantStore := "graphdriver"
	for _, kv := range info.DriverStatus {
		if kv[0] == "driver-type" && strings.Contains(kv[1], "snapshotter") {
			wantStore = "containerd"
		}
	}
	if s.ImageStore != wantStore {
		t.Errorf("image store %s, want %s (DriverStatus %v)", s.ImageStore, wantStore, info.DriverStatus)
	}
	if s.Rootless != strings.Contains(strings.Join(info.SecurityOptions, " "), "name=rootless") {
		t.Errorf("rootless = %v, security options %v", s.Rootless, info.SecurityOptions)
	}
	if builder := ping.Get("Builder-Version"); builder == "" {
		// Before API 1.42 the default is not advertised; a Linux engine
		// of 18.09 or later still has BuildKit.
		if s.Builders.Default != "" || (s.OS == "linux" && !s.Builders.BuildKit) || !s.Builders.Classic {
			t.Errorf("builders %+v for a daemon without Builder-Version", s.Builders)
		}
	} else if want := map[string]string{"1": "classic", "2": "buildkit"}[builder]; s.Builders.Default != want {
		t.Errorf("builders %+v, ping says Builder-Version %s", s.Builders, builder)
	}
	if strings.HasPrefix(ver.Version, "20.10.") {
		if s.API.Negotiated != "1.41" || !s.Builders.BuildKit || !s.Builders.Classic || s.Builders.Default != "" {
			t.Errorf("Docker 20.10: want API 1.41, BuildKit and classic, no advertised default; got %+v %+v", s.API, s.Builders)
		}
	}

	if len(r.Images) != 2 || r.Images[0].State != pins.Present || r.Images[0].ID != present.ID || r.Images[1].State != pins.Missing {
		t.Errorf("images = %+v", r.Images)
	}
	if p := hasProblem(r.Problems, ClassImageMissing); p == nil || !strings.Contains(p.Message, missing) {
		t.Errorf("problems = %+v", r.Problems)
	}
	if r.Candidates != nil {
		t.Errorf("a reachable daemon needs no candidates: %+v", r.Candidates)
	}
	if _, err := json.Marshal(r); err != nil {
		t.Fatal(err)
	}
}

// An unreachable daemon is diagnosed within PingTimeout even though the
// candidates are probed too, and the real daemon shows up as one.
func TestDiagnoseUnreachableIsQuickAndOffersTheRealDaemon(t *testing.T) {
	real, _ := realEndpoint(t)
	path := filepath.Join(shortTempDir(t), "docker.sock")
	l, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })

	start := time.Now()
	r := Diagnose(context.Background(), unixEndpoint(path), []lessons.BaseImage{{Ref: "alpine:3.22"}})
	took := time.Since(start)
	t.Logf("Diagnose of a silent daemon took %s", took)
	if r.Reachable || len(r.Problems) == 0 || r.Problems[0].Class != ClassTimeout {
		t.Fatalf("report = %+v", r)
	}
	if took >= PingTimeout {
		t.Errorf("took %s, want under %s", took, PingTimeout)
	}
	if real.Host == DefaultHost("linux") {
		found := false
		for _, c := range r.Candidates {
			found = found || (c.Host == real.Host && c.Answers)
		}
		if !found {
			t.Errorf("the answering daemon at %s should be a candidate: %+v", real.Host, r.Candidates)
		}
	}
	if testing.Verbose() {
		var b strings.Builder
		_ = WriteText(&b, r)
		fmt.Println(b.String())
	}
}
