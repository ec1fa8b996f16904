package runner

import (
	"sync"
	"testing"

	"github.com/dockertutor/dockertutor/exercises/daemon/fakedaemon"
)

// newFake is a fake daemon holding the images the tests run.
func newFake(t *testing.T) *fakedaemon.Daemon {
	t.Helper()
	d := fakedaemon.New()
	d.AddImage(fakedaemon.Image{Tags: []string{"i"}})
	d.AddImage(fakedaemon.Image{Tags: []string{"envtest:1"}})
	return d
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
