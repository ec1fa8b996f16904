package fakedaemon

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/api/pkg/stdcopy"
	"github.com/moby/moby/api/types/events"
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

// A stream without an Until follows the log as `docker events` does: it
// gets what happens after it opened, passes the filters, and ends with the
// connection error when the daemon stops, or with its context.
func TestEventsFollowTheLog(t *testing.T) {
	d := New()
	d.AddEvent(events.Message{Type: events.ImageEventType, Action: events.ActionTag, Actor: events.Actor{Attributes: map[string]string{"name": "old:1"}}})
	res := d.Events(context.Background(), client.EventsListOptions{Filters: make(client.Filters).Add("type", string(events.ImageEventType))})
	waitFollowing(t, d, 1)
	d.AddEvent(events.Message{Type: events.ContainerEventType, Action: events.ActionStart})
	d.AddEvent(events.Message{Type: events.ImageEventType, Action: events.ActionTag, Actor: events.Actor{Attributes: map[string]string{"name": "new:1"}}})
	select {
	case m := <-res.Messages:
		if m.Actor.Attributes["name"] != "new:1" {
			t.Fatalf("first message %+v: the stream replayed the past or skipped its filter", m)
		}
	case err := <-res.Err:
		t.Fatalf("the stream ended: %v", err)
	case <-time.After(5 * time.Second):
		t.Fatal("an event added after the stream opened never came")
	}
	d.Stop()
	select {
	case err := <-res.Err:
		if !client.IsErrConnectionFailed(err) {
			t.Fatalf("a stopped daemon ended the stream with %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the stream outlived the daemon")
	}
	if n := d.Following(); n != 0 {
		t.Fatalf("%d streams still follow a stopped daemon", n)
	}

	d.Start()
	ctx, cancel := context.WithCancel(context.Background())
	res = d.Events(ctx, client.EventsListOptions{})
	waitFollowing(t, d, 1)
	cancel()
	if err := <-res.Err; !errors.Is(err, context.Canceled) {
		t.Fatalf("a cancelled stream ended with %v", err)
	}
	waitFollowing(t, d, 0)
}

func waitFollowing(t *testing.T, d *Daemon, n int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for d.Following() != n {
		if time.Now().After(deadline) {
			t.Fatalf("%d streams follow the log, want %d", d.Following(), n)
		}
		time.Sleep(time.Millisecond)
	}
}

// ServerVersion answers what the test set.
func TestSetVersion(t *testing.T) {
	d := New()
	d.SetVersion(client.ServerVersionResult{Version: "28.5.1", APIVersion: "1.51", Os: "linux"})
	if v, err := d.ServerVersion(context.Background(), client.ServerVersionOptions{}); err != nil || v.Version != "28.5.1" || v.APIVersion != "1.51" {
		t.Fatalf("version %+v, %v", v, err)
	}
}
