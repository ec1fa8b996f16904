package tutor

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sync/atomic"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/fsnotify/fsnotify"
	"github.com/moby/moby/api/types/events"
	"github.com/moby/moby/client"

	"github.com/dockertutor/dockertutor/exercises/daemon"
	"github.com/dockertutor/dockertutor/lessons"
)

// Watch timings.
const (
	// Debounce gathers the burst of events an editor's save makes into one.
	Debounce = 250 * time.Millisecond
	// PollInterval is how often the step folder is scanned with --poll.
	PollInterval = time.Second
	// reconnectDelay is the first wait before the events stream is
	// reopened after the daemon went away; it doubles up to a few seconds.
	reconnectDelay = 500 * time.Millisecond
	// ImagePollInterval is how often the step's images are looked at
	// beside the event stream: BuildKit on Docker 20.10 tags what it
	// builds without an event, so a learner's `docker build` with the
	// buildx plugin shows only as the name pointing at another image.
	ImagePollInterval = time.Second
)

// Watch reports reasons to re-check the step: changes in its folder
// (fsnotify, or polling with Options.Poll) and daemon events about its
// images and containers. The channel is closed when ctx ends. Changes are
// coalesced: a slow reader gets the latest reason, not a backlog.
func (s *Session) Watch(ctx context.Context, st *lessons.Step) (<-chan Change, error) {
	dir := s.Work.StepDir(st)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	p, _ := s.Progress()
	images := s.StepImages(st, s.Values(st, p))

	raw := make(chan Change, 16)
	out := make(chan Change, 1)
	var fileWatch func()
	if s.poll {
		fileWatch = func() { pollDir(ctx, dir, raw) }
	} else {
		w, err := fsnotify.NewWatcher()
		if err != nil {
			fileWatch = func() { pollDir(ctx, dir, raw) } // no inotify left: poll
		} else {
			addTree(w, dir)
			fileWatch = func() { notifyDir(ctx, w, dir, raw) }
		}
	}
	go fileWatch()
	if len(images) > 0 {
		var told eventClock
		go s.watchDaemon(ctx, images, raw, &told)
		go s.pollImages(ctx, images, raw, &told)
	}
	go debounce(ctx, raw, out)
	return out, nil
}

// debounce forwards the last change of each burst once the burst is over.
func debounce(ctx context.Context, in <-chan Change, out chan Change) {
	defer close(out)
	var (
		pending *Change
		timer   <-chan time.Time
	)
	for {
		select {
		case <-ctx.Done():
			return
		case c := <-in:
			pending = &c
			timer = time.After(Debounce)
		case <-timer:
			if pending == nil {
				continue
			}
			select {
			case out <- *pending:
			default: // the reader has one waiting already: replace it
				select {
				case <-out:
				default:
				}
				out <- *pending
			}
			pending, timer = nil, nil
		}
	}
}

func send(ctx context.Context, ch chan<- Change, reason string) {
	select {
	case ch <- Change{Time: time.Now(), Reason: reason}:
	case <-ctx.Done():
	}
}

func addTree(w *fsnotify.Watcher, dir string) {
	_ = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.IsDir() {
			_ = w.Add(p)
		}
		return nil
	})
}

func notifyDir(ctx context.Context, w *fsnotify.Watcher, dir string, out chan<- Change) {
	defer w.Close()
	for {
		select {
		case <-ctx.Done():
			return
		case ev, ok := <-w.Events:
			if !ok {
				return
			}
			if ev.Has(fsnotify.Create) {
				if fi, err := os.Stat(ev.Name); err == nil && fi.IsDir() {
					addTree(w, ev.Name)
				}
			}
			if ev.Has(fsnotify.Chmod) && !ev.Has(fsnotify.Write) {
				continue // touch and indexers: nothing to re-check
			}
			rel, _ := filepath.Rel(dir, ev.Name)
			send(ctx, out, filepath.ToSlash(rel)+" changed")
		case _, ok := <-w.Errors:
			if !ok {
				return
			}
		}
	}
}

type fileStamp struct {
	size int64
	mod  time.Time
}

func snapshot(dir string) map[string]fileStamp {
	m := map[string]fileStamp{}
	_ = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		if fi, err := d.Info(); err == nil {
			m[p] = fileStamp{fi.Size(), fi.ModTime()}
		}
		return nil
	})
	return m
}

// pollDir compares the folder's file sizes and times every PollInterval,
// for file systems where change events do not arrive.
func pollDir(ctx context.Context, dir string, out chan<- Change) {
	prev := snapshot(dir)
	t := time.NewTicker(PollInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			cur := snapshot(dir)
			for p, st := range cur {
				if old, ok := prev[p]; !ok || old != st {
					rel, _ := filepath.Rel(dir, p)
					send(ctx, out, filepath.ToSlash(rel)+" changed")
				}
			}
			for p := range prev {
				if _, ok := cur[p]; !ok {
					rel, _ := filepath.Rel(dir, p)
					send(ctx, out, filepath.ToSlash(rel)+" removed")
				}
			}
			prev = cur
		}
	}
}

// watchDaemon follows the daemon's events about the step's images and
// their containers, reopening the stream when the daemon comes back.
// eventClock is when the event stream last told of one of the step's
// images, so that the poll does not tell the same change again.
type eventClock struct{ at atomic.Int64 }

func (c *eventClock) tick()                  { c.at.Store(time.Now().UnixNano()) }
func (c *eventClock) since(t time.Time) bool { return c.at.Load() >= t.UnixNano() }

func (s *Session) watchDaemon(ctx context.Context, images []string, out chan<- Change, told *eventClock) {
	delay := reconnectDelay
	for ctx.Err() == nil {
		cli, err := s.conn.get(ctx)
		if err == nil {
			delay = reconnectDelay
			err = s.followEvents(ctx, cli, images, out, told)
		}
		if ctx.Err() != nil {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(delay):
		}
		delay = min(delay*2, 5*time.Second)
	}
}

func (s *Session) followEvents(ctx context.Context, cli daemon.Client, images []string, out chan<- Change, told *eventClock) error {
	f := make(client.Filters).Add("type", string(events.ImageEventType), string(events.ContainerEventType))
	res := cli.Events(ctx, client.EventsListOptions{Filters: f})
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case err := <-res.Err:
			s.conn.drop()
			return err
		case m := <-res.Messages:
			if reason, ok := concerns(m, images); ok {
				told.tick()
				send(ctx, out, reason)
			}
		}
	}
}

// pollImages reports a step's image that names another image than it did
// a moment ago, that appeared or that went, whatever event the daemon
// logged for it or not. Until the daemon answers there is nothing to
// compare with: the event stream's reconnects tell of that.
func (s *Session) pollImages(ctx context.Context, images []string, out chan<- Change, told *eventClock) {
	ids := map[string]string{}
	known := false
	tick := time.NewTicker(ImagePollInterval)
	defer tick.Stop()
	last := time.Now()
	for {
		asked := time.Now()
		now, ok := s.imageIDs(ctx, images)
		// A change the event stream told of since the last look is told.
		if ok && known && !told.since(last) {
			for _, name := range images {
				switch was, is := ids[name], now[name]; {
				case was == is:
				case is == "":
					send(ctx, out, "image "+name+" removed")
				default:
					send(ctx, out, "image "+name+" built")
				}
			}
		}
		if ok {
			ids, known, last = now, true, asked
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// imageIDs is what each name points at, "" for nothing; false when the
// daemon could not say for every name.
func (s *Session) imageIDs(ctx context.Context, images []string) (map[string]string, bool) {
	cli, err := s.conn.get(ctx)
	if err != nil {
		return nil, false
	}
	ids := make(map[string]string, len(images))
	for _, name := range images {
		img, err := cli.ImageInspect(ctx, name)
		switch {
		case err == nil:
			ids[name] = img.ID
		case cerrdefs.IsNotFound(err):
			ids[name] = ""
		default:
			return nil, false
		}
	}
	return ids, true
}

// concerns says whether a daemon event is about one of the step's images
// or a container made from one, and why in words.
func concerns(m events.Message, images []string) (string, bool) {
	matches := func(name string) bool {
		return name != "" && slices.ContainsFunc(images, func(img string) bool { return daemon.NamesImage(name, img) })
	}
	switch m.Type {
	case events.ImageEventType:
		name := m.Actor.Attributes["name"]
		if matches(name) {
			return "image " + name + " " + pastTense(string(m.Action)), true
		}
	case events.ContainerEventType:
		switch m.Action {
		case events.ActionStart, events.ActionDie, events.ActionDestroy, events.ActionCreate:
			if img := m.Actor.Attributes["image"]; matches(img) {
				return "container " + m.Actor.Attributes["name"] + " of " + img + " " + pastTense(string(m.Action)), true
			}
		}
	}
	return "", false
}

func pastTense(action string) string {
	switch action {
	case "tag":
		return "tagged"
	case "untag":
		return "untagged"
	case "delete":
		return "removed"
	case "start":
		return "started"
	case "die":
		return "exited"
	case "destroy":
		return "removed"
	case "create":
		return "created"
	}
	return action
}
