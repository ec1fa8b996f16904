package plain

import (
	"context"
	"io"
)

// plainInput is the plain mode's only reader of the learner's input. It
// reads in a goroutine of its own, so that an interrupt can end the loop
// while it waits, but only when the loop asks: one line per request, and
// nothing between requests, so an editor or a shell started meanwhile gets
// every key. It reads one byte at a time and never past the end of the
// line asked for: on a pipe, what follows stays there for whoever reads
// next (the editor, or the next prompt).
type plainInput struct {
	in       io.Reader
	requests chan inputRequest

	// Only the reading goroutine touches these.
	pending []byte // bytes read for a child that had ended, kept for the next line
	err     error  // the input's end (io.EOF) or its failure, for every later request
}

// inputRequest asks for the next line (reply) or for the input to go to a
// child process until it ends (forward).
type inputRequest struct {
	reply   chan<- lineResult
	forward *forwarding
}

type lineResult struct {
	line string
	err  error // io.EOF at the end of the input
}

// forwarding copies the input to a child's stdin until stop is closed or
// the child stops reading; to is closed when it ends, so the child sees
// the end of the input if the learner's input ends first.
type forwarding struct {
	to   io.WriteCloser
	stop <-chan struct{}
}

// maxLine bounds a line kept in memory; the rest of a longer one is dropped.
const maxLine = 64 << 10

func newPlainInput(ctx context.Context, in io.Reader) *plainInput {
	// One request may wait here while a forwarding ends: the loop never
	// has more than one line asked for.
	p := &plainInput{in: in, requests: make(chan inputRequest, 1)}
	go p.serve(ctx)
	return p
}

func (p *plainInput) serve(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case r := <-p.requests:
			if r.forward != nil {
				p.copyTo(r.forward)
				continue
			}
			line, err := p.readLine()
			r.reply <- lineResult{line: line, err: err} // buffered: never blocks
		}
	}
}

// request asks for the next line; the answer comes on the channel. It
// returns nil if ctx ended first.
func (p *plainInput) request(ctx context.Context) <-chan lineResult {
	reply := make(chan lineResult, 1)
	select {
	case p.requests <- inputRequest{reply: reply}:
		return reply
	case <-ctx.Done():
		return nil
	}
}

// forwardTo hands the input to a child until stop is closed.
func (p *plainInput) forwardTo(ctx context.Context, to io.WriteCloser, stop <-chan struct{}) {
	select {
	case p.requests <- inputRequest{forward: &forwarding{to: to, stop: stop}}:
	case <-ctx.Done():
		to.Close()
	}
}

func (p *plainInput) readByte() (byte, error) {
	if len(p.pending) > 0 {
		b := p.pending[0]
		p.pending = p.pending[1:]
		return b, nil
	}
	if p.err != nil {
		return 0, p.err
	}
	var buf [1]byte
	for {
		n, err := p.in.Read(buf[:])
		if n == 1 {
			if err != nil {
				p.err = err // the byte counts; the end comes with the next read
			}
			return buf[0], nil
		}
		if err != nil {
			p.err = err
			return 0, err
		}
	}
}

func (p *plainInput) unread(b byte) {
	p.pending = append([]byte{b}, p.pending...)
}

// readLine reads up to the end of the line, without the line ending. A
// last line without one counts; the end of the input comes after it.
func (p *plainInput) readLine() (string, error) {
	var line []byte
	for {
		b, err := p.readByte()
		if err != nil {
			if len(line) > 0 {
				return trimCR(line), nil
			}
			return "", err
		}
		if b == '\n' {
			return trimCR(line), nil
		}
		if len(line) < maxLine {
			line = append(line, b)
		}
	}
}

func trimCR(line []byte) string {
	if n := len(line); n > 0 && line[n-1] == '\r' {
		line = line[:n-1]
	}
	return string(line)
}

// copyTo forwards bytes one at a time, so that a child which reads one
// line and ends leaves the rest for the prompt. A byte read after the
// child ended is kept for the next line.
func (p *plainInput) copyTo(f *forwarding) {
	defer f.to.Close()
	for {
		select {
		case <-f.stop:
			return
		default:
		}
		b, err := p.readByte()
		if err != nil {
			return // closing f.to tells the child the input ended
		}
		select {
		case <-f.stop:
			p.unread(b)
			return
		default:
		}
		if _, err := f.to.Write([]byte{b}); err != nil {
			p.unread(b) // the child stopped reading: the byte is the prompt's
			return
		}
	}
}
