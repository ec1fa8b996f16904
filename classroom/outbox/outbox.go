// Package outbox is the learner's side of a class: their membership (the
// server, their token), the durable, ordered outbox of what their tutor
// reports, and the one sender that delivers it. Everything lives in a
// folder of the learner's state folder, beside their progress, so a
// learner offline for an hour, a tutor killed mid-append or a server
// restarted loses no event.
//
// Several processes may use one folder at once (the full screen and a
// `dockertutor check` in another terminal): each appends under a file
// lock that assigns seqs, and only the process holding the sender's lock
// delivers; the others only append.
package outbox

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"

	"github.com/gofrs/flock"

	"github.com/dockertutor/dockertutor/classroom/wire"
)

// Folder is the name of the class folder inside the learner's state folder.
const Folder = "class"

// The files of the class folder.
const (
	membershipFile = "membership.json"
	outboxFile     = "outbox.jsonl"
	appendLockFile = "outbox.lock"
	senderLockFile = "sender.lock"
	deliveryFile   = "delivery.json"
	readinessFile  = "readiness.json"
	// leftFile is the membership of the class the learner left: joining
	// it again shows its token (see Join).
	leftFile = "left.json"
)

// compactAfter is how many delivered events the outbox keeps before it is
// rewritten without them: a few, so that a server that lost its last
// answers can be sent them again, not so many that appending slows.
const compactAfter = 256

// Box is one learner's class folder.
type Box struct {
	dir    string
	mu     sync.Mutex // orders this process's appends before the file lock
	append *flock.Flock
	wake   chan struct{}

	errMu     sync.Mutex
	appendErr error // the last append that failed, until one succeeds
}

// Open returns the class folder in the learner's state folder; nothing is
// created until the learner joins.
func Open(stateDir string) *Box {
	dir := filepath.Join(stateDir, Folder)
	return &Box{dir: dir, append: flock.New(filepath.Join(dir, appendLockFile)), wake: make(chan struct{}, 1)}
}

// Dir is the class folder, for messages.
func (b *Box) Dir() string { return b.dir }

func (b *Box) path(name string) string { return filepath.Join(b.dir, name) }

// Append gives the events the next seqs, in order, and adds them to the
// outbox with one fsync. An event that is not well formed is a bug: none
// of the events is appended and the error says which.
func (b *Box) Append(events ...wire.Event) error {
	if len(events) == 0 {
		return nil
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if err := b.lockAppends(); err != nil {
		return err
	}
	defer b.append.Unlock()

	f, err := os.OpenFile(b.path(outboxFile), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	defer f.Close()
	last, end, err := lastSeq(f)
	if err != nil {
		return err
	}
	d, err := b.readDelivery()
	if err != nil {
		return err
	}
	seq := max(last, d.Acked)
	var buf bytes.Buffer
	for _, e := range events {
		seq++
		e.Seq = seq
		if err := e.Validate(); err != nil {
			return fmt.Errorf("a %s event the tutor made is not well formed (a bug; it is not sent): %w", e.Kind, err)
		}
		line, err := json.Marshal(e)
		if err != nil {
			return err
		}
		buf.Write(line)
		buf.WriteByte('\n')
	}
	// A torn last line (a crash mid-append) is cut off before the new
	// lines, which would otherwise continue it.
	if err := f.Truncate(end); err != nil {
		return err
	}
	if _, err := f.WriteAt(buf.Bytes(), end); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	select {
	case b.wake <- struct{}{}:
	default:
	}
	return nil
}

// lockAppends takes the lock that orders appends and compaction; the class
// folder is made on the way (0700: it holds the learner's token).
func (b *Box) lockAppends() error {
	if err := os.MkdirAll(b.dir, 0o700); err != nil {
		return fmt.Errorf("cannot create the class folder: %w", err)
	}
	if err := b.append.Lock(); err != nil {
		return fmt.Errorf("cannot lock %s: %w", b.append.Path(), err)
	}
	return nil
}

// tailBytes is how much of the outbox's end lastSeq reads: many times the
// longest event line.
const tailBytes = 256 << 10

// lastSeq reads the seq of the outbox's last whole line and where that
// line ends (what follows it is a torn line).
func lastSeq(f *os.File) (seq, end int64, err error) {
	size, err := f.Seek(0, io.SeekEnd)
	if err != nil {
		return 0, 0, err
	}
	start := max(0, size-tailBytes)
	data := make([]byte, size-start)
	if _, err := f.ReadAt(data, start); err != nil && !errors.Is(err, io.EOF) {
		return 0, 0, err
	}
	cut := bytes.LastIndexByte(data, '\n')
	if cut < 0 {
		return 0, start, nil
	}
	end = start + int64(cut) + 1
	whole := data[:cut]
	for len(whole) > 0 {
		i := bytes.LastIndexByte(whole, '\n')
		var e wire.Event
		if json.Unmarshal(whole[i+1:], &e) == nil && e.Seq > 0 {
			return e.Seq, end, nil
		}
		if i < 0 {
			break
		}
		whole = whole[:i]
	}
	return 0, end, nil
}

// readEvents reads the outbox's events after acked, oldest first, at most
// limit of them (0: all). A last line without its newline is torn (a crash
// mid-append, or an append under way in another process): it is not an
// event yet, since the next append may cut it off and give its seq again.
// A line that cannot be read is passed over.
func (b *Box) readEvents(acked int64, limit int) ([]wire.Event, error) {
	data, err := os.ReadFile(b.path(outboxFile))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []wire.Event
	for line := range bytes.Lines(data) {
		var e wire.Event
		if !bytes.HasSuffix(line, []byte("\n")) || json.Unmarshal(line, &e) != nil || e.Seq <= acked {
			continue
		}
		out = append(out, e)
		if limit > 0 && len(out) == limit {
			break
		}
	}
	return out, nil
}

// Waiting counts the events not yet delivered.
func (b *Box) Waiting() (int, error) {
	d, err := b.readDelivery()
	if err != nil {
		return 0, err
	}
	es, err := b.readEvents(d.Acked, 0)
	return len(es), err
}

// compact rewrites the outbox without the events up to acked, when enough
// of them have piled up (or always, when force is set).
func (b *Box) compact(acked int64, force bool) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if err := b.lockAppends(); err != nil {
		return err
	}
	defer b.append.Unlock()
	data, err := os.ReadFile(b.path(outboxFile))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	var keep bytes.Buffer
	var last []byte // the last delivered event, kept
	dropped := 0
	for line := range bytes.Lines(data) {
		var e wire.Event
		if !bytes.HasSuffix(line, []byte("\n")) || json.Unmarshal(line, &e) != nil {
			dropped++ // a torn or unreadable line is never delivered
			continue
		}
		if e.Seq <= acked {
			if last != nil {
				dropped++
			}
			last = line
			continue
		}
		keep.Write(line)
	}
	if dropped == 0 || (!force && dropped < compactAfter) {
		return nil
	}
	// The last delivered event stays (readEvents passes over it): the
	// outbox itself then says which seq it gave out last, and the next
	// append follows it even when delivery.json cannot be read.
	return writeFileAtomic(b.path(outboxFile), append(last, keep.Bytes()...))
}

// writeFileAtomic replaces name with data, so that a crash leaves the old
// file or the new one, never half of one.
func writeFileAtomic(name string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(name), filepath.Base(name)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), name)
}

func readJSON(name string, v any) (bool, error) {
	data, err := os.ReadFile(name)
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if err := json.Unmarshal(data, v); err != nil {
		return false, fmt.Errorf("%s cannot be read: %w", name, err)
	}
	return true, nil
}

func writeJSON(name string, v any) error {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return writeFileAtomic(name, append(data, '\n'))
}
