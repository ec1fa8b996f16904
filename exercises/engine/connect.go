package engine

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/docker/go-connections/sockets"
	"github.com/moby/moby/client"
	"github.com/moby/moby/client/pkg/versions"
)

// PingTimeout bounds Connect: a missing, stopped or hung daemon is
// reported within this time instead of hanging the tutor. For ssh:// it
// bounds reaching the host and logging in.
const PingTimeout = 2 * time.Second

// pingBudget is the ping's share of PingTimeout; the rest covers building
// the client and classifying the failure.
const pingBudget = PingTimeout - 150*time.Millisecond

// MinAPIVersion is the oldest Engine API the tutor can talk to (Docker
// 19.03); the moby client refuses anything older.
const MinAPIVersion = client.MinAPIVersion

// ConnectError says why the daemon at Endpoint could not be used.
type ConnectError struct {
	Endpoint Endpoint
	Class    Class
	// ServerAPIVersion and ServerVersion are known when the daemon
	// answered but is too old.
	ServerAPIVersion string
	ServerVersion    string
	Err              error
}

func (e *ConnectError) Error() string {
	return fmt.Sprintf("cannot use Docker at %s (%s): %v", e.Endpoint.Host, e.Endpoint.Source, e.Err)
}

func (e *ConnectError) Unwrap() error { return e.Err }

// Connect returns a client for the daemon at ep, after a ping bounded by
// PingTimeout that negotiates the API version (down to MinAPIVersion, so
// Docker 20.10's API 1.41 works). An ssh:// endpoint is reached as the
// docker CLI reaches it, through the system's ssh running `docker system
// dial-stdio` on the host, one ssh process per connection; there
// PingTimeout bounds reaching the host and logging in, and the remote
// docker then has up to 10 seconds to answer. On failure the error is a
// *ConnectError whose Class says why; Explain turns it into a
// learner-facing Problem. The caller closes the client, which ends its
// ssh processes.
func Connect(ctx context.Context, ep Endpoint) (*client.Client, error) {
	cli, _, err := ConnectPinged(ctx, ep)
	return cli, err
}

// ConnectPinged is Connect, and what its ping answered (the API version,
// the OS), for a caller that would otherwise ping again.
func ConnectPinged(ctx context.Context, ep Endpoint) (*client.Client, client.PingResult, error) {
	cli, facts, err := connect(ctx, ep, pingBudget, sshAnswerTimeout)
	return cli, facts.PingResult, err
}

// pingFacts is what the first ping revealed, beyond client.PingResult.
type pingFacts struct {
	client.PingResult
	// Server is the Server header, e.g. "Docker/20.10.24+dfsg1 (linux)".
	Server string
	// Podman is set when the ping carried Podman's Libpod-Api-Version.
	Podman bool
}

// connect builds the client and pings within pingTimeout; an ssh:// host
// that let ssh log in within pingTimeout has until sshAnswer (when longer)
// for its docker to answer.
func connect(ctx context.Context, ep Endpoint, pingTimeout, sshAnswer time.Duration) (*client.Client, pingFacts, error) {
	var facts pingFacts
	fail := func(class Class, err error) (*client.Client, pingFacts, error) {
		return nil, facts, &ConnectError{Endpoint: ep, Class: class, Err: err}
	}
	if err := checkHost(ep.Host); err != nil {
		return fail(ClassConfig, fmt.Errorf("%q: %w", ep.Host, err))
	}
	proto, addr, _ := strings.Cut(ep.Host, "://")
	if proto == "fd" {
		return fail(ClassUnsupported, errors.New("fd:// is an address a daemon listens on, not one a client can dial"))
	}
	if proto == "tcp" {
		if u, err := client.ParseHostURL(ep.Host); err == nil {
			addr = u.Host
		}
	}

	tr := &http.Transport{}
	apiHost := ep.Host
	if proto == "ssh" {
		target, err := parseSSHHost(ep.Host)
		if err != nil {
			return fail(ClassConfig, fmt.Errorf("%q: %w", ep.Host, err))
		}
		// As the docker CLI does: every connection is an ssh process, with
		// no TLS and no proxy, and requests name a placeholder host.
		tr.DialContext = func(ctx context.Context, _, _ string) (net.Conn, error) { return dialSSH(ctx, target) }
		tr.IdleConnTimeout = sshIdleTimeout
		apiHost = sshHTTPHost
	} else if err := sockets.ConfigureTransport(tr, proto, addr); err != nil {
		return fail(ClassConfig, err)
	}
	// The moby client rewrites dial errors into prose ("Is the docker
	// daemon running?") that loses the errno; keep the first one to
	// classify the failure precisely. An ssh process fails after the dial,
	// so the connections the ping opens are kept to ask them why.
	var dialMu sync.Mutex
	var dialErr error
	var pingConns []*sshConn
	// A dial still under way when a ping fails would start an ssh that
	// nobody ends: the failed ping waits for such dials (pingFailed stops
	// new ones), and ends what they made.
	var dials sync.WaitGroup
	pingFailed, pingPassed := false, false
	dial := tr.DialContext
	tr.DialContext = func(ctx context.Context, network, address string) (net.Conn, error) {
		dialMu.Lock()
		if pingFailed {
			dialMu.Unlock()
			return nil, errors.New("the connection failed")
		}
		dials.Add(1)
		defer dials.Done()
		for _, c := range pingConns {
			// The ping tries again with GET after a failed HEAD; an ssh
			// that already failed by itself would only fail again, slowly.
			if f := c.failure(); f != nil && !f.Stopped && !pingPassed {
				dialMu.Unlock()
				return nil, f
			}
		}
		dialMu.Unlock()
		c, err := dial(ctx, network, address)
		dialMu.Lock()
		defer dialMu.Unlock()
		if err != nil && dialErr == nil {
			dialErr = err
		}
		// Until the ping has passed, every ssh is the ping's to end.
		if sc, ok := c.(*sshConn); ok && !pingPassed {
			pingConns = append(pingConns, sc)
		}
		return c, err
	}
	if ep.TLS != nil && proto != "ssh" {
		cfg, err := tlsConfig(*ep.TLS)
		if err != nil {
			return fail(ClassTLS, err)
		}
		tr.TLSClientConfig = cfg
	}

	var hdrMu sync.Mutex
	cli, err := client.New(
		client.WithHost(apiHost),
		client.WithHTTPClient(&http.Client{Transport: tr, CheckRedirect: client.CheckRedirect}),
		client.WithUserAgent("dockertutor"),
		client.WithHTTPResponseHook(func(resp *http.Response) {
			if resp.Request == nil || !strings.HasSuffix(resp.Request.URL.Path, "/_ping") {
				return
			}
			hdrMu.Lock()
			defer hdrMu.Unlock()
			facts.Server = resp.Header.Get("Server")
			facts.Podman = resp.Header.Get("Libpod-Api-Version") != ""
		}),
	)
	if err != nil {
		return fail(ClassConfig, err)
	}

	budget := pingTimeout
	if proto == "ssh" {
		budget = max(pingTimeout, sshAnswer)
	}
	pingCtx, cancel := context.WithTimeout(ctx, budget)
	defer cancel()
	// Reaching an ssh:// host and logging in must fit in pingTimeout, as
	// reaching any daemon does; once ssh has logged in, the remote docker
	// gets until sshAnswer, for a login shell that reads a slow ~/.bashrc
	// or a busy host are common and not faults.
	var expired atomic.Bool
	if budget > pingTimeout {
		loginDeadline := time.AfterFunc(pingTimeout, func() {
			dialMu.Lock()
			conns := slices.Clone(pingConns)
			dialMu.Unlock()
			if !slices.ContainsFunc(conns, (*sshConn).loggedIn) {
				expired.Store(true)
				cancel()
			}
		})
		defer loginDeadline.Stop()
	}
	// When the ping runs out of time (or the caller gives up), kill its ssh
	// processes at once: the transport closes them as it cancels, and
	// Close's grace period for a stuck ssh would overrun the bound.
	stopAborting := context.AfterFunc(pingCtx, func() {
		dialMu.Lock()
		conns := slices.Clone(pingConns)
		dialMu.Unlock()
		for _, c := range conns {
			c.abort()
		}
	})
	ping, err := cli.Ping(pingCtx, client.PingOptions{NegotiateAPIVersion: true})
	stopAborting()
	timedOut := expired.Load() || errors.Is(pingCtx.Err(), context.DeadlineExceeded)
	cancel()
	hdrMu.Lock()
	facts.PingResult = ping
	hdrMu.Unlock()
	dialMu.Lock()
	sshConns := pingConns
	pingConns = nil
	pingPassed, pingFailed = err == nil, err != nil
	dialMu.Unlock()
	if err == nil {
		return cli, facts, nil
	}
	dials.Wait()
	dialMu.Lock()
	sshConns = append(sshConns, pingConns...) // made by dials that ended since
	dialMu.Unlock()
	_ = cli.Close()
	// End every ssh the failed ping started before returning (the
	// transport would close them in its own time). One that failed by
	// itself says why in its own words; one stopped at the deadline tells
	// how far it got.
	var sshCause *sshError
	for _, c := range sshConns {
		c.abort()
	}
	for _, c := range sshConns {
		f := c.failure()
		if f == nil || (f.Stopped && !timedOut) {
			continue
		}
		if sshCause == nil || (sshCause.Stopped && !f.Stopped) {
			sshCause = f
		}
	}

	if ping.APIVersion != "" && versions.LessThan(ping.APIVersion, MinAPIVersion) {
		return nil, facts, &ConnectError{
			Endpoint: ep, Class: ClassAPITooOld, Err: err,
			ServerAPIVersion: ping.APIVersion, ServerVersion: serverVersionFromHeader(facts.Server),
		}
	}
	if ctxErr := ctx.Err(); ctxErr != nil {
		// The caller gave up (or its deadline was shorter than ours).
		class := ClassCanceled
		if errors.Is(ctxErr, context.DeadlineExceeded) {
			class = ClassTimeout
		}
		return fail(class, ctxErr)
	}
	dialMu.Lock()
	cause := dialErr
	dialMu.Unlock()
	if cause == nil && sshCause != nil {
		cause = sshCause
	}
	if cause == nil {
		cause = err
	}
	switch {
	case errors.Is(cause, context.DeadlineExceeded):
		cause = fmt.Errorf("the daemon did not answer in time: %w", cause)
	case timedOut && errors.Is(cause, context.Canceled):
		cause = fmt.Errorf("the daemon did not answer in time: %w", context.DeadlineExceeded)
	}
	return fail(Classify(cause), cause)
}

// tlsConfig builds the client TLS settings as the docker CLI does for an
// endpoint (cli/context/docker/load.go): the CA replaces the system roots,
// a client certificate needs both cert and key.
func tlsConfig(t TLS) (*tls.Config, error) {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: t.SkipVerify} // #nosec G402 -- the learner asked for it (SkipTLSVerify or DOCKER_TLS without verify)
	if t.CAFile != "" {
		data, err := os.ReadFile(t.CAFile)
		if err != nil {
			return nil, fmt.Errorf("read CA certificate: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(data) {
			return nil, fmt.Errorf("%s holds no PEM certificate", t.CAFile)
		}
		cfg.RootCAs = pool
	}
	if t.CertFile != "" && t.KeyFile != "" {
		pair, err := tls.LoadX509KeyPair(t.CertFile, t.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("client certificate %s with key %s: %w", t.CertFile, t.KeyFile, err)
		}
		cfg.Certificates = []tls.Certificate{pair}
	}
	return cfg, nil
}

// serverVersionFromHeader takes "20.10.24" out of "Docker/20.10.24 (linux)".
func serverVersionFromHeader(h string) string {
	product, _, _ := strings.Cut(h, " ")
	if _, v, ok := strings.Cut(product, "/"); ok {
		return v
	}
	return ""
}
