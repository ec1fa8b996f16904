package runner

import (
	"context"
	"encoding/binary"
	"fmt"
	"net"
	"sync"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"
)

// frame is one chunk of a container's output as the daemon multiplexes it
// on an attach stream: stream 1 is stdout, 2 stderr.
type frame struct {
	stream byte
	text   string
}

// fakeDaemon plays the Docker API: the "container" writes its frames once
// started, then exits with exitCode, unless hang is set.
type fakeDaemon struct {
	frames   []frame
	exitCode int64
	hang     bool
	// startBlocks makes ContainerStart wait for the caller's cancel, as a
	// slow daemon would.
	startBlocks bool
	// existing containers, by name or id.
	existing  map[string]container.InspectResponse
	listed    []container.Summary
	createErr error

	mu       sync.Mutex
	created  []client.ContainerCreateOptions
	removed  []string
	killed   []string
	started  bool
	listOpts []client.ContainerListOptions
	output   net.Conn // the daemon's end of the attach stream
	exited   chan container.WaitResponse
}

func newFake() *fakeDaemon {
	return &fakeDaemon{existing: map[string]container.InspectResponse{}, exited: make(chan container.WaitResponse, 1)}
}

func (f *fakeDaemon) ContainerCreate(ctx context.Context, opts client.ContainerCreateOptions) (client.ContainerCreateResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.created = append(f.created, opts)
	if f.createErr != nil {
		return client.ContainerCreateResult{}, f.createErr
	}
	return client.ContainerCreateResult{ID: "new-container-id"}, nil
}

func (f *fakeDaemon) ContainerAttach(ctx context.Context, id string, opts client.ContainerAttachOptions) (client.ContainerAttachResult, error) {
	mine, theirs := net.Pipe()
	f.mu.Lock()
	f.output = theirs
	f.mu.Unlock()
	return client.ContainerAttachResult{HijackedResponse: client.NewHijackedResponse(mine, "")}, nil
}

func (f *fakeDaemon) ContainerStart(ctx context.Context, id string, _ client.ContainerStartOptions) (client.ContainerStartResult, error) {
	if f.startBlocks {
		<-ctx.Done()
		return client.ContainerStartResult{}, ctx.Err()
	}
	f.mu.Lock()
	f.started = true
	out := f.output
	f.mu.Unlock()
	go func() {
		for _, fr := range f.frames {
			header := make([]byte, 8)
			header[0] = fr.stream
			binary.BigEndian.PutUint32(header[4:], uint32(len(fr.text)))
			if _, err := out.Write(append(header, fr.text...)); err != nil {
				return
			}
		}
		if f.hang {
			return
		}
		out.Close()
		f.exited <- container.WaitResponse{StatusCode: f.exitCode}
	}()
	return client.ContainerStartResult{}, nil
}

func (f *fakeDaemon) ContainerWait(ctx context.Context, id string, _ client.ContainerWaitOptions) client.ContainerWaitResult {
	result := make(chan container.WaitResponse, 1)
	errs := make(chan error, 1)
	go func() {
		select {
		case r := <-f.exited:
			result <- r
		case <-ctx.Done():
			errs <- ctx.Err()
		}
	}()
	return client.ContainerWaitResult{Result: result, Error: errs}
}

func (f *fakeDaemon) ContainerKill(ctx context.Context, id string, _ client.ContainerKillOptions) (client.ContainerKillResult, error) {
	f.mu.Lock()
	f.killed = append(f.killed, id)
	out := f.output
	f.mu.Unlock()
	out.Close()
	f.exited <- container.WaitResponse{StatusCode: 137}
	return client.ContainerKillResult{}, nil
}

func (f *fakeDaemon) ContainerRemove(ctx context.Context, id string, _ client.ContainerRemoveOptions) (client.ContainerRemoveResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.removed = append(f.removed, id)
	if f.output != nil {
		f.output.Close()
	}
	return client.ContainerRemoveResult{}, nil
}

func (f *fakeDaemon) ContainerList(ctx context.Context, opts client.ContainerListOptions) (client.ContainerListResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.listOpts = append(f.listOpts, opts)
	return client.ContainerListResult{Items: f.listed}, nil
}

func (f *fakeDaemon) ContainerInspect(ctx context.Context, name string, _ client.ContainerInspectOptions) (client.ContainerInspectResult, error) {
	c, ok := f.existing[name]
	if !ok {
		return client.ContainerInspectResult{}, fmt.Errorf("No such container: %s: %w", name, cerrdefs.ErrNotFound)
	}
	return client.ContainerInspectResult{Container: c}, nil
}

func existingContainer(id string, l map[string]string) container.InspectResponse {
	return container.InspectResponse{ID: id, Config: &container.Config{Labels: l}}
}

// lines gathers streamed lines for assertions.
type lines struct {
	mu  sync.Mutex
	got []Line
}

func (l *lines) add(line Line) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.got = append(l.got, line)
}

func (l *lines) all() []Line {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]Line(nil), l.got...)
}

func errNotFound() error { return cerrdefs.ErrNotFound }
