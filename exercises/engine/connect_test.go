package engine

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// shortTempDir returns a directory with a path short enough for a unix
// socket (t.TempDir under a long test name can pass the 108-byte limit).
func shortTempDir(t testing.TB) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "dtengine")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

func unixEndpoint(path string) Endpoint {
	return Endpoint{Host: "unix://" + path, Source: "test socket", Origin: FromDockerHost, Context: "default"}
}

// connectTimed runs Connect and says how long it took.
func connectTimed(t *testing.T, ep Endpoint) (*ConnectError, time.Duration) {
	t.Helper()
	start := time.Now()
	cli, err := Connect(context.Background(), ep)
	took := time.Since(start)
	if err == nil {
		cli.Close()
		t.Fatalf("Connect(%s) succeeded", ep.Host)
	}
	var ce *ConnectError
	if !errors.As(err, &ce) {
		t.Fatalf("Connect error is %T (%v), want *ConnectError", err, err)
	}
	return ce, took
}

func TestConnectMissingSocket(t *testing.T) {
	ce, took := connectTimed(t, unixEndpoint(filepath.Join(shortTempDir(t), "docker.sock")))
	if ce.Class != ClassNoSocket {
		t.Errorf("class = %s (%v), want %s", ce.Class, ce.Err, ClassNoSocket)
	}
	if took >= PingTimeout {
		t.Errorf("took %s", took)
	}
}

// A socket file with nothing behind it: the daemon died and left it.
func TestConnectStaleSocketIsDaemonDown(t *testing.T) {
	path := filepath.Join(shortTempDir(t), "docker.sock")
	l, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	l.(*net.UnixListener).SetUnlinkOnClose(false)
	l.Close()
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("socket file should remain: %v", err)
	}
	ce, took := connectTimed(t, unixEndpoint(path))
	if ce.Class != ClassDaemonDown {
		t.Errorf("class = %s (%v), want %s", ce.Class, ce.Err, ClassDaemonDown)
	}
	if !errors.Is(ce, syscall.ECONNREFUSED) {
		t.Errorf("the errno should be kept in the chain: %v", ce.Err)
	}
	if took >= PingTimeout {
		t.Errorf("took %s", took)
	}
}

// A daemon that accepts connections (or lets them queue) but never answers
// must be reported within PingTimeout.
func TestConnectSilentDaemonAnswersWithinPingTimeout(t *testing.T) {
	for _, accept := range []bool{true, false} {
		t.Run(fmt.Sprintf("accepts=%v", accept), func(t *testing.T) {
			path := filepath.Join(shortTempDir(t), "docker.sock")
			l, err := net.Listen("unix", path)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { l.Close() })
			if accept {
				go func() {
					for {
						c, err := l.Accept()
						if err != nil {
							return
						}
						// Read the request and say nothing.
						go func() { _, _ = io.Copy(io.Discard, c); c.Close() }()
					}
				}()
			}
			ce, took := connectTimed(t, unixEndpoint(path))
			if ce.Class != ClassTimeout {
				t.Errorf("class = %s (%v), want %s", ce.Class, ce.Err, ClassTimeout)
			}
			if took >= PingTimeout {
				t.Errorf("took %s, want under %s", took, PingTimeout)
			}
			t.Logf("silent daemon reported after %s", took)
		})
	}
}

// The caller's own deadline wins when it is shorter.
func TestConnectHonoursCallerContext(t *testing.T) {
	path := filepath.Join(shortTempDir(t), "docker.sock")
	l, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err = Connect(ctx, unixEndpoint(path))
	if Classify(err) != ClassTimeout || time.Since(start) > time.Second {
		t.Errorf("got %v after %s", err, time.Since(start))
	}
	ctx, cancel = context.WithCancel(context.Background())
	cancel()
	if _, err := Connect(ctx, unixEndpoint(path)); Classify(err) != ClassCanceled {
		t.Errorf("cancelled context: %v (class %s)", err, Classify(err))
	}
}

// fakeDaemon serves handler on a unix socket, as a Docker daemon would.
func fakeDaemon(t *testing.T, handler http.HandlerFunc) Endpoint {
	t.Helper()
	path := filepath.Join(shortTempDir(t), "docker.sock")
	l, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: handler, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { srv.Close() })
	return unixEndpoint(path)
}

func TestConnectAPITooOld(t *testing.T) {
	ep := fakeDaemon(t, func(w http.ResponseWriter, r *http.Request) {
		// Docker 1.12 answered like this; it has no negotiation.
		w.Header().Set("Api-Version", "1.24")
		w.Header().Set("Server", "Docker/1.12.6 (linux)")
		if r.URL.Path == "/_ping" {
			fmt.Fprint(w, "OK")
			return
		}
		http.Error(w, `{"message":"client is newer than server"}`, http.StatusBadRequest)
	})
	ce, _ := connectTimed(t, ep)
	if ce.Class != ClassAPITooOld || ce.ServerAPIVersion != "1.24" || ce.ServerVersion != "1.12.6" {
		t.Fatalf("got %+v", ce)
	}
	p := Explain(ep, ce)
	if !strings.Contains(p.Message, "API 1.24") || !strings.Contains(p.Message, "1.12.6") || !strings.Contains(p.Message, MinAPIVersion) {
		t.Errorf("message %q should give the daemon's API and version and the minimum", p.Message)
	}
}

func TestConnectNegotiatesDownToTheDaemon(t *testing.T) {
	var mu sync.Mutex
	var paths []string
	ep := fakeDaemon(t, func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		paths = append(paths, r.URL.Path)
		mu.Unlock()
		w.Header().Set("Api-Version", "1.41")
		w.Header().Set("Server", "Docker/20.10.24+dfsg1 (linux)")
		w.Header().Set("Ostype", "linux")
		fmt.Fprint(w, "OK")
	})
	cli, err := Connect(context.Background(), ep)
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	if v := cli.ClientVersion(); v != "1.41" {
		t.Errorf("negotiated %s, want 1.41", v)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(paths) != 1 || paths[0] != "/_ping" {
		t.Errorf("Connect should only ping, it asked %v", paths)
	}
}

func tlsEndpoint(host string, t *TLS) Endpoint {
	return Endpoint{Host: host, Source: "DOCKER_HOST", Origin: FromDockerHost, Context: "default", TLS: t}
}

func pingOK(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Api-Version", "1.41")
	fmt.Fprint(w, "OK")
}

func TestConnectTLS(t *testing.T) {
	pki := newTestPKI(t)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(pingOK))
	srv.TLS = &tls.Config{
		Certificates: []tls.Certificate{pki.serverCert},
		ClientAuth:   tls.RequireAndVerifyClientCert,
		ClientCAs:    pki.caPool,
	}
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the failed handshakes are the point
	srv.StartTLS()
	t.Cleanup(srv.Close)
	host := "tcp://" + srv.Listener.Addr().String()
	full := &TLS{CAFile: filepath.Join(pki.dir, "ca.pem"), CertFile: filepath.Join(pki.dir, "cert.pem"), KeyFile: filepath.Join(pki.dir, "key.pem")}

	t.Run("with the daemon's CA and a client certificate", func(t *testing.T) {
		cli, err := Connect(context.Background(), tlsEndpoint(host, full))
		if err != nil {
			t.Fatal(err)
		}
		cli.Close()
	})

	cases := []struct {
		name    string
		tls     *TLS
		symptom string
	}{
		{"plain client", nil, "expects TLS"},
		{"system roots only", &TLS{CertFile: full.CertFile, KeyFile: full.KeyFile}, "not signed by the CA"},
		{"no client certificate", &TLS{CAFile: full.CAFile}, "client certificate"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ep := tlsEndpoint(host, c.tls)
			ce, took := connectTimed(t, ep)
			if ce.Class != ClassTLS {
				t.Fatalf("class = %s (%v), want tls", ce.Class, ce.Err)
			}
			if p := Explain(ep, ce); !strings.Contains(p.Message, c.symptom) {
				t.Errorf("message %q should say %q (error: %v)", p.Message, c.symptom, ce.Err)
			}
			if took >= PingTimeout {
				t.Errorf("took %s", took)
			}
		})
	}

	t.Run("TLS client, plain daemon", func(t *testing.T) {
		plain := httptest.NewServer(http.HandlerFunc(pingOK))
		t.Cleanup(plain.Close)
		ep := tlsEndpoint("tcp://"+plain.Listener.Addr().String(), full)
		ce, _ := connectTimed(t, ep)
		if ce.Class != ClassTLS || !strings.Contains(Explain(ep, ce).Message, "does not speak TLS") {
			t.Errorf("got %s: %v", ce.Class, ce.Err)
		}
	})

	t.Run("CA file that is not PEM", func(t *testing.T) {
		bad := filepath.Join(t.TempDir(), "ca.pem")
		if err := os.WriteFile(bad, []byte("not a certificate"), 0o600); err != nil {
			t.Fatal(err)
		}
		ce, _ := connectTimed(t, tlsEndpoint(host, &TLS{CAFile: bad}))
		if ce.Class != ClassTLS || !strings.Contains(ce.Error(), bad) {
			t.Errorf("got %s: %v", ce.Class, ce.Err)
		}
	})
}

func TestConnectUnsupportedEndpoints(t *testing.T) {
	for host, class := range map[string]Class{
		"fd://":                   ClassConfig, // no address at all
		"fd://3":                  ClassUnsupported,
		"http://localhost:2375":   ClassConfig,
		"":                        ClassConfig,
		"ssh://":                  ClassConfig,
		"ssh://me:pw@build.local": ClassConfig,
	} {
		ce, _ := connectTimed(t, Endpoint{Host: host})
		if ce.Class != class {
			t.Errorf("%q: class %s (%v), want %s", host, ce.Class, ce.Err, class)
		}
	}
}

// helperEnv makes the test binary act as a one-shot Connect for
// TestConnectPermissionDenied running it as another user.
const helperEnv = "DTTEST_ENGINE_CONNECT_AS_HELPER"

func TestMain(m *testing.M) {
	if mode := os.Getenv(fakeSSHEnv); mode != "" {
		os.Exit(fakeSSH(mode))
	}
	if host := os.Getenv(helperEnv); host != "" {
		_, err := Connect(context.Background(), Endpoint{Host: host})
		_ = json.NewEncoder(os.Stdout).Encode(map[string]string{"class": string(Classify(err)), "error": fmt.Sprint(err)})
		os.Exit(0)
	}
	os.Exit(m.Run())
}
