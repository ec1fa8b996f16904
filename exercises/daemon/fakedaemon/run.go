package fakedaemon

import (
	"bytes"
	"context"
	"net"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"
)

// Frame is one chunk of a container's output: stream 1 is stdout, 2
// stderr.
type Frame struct {
	Stream byte
	Text   string
}

// Program is what the containers started from now on do.
type Program struct {
	// Frames are written to an attached stream, in order, once started.
	Frames   []Frame
	ExitCode int
	// Hang keeps the container running until it is killed or removed.
	Hang bool
	// BlockStart makes ContainerStart wait for the caller to give up, as
	// a daemon that does not answer does.
	BlockStart bool
}

// Run sets what the containers started from now on do.
func (d *Daemon) Run(p Program) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.program = p
}

// ContainerAttach hands over the container's output stream, multiplexed
// in stdcopy frames as the daemon sends it.
func (d *Daemon) ContainerAttach(ctx context.Context, ref string, _ client.ContainerAttachOptions) (client.ContainerAttachResult, error) {
	if err := d.enter(ctx, "ContainerAttach"); err != nil {
		return client.ContainerAttachResult{}, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	c := d.container(ref)
	if c == nil {
		return client.ContainerAttachResult{}, NotFound("container", ref)
	}
	mine, theirs := net.Pipe()
	c.attach = theirs
	return client.ContainerAttachResult{HijackedResponse: client.NewHijackedResponse(mine, "")}, nil
}

// ContainerStart runs the program: its frames go to the attached stream
// and to the container's logs, then it exits, unless it hangs.
func (d *Daemon) ContainerStart(ctx context.Context, ref string, _ client.ContainerStartOptions) (client.ContainerStartResult, error) {
	if err := d.enter(ctx, "ContainerStart"); err != nil {
		return client.ContainerStartResult{}, err
	}
	d.mu.Lock()
	c, p := d.container(ref), d.program
	if c == nil {
		d.mu.Unlock()
		return client.ContainerStartResult{}, NotFound("container", ref)
	}
	d.mu.Unlock()
	if p.BlockStart {
		<-ctx.Done()
		return client.ContainerStartResult{}, ctx.Err()
	}
	d.mu.Lock()
	c.Running = true
	out, exited := c.attach, d.exitsOf(c)
	for _, f := range p.Frames {
		if f.Stream == 2 {
			c.Stderr += f.Text
		} else {
			c.Stdout += f.Text
		}
	}
	d.mu.Unlock()
	go func() {
		for _, f := range p.Frames {
			if out == nil {
				break
			}
			var frame bytes.Buffer
			writeFrame(&frame, f.Stream, f.Text)
			if _, err := out.Write(frame.Bytes()); err != nil {
				return
			}
		}
		if p.Hang {
			return
		}
		if out != nil {
			out.Close()
		}
		d.exit(c, p.ExitCode, exited)
	}()
	return client.ContainerStartResult{}, nil
}

// exitsOf is the container's exit channel; the caller holds d.mu.
func (d *Daemon) exitsOf(c *Container) chan container.WaitResponse {
	if c.exited == nil {
		c.exited = make(chan container.WaitResponse, 1)
	}
	return c.exited
}

func (d *Daemon) exit(c *Container, code int, exited chan container.WaitResponse) {
	d.mu.Lock()
	c.Running, c.ExitCode = false, code
	d.mu.Unlock()
	select {
	case exited <- container.WaitResponse{StatusCode: int64(code)}:
	default: // an exit nobody waits for
	}
}

// ContainerWait reports the container's next exit.
func (d *Daemon) ContainerWait(ctx context.Context, ref string, _ client.ContainerWaitOptions) client.ContainerWaitResult {
	result := make(chan container.WaitResponse, 1)
	errs := make(chan error, 1)
	if err := d.enter(ctx, "ContainerWait"); err != nil {
		errs <- err
		return client.ContainerWaitResult{Result: result, Error: errs}
	}
	d.mu.Lock()
	c := d.container(ref)
	if c == nil {
		d.mu.Unlock()
		errs <- NotFound("container", ref)
		return client.ContainerWaitResult{Result: result, Error: errs}
	}
	exited := d.exitsOf(c)
	d.mu.Unlock()
	go func() {
		select {
		case r := <-exited:
			result <- r
		case <-ctx.Done():
			errs <- ctx.Err()
		}
	}()
	return client.ContainerWaitResult{Result: result, Error: errs}
}

// ContainerKill ends the container as SIGKILL does: exit code 137.
func (d *Daemon) ContainerKill(ctx context.Context, ref string, _ client.ContainerKillOptions) (client.ContainerKillResult, error) {
	if err := d.enter(ctx, "ContainerKill"); err != nil {
		return client.ContainerKillResult{}, err
	}
	d.mu.Lock()
	c := d.container(ref)
	if c == nil {
		d.mu.Unlock()
		return client.ContainerKillResult{}, NotFound("container", ref)
	}
	out, exited := c.attach, d.exitsOf(c)
	d.mu.Unlock()
	if out != nil {
		out.Close()
	}
	d.exit(c, 137, exited)
	return client.ContainerKillResult{}, nil
}
