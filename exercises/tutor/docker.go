package tutor

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"syscall"
	"time"

	"github.com/moby/moby/client"

	"github.com/dockertutor/dockertutor/exercises/builder"
	"github.com/dockertutor/dockertutor/exercises/daemon"
	"github.com/dockertutor/dockertutor/exercises/engine"
)

// connection is the session's lazily opened Docker client. A failed call
// drops it so the next one reconnects: the daemon may come back.
type connection struct {
	connect func(ctx context.Context) (daemon.Client, error)

	mu  sync.Mutex
	cli daemon.Client
}

// DefaultConnect opens a client to the daemon the learner's Docker CLI
// would use (DOCKER_HOST, then the current context, then the platform's
// socket): the connection of a session whose Options leave Connect nil.
func DefaultConnect(ctx context.Context) (daemon.Client, error) {
	ep, err := engine.Resolve()
	if err != nil {
		return nil, err
	}
	// A nil *client.Client in the interface would not read as nil.
	cli, err := engine.Connect(ctx, ep)
	if err != nil {
		return nil, err
	}
	return cli, nil
}

func (c *connection) get(ctx context.Context) (daemon.Client, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cli != nil {
		return c.cli, nil
	}
	cli, err := c.connect(ctx)
	if err != nil {
		return nil, err
	}
	c.cli = daemon.RememberVersion(cli)
	return c.cli, nil
}

// drop forgets a client that failed, so the next call reconnects.
func (c *connection) drop() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cli != nil {
		c.cli.Close()
		c.cli = nil
	}
}

func (c *connection) close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cli == nil {
		return nil
	}
	err := c.cli.Close()
	c.cli = nil
	return err
}

// Docker returns the session's Docker client, connecting on first use.
func (s *Session) Docker(ctx context.Context) (daemon.Client, error) { return s.conn.get(ctx) }

// ErrUnreachable wraps every failure to reach the daemon (exit code 3).
var ErrUnreachable = errors.New("Docker is not reachable")

// DockerStatus says whether the daemon answers, where it is, and what it
// runs; when it does not answer, why and what to do, in a sentence each.
func (s *Session) DockerStatus(ctx context.Context) DockerStatus {
	ep, rerr := engine.Resolve()
	st := DockerStatus{Endpoint: ep.Host, Source: ep.Source}
	cli, err := s.conn.get(ctx)
	if err == nil {
		ctx2, cancel := context.WithTimeout(ctx, engine.PingTimeout)
		defer cancel()
		// The ping says the daemon is still there (the status line asks
		// every few seconds); what it is, the connection remembers.
		var v client.ServerVersionResult
		if _, err = cli.Ping(ctx2, client.PingOptions{}); err == nil {
			v, err = cli.ServerVersion(ctx2, client.ServerVersionOptions{})
		}
		if err == nil {
			st.Reachable = true
			st.Engine, st.Version, st.API = "Docker", v.Version, v.APIVersion
			st.Builder = "BuildKit"
			if v.Os == "windows" {
				st.Builder = "classic"
			}
			if podman, version := daemon.PodmanOf(v); podman {
				st.Engine, st.Version, st.Builder = "Podman", version, "Buildah"
			}
			return st
		}
		s.conn.drop()
	}
	if rerr != nil {
		err = rerr
	}
	// The same explanation and every fix doctor gives (such as unsetting a
	// DOCKER_HOST that points nowhere), not only the first.
	p := engine.Explain(ep, err)
	st.Problem, st.Fix = p.Message, p.FixText(runtime.GOOS)
	return st
}

// since is the time taken since t, on the session's clock.
func (s *Session) since(t time.Time) string {
	return s.now().Sub(t).Round(100 * time.Millisecond).String()
}

func unreachable(err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%w: %w", ErrUnreachable, err)
}

// isConnectionError reports whether err means the daemon went away: the
// client could not reach it, a build lost it, or the connection of a call
// under way was refused, reset or cut.
func isConnectionError(err error) bool {
	return client.IsErrConnectionFailed(err) || errors.Is(err, builder.ErrDaemonLost) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
}
