package leak

import (
	"io"
	"sync"
)

// readAhead reads its source in a goroutine, a few chunks ahead of the
// consumer, so the daemon keeps streaming the export while the scanner
// searches what already arrived. Memory is bounded by chunks x size.
type readAhead struct {
	full chan []byte // chunks read, in order
	free chan []byte // chunks the consumer is done with
	stop chan struct{}
	once sync.Once
	done chan struct{}
	err  error // the source's error, readable once full is closed
	cur  []byte
	buf  []byte // the chunk cur points into, returned to free when used
}

func newReadAhead(src io.Reader, size, chunks int) *readAhead {
	r := &readAhead{
		full: make(chan []byte, chunks),
		free: make(chan []byte, chunks+1),
		stop: make(chan struct{}),
		done: make(chan struct{}),
	}
	for range chunks + 1 {
		r.free <- make([]byte, size)
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

func (r *readAhead) Read(p []byte) (int, error) {
	for len(r.cur) == 0 {
		if r.buf != nil {
			r.free <- r.buf
			r.buf = nil
		}
		chunk, ok := <-r.full
		if !ok {
			return 0, r.err
		}
		r.buf, r.cur = chunk, chunk
	}
	n := copy(p, r.cur)
	r.cur = r.cur[n:]
	return n, nil
}

// close stops the reader goroutine. The caller closes the source as well,
// which unblocks a read in progress.
func (r *readAhead) close() {
	r.once.Do(func() { close(r.stop) })
}
