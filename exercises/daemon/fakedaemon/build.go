package fakedaemon

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"slices"
	"strings"

	"github.com/moby/moby/client"
	"golang.org/x/net/http2"
)

// BuildOutput answers a build request with the daemon's response body:
// the JSON message stream of a classic build or BuildKit's trace.
type BuildOutput func(ctx context.Context, options client.ImageBuildOptions) (io.ReadCloser, error)

// OnBuild sets how the daemon answers builds; without it a build fails.
func (d *Daemon) OnBuild(out BuildOutput) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.build = out
}

// SetPing sets what Ping answers (API version, OS, builder version).
func (d *Daemon) SetPing(p client.PingResult) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.ping = p
}

// Builds lists the build requests, in order.
func (d *Daemon) Builds() []client.ImageBuildOptions {
	d.mu.Lock()
	defer d.mu.Unlock()
	return slices.Clone(d.builds)
}

// BuildContext is the last classic build's context: file name to content,
// folders as "name/".
func (d *Daemon) BuildContext() map[string]string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.context
}

// Cancelled lists the build IDs BuildCancel was called with.
func (d *Daemon) Cancelled() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return slices.Clone(d.cancelled)
}

// CloseSessions hangs up the BuildKit sessions the daemon holds.
func (d *Daemon) CloseSessions() {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, c := range d.sessions {
		c.Close()
	}
}

func (d *Daemon) ImageBuild(ctx context.Context, body io.Reader, options client.ImageBuildOptions) (client.ImageBuildResult, error) {
	d.mu.Lock()
	d.builds = append(d.builds, options)
	out := d.build
	d.mu.Unlock()
	if err := d.enter(ctx, "ImageBuild"); err != nil {
		return client.ImageBuildResult{}, err
	}
	if body != nil {
		files, err := readTar(body)
		if err != nil {
			return client.ImageBuildResult{}, err
		}
		d.mu.Lock()
		d.context = files
		d.mu.Unlock()
	}
	if out == nil {
		return client.ImageBuildResult{}, fmt.Errorf("fakedaemon: no build output set (OnBuild)")
	}
	rc, err := out(ctx, options)
	if err != nil {
		return client.ImageBuildResult{}, err
	}
	return client.ImageBuildResult{Body: rc}, nil
}

func (d *Daemon) BuildCancel(ctx context.Context, id string, _ client.BuildCancelOptions) (client.BuildCancelResult, error) {
	d.mu.Lock()
	d.cancelled = append(d.cancelled, id)
	d.mu.Unlock()
	return client.BuildCancelResult{}, d.enter(ctx, "BuildCancel")
}

// DialHijack opens a BuildKit session. The session serves gRPC on the
// caller's end; the daemon's end only opens the HTTP/2 connection, as the
// daemon does, and reads what comes.
func (d *Daemon) DialHijack(ctx context.Context, _, _ string, _ map[string][]string) (net.Conn, error) {
	if err := d.enter(ctx, "DialHijack"); err != nil {
		return nil, err
	}
	mine, theirs := net.Pipe()
	d.mu.Lock()
	d.sessions = append(d.sessions, theirs)
	d.mu.Unlock()
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

// Dialer has no raw connection to give: the fake speaks the client's
// methods, not HTTP. A test of a raw request wraps the fake with a dialer
// of its own.
func (d *Daemon) Dialer() func(context.Context) (net.Conn, error) {
	return func(ctx context.Context) (net.Conn, error) {
		if err := d.enter(ctx, "Dialer"); err != nil {
			return nil, err
		}
		return nil, errors.New("fakedaemon: no raw connection to the daemon")
	}
}
