package leak

import (
	"io"
	"sync"
)

// readAhead runs a reader in a goroutine of its own, a few buffers ahead
// of the consumer. The scanner puts a layer's decompressor behind one: on
// the two cores of a small machine, inflating the next buffer overlaps
// with searching this one, and the export keeps flowing from the daemon
// while a buffer is searched, instead of waiting in the socket until the
// single reader comes back for it. Memory is bounded by the buffers it is
// given; the consumer sees one continuous stream, whatever their size.
type readAhead struct {
	full chan []byte // buffers read, in order; closed when the goroutine ends
	free chan []byte // buffers the consumer is done with
	stop chan struct{}
	done chan struct{}
	once sync.Once
	err  error  // why the source ended; read only after full is closed
	cur  []byte // what is left of the buffer being consumed
	held []byte // the buffer cur points into, given back once used up
}

// newReadAhead starts reading src into bufs, which the caller must not
// touch until close has returned.
func newReadAhead(src io.Reader, bufs [][]byte) *readAhead {
	r := &readAhead{
		full: make(chan []byte, len(bufs)),
		free: make(chan []byte, len(bufs)),
		stop: make(chan struct{}),
		done: make(chan struct{}),
	}
	for _, b := range bufs {
		r.free <- b
	}
	go r.run(src)
	return r
}

func (r *readAhead) run(src io.Reader) {
	defer close(r.done)
	defer close(r.full)
	for {
		var buf []byte
		select {
		case buf = <-r.free:
		case <-r.stop:
			return
		}
		n, err := fill(src, buf[:cap(buf)])
		if n > 0 {
			select {
			case r.full <- buf[:n]:
			case <-r.stop:
				return
			}
		}
		if err != nil {
			r.err = err
			return
		}
	}
}

// Read hands out the buffers in order and, at the end, the source's own
// error (io.EOF for a clean end).
func (r *readAhead) Read(p []byte) (int, error) {
	for len(r.cur) == 0 {
		if r.held != nil {
			r.free <- r.held // never blocks: free has room for every buffer
			r.held = nil
		}
		buf, ok := <-r.full
		if !ok {
			return 0, r.err
		}
		r.held, r.cur = buf, buf
	}
	n := copy(p, r.cur)
	r.cur = r.cur[n:]
	return n, nil
}

// close stops the goroutine and waits until it has let go of the source
// and the buffers. A read it is blocked in ends with the source: an export
// body ends when the scan's context is cancelled.
func (r *readAhead) close() {
	r.once.Do(func() { close(r.stop) })
	<-r.done
}
