package outbox

import (
	"encoding/json"
	"errors"
	"os"
	"time"

	"github.com/dockertutor/dockertutor/classroom/wire"
)

// Trouble is why events are not getting through, for the front ends to
// word; "" when they are.
type Trouble string

const (
	// NoAnswer: the server did not answer (offline, stopped, wrong address).
	NoAnswer Trouble = "no-answer"
	// NotKnown: the server does not know this learner's token any more
	// (401): the learner joins again.
	NotKnown Trouble = "not-known"
	// Refused: the server refused a batch (400, 413, 5xx); Detail says
	// what it said.
	Refused Trouble = "refused"
	// SlowedDown: the server asked the tutor to wait (429).
	SlowedDown Trouble = "slowed-down"
	// NotAppended: an event could not be written to the outbox.
	NotAppended Trouble = "not-appended"
)

// Delivery is how delivery stands, saved beside the outbox by the sender
// so that any process (the full screen, `class status`) can show it.
type Delivery struct {
	// Acked is the highest seq the server holds.
	Acked int64 `json:"acked"`
	// Class is the class's state from the server's last answer.
	Class       wire.ClassState `json:"class"`
	LastContact time.Time       `json:"last_contact,omitzero"`
	Trouble     Trouble         `json:"trouble,omitempty"`
	// Detail is the server's own sentence, for Refused and NotKnown.
	Detail string `json:"detail,omitempty"`
	// Since is when the trouble began.
	Since time.Time `json:"since,omitzero"`
}

// readDelivery reads how delivery stands. The file is only a note of
// what the server acknowledged: one that cannot be read (a disk fault, a
// hand edit) is rebuilt from the outbox, which holds every event after
// the last acknowledged one and that one too (compact keeps it), so that
// the tutor goes on recording. Events sent again that the server holds
// already are ignored by it, and its answer puts the note right.
func (b *Box) readDelivery() (Delivery, error) {
	var d Delivery
	data, err := os.ReadFile(b.path(deliveryFile))
	if errors.Is(err, os.ErrNotExist) {
		return d, nil
	}
	if err != nil {
		return d, err
	}
	if json.Unmarshal(data, &d) == nil && d.Acked >= 0 {
		return d, nil
	}
	es, err := b.readEvents(0, 1)
	if err != nil {
		return Delivery{}, err
	}
	d = Delivery{}
	if len(es) > 0 {
		d.Acked = es[0].Seq - 1
	}
	return d, nil
}

func (b *Box) writeDelivery(d Delivery) error { return writeJSON(b.path(deliveryFile), d) }

// Status is everything a front end shows of the class.
type Status struct {
	Member     Membership
	Delivery   Delivery
	Waiting    int
	AppendFail error // the last event that could not be appended, if any
}

// Status reads the membership and how delivery stands; false when the
// learner joined no class.
func (b *Box) Status() (Status, bool, error) {
	m, ok, err := b.Membership()
	if err != nil || !ok {
		return Status{}, false, err
	}
	d, err := b.readDelivery()
	if err != nil {
		return Status{}, true, err
	}
	es, err := b.readEvents(d.Acked, 0)
	if err != nil {
		return Status{}, true, err
	}
	b.errMu.Lock()
	appendErr := b.appendErr
	b.errMu.Unlock()
	if d.Class.Title == "" {
		d.Class.Title = m.Title
	}
	return Status{Member: m, Delivery: d, Waiting: len(es), AppendFail: appendErr}, true, nil
}
