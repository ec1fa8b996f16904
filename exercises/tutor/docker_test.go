package tutor

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"syscall"
	"testing"

	"github.com/dockertutor/dockertutor/exercises/builder"
	"github.com/dockertutor/dockertutor/exercises/daemon/fakedaemon"
	"github.com/dockertutor/dockertutor/exercises/runner"
)

// A lost daemon is told from a failure by the error's type, never by its
// words: the classification must hold whatever the message says.
func TestConnectionErrorsAreToldByType(t *testing.T) {
	// What the HTTP client returns when the daemon's end of a call under
	// way goes away: a *url.Error around a *net.OpError around the errno.
	midCall := func(errno syscall.Errno) error {
		return &url.Error{Op: "Post", URL: "http://docker/build", Err: &net.OpError{Op: "read", Net: "unix", Err: os.NewSyscallError("read", errno)}}
	}
	for _, c := range []struct {
		name string
		err  error
		want bool
	}{
		{"no daemon at the socket", fakedaemon.ConnectionRefused(), true},
		{"refused mid-call", midCall(syscall.ECONNREFUSED), true},
		{"reset mid-call", midCall(syscall.ECONNRESET), true},
		{"pipe cut mid-run", fmt.Errorf("wait for the container: %w", midCall(syscall.EPIPE)), true},
		{"a build that lost its daemon", fmt.Errorf("%w (did it stop or restart?): %w", builder.ErrDaemonLost, io.ErrUnexpectedEOF), true},
		{"a failed build", &builder.BuildError{Builder: builder.BuildKit, Message: "exit code 1"}, false},
		{"an aborted run", runner.ErrAborted, false},
		{"a truncated export", fmt.Errorf("read layer: %w", io.ErrUnexpectedEOF), false},
		{"words alone", errors.New("connection reset by the daemon: EOF"), false},
	} {
		if got := isConnectionError(c.err); got != c.want {
			t.Errorf("%s (%v): isConnectionError = %v, want %v", c.name, c.err, got, c.want)
		}
	}
}
