package fakedaemon

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"strings"
	"testing"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/api/pkg/stdcopy"
	"github.com/moby/moby/client"
)

// The fake's errors read as the client's do.
func TestErrorsReadAsTheClientsDo(t *testing.T) {
	if err := ConnectionRefused(); !client.IsErrConnectionFailed(err) {
		t.Fatalf("ConnectionRefused() = %v, not a failed connection", err)
	}
	d := New()
	if _, err := d.ImageInspect(context.Background(), "nope"); !cerrdefs.IsNotFound(err) {
		t.Fatalf("missing image: %v", err)
	}
	d.Stop()
	if _, err := d.ContainerList(context.Background(), client.ContainerListOptions{}); !client.IsErrConnectionFailed(err) {
		t.Fatalf("stopped daemon: %v", err)
	}
}

// The raw inspect JSON reaches the buffer the client option names, as the
// leak scanner reads it.
func TestRawInspect(t *testing.T) {
	d := New()
	d.AddImage(Image{ID: "sha256:abc", Tags: []string{"x:1"}, Env: []string{"A=b"}})
	var raw bytes.Buffer
	res, err := d.ImageInspect(context.Background(), "x:1", client.ImageInspectWithRawResponse(&raw))
	if err != nil || res.ID != "sha256:abc" {
		t.Fatalf("inspect: %+v, %v", res, err)
	}
	var got struct {
		ID     string `json:"Id"`
		Config struct{ Env []string }
	}
	if err := json.Unmarshal(raw.Bytes(), &got); err != nil || got.ID != "sha256:abc" || strings.Join(got.Config.Env, ",") != "A=b" {
		t.Fatalf("raw %s: %+v, %v", raw.Bytes(), got, err)
	}
}

// Logs come in the daemon's stdcopy frames unless the container has a
// terminal.
func TestLogsFraming(t *testing.T) {
	d := New()
	d.AddImage(Image{Tags: []string{"x:1"}})
	d.AddContainer(Container{Name: "framed", Image: "x:1", Stdout: "out\n", Stderr: "err\n"})
	d.AddContainer(Container{Name: "tty", Image: "x:1", Tty: true, Stdout: "raw\r\n"})
	logs, err := d.ContainerLogs(context.Background(), "framed", client.ContainerLogsOptions{ShowStdout: true, ShowStderr: true})
	if err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	if _, err := stdcopy.StdCopy(&out, &errOut, logs); err != nil || out.String() != "out\n" || errOut.String() != "err\n" {
		t.Fatalf("framed: %q %q %v", out.String(), errOut.String(), err)
	}
	logs, _ = d.ContainerLogs(context.Background(), "tty", client.ContainerLogsOptions{ShowStdout: true})
	if b, _ := io.ReadAll(logs); string(b) != "raw\r\n" {
		t.Fatalf("tty: %q", b)
	}
}
