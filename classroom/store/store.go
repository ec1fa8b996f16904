// Package store keeps one class on disk: the class itself, its learners
// and every event they reported. Store is the small interface the class
// server needs; SQLite (this package's Open) is the one implementation,
// and a PostgreSQL store could take its place when classes outgrow one
// machine. A store never holds a token, only its SHA-256 hash.
package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/dockertutor/dockertutor/classroom/wire"
)

// Class is the one class a store holds.
type Class struct {
	Code   string
	Title  string
	Course string
	// InstructorHash is the SHA-256 of the instructor's token.
	InstructorHash []byte
	HoldLesson     string
	Message        string
	StuckAfter     time.Duration
	Created        time.Time
}

// Learner is one learner who joined.
type Learner struct {
	ID        string
	Name      string
	TokenHash []byte
	Joined    time.Time
	LastSeen  time.Time
	// Acked is the highest seq the store holds for the learner.
	Acked int64
}

// Store is what the class server keeps. Every method is safe to call from
// several goroutines.
type Store interface {
	// Class returns the class, or ErrNoClass before CreateClass.
	Class(ctx context.Context) (Class, error)
	CreateClass(ctx context.Context, c Class) error
	// UpdateClass changes the class's hold, message, stuck time, title
	// or instructor hash (the code and course stay).
	UpdateClass(ctx context.Context, c Class) error
	// Join adds the learner, or gives one who joined before a new name
	// and token hash (the old token stops working); their events stay.
	Join(ctx context.Context, id, name string, tokenHash []byte, at time.Time) (Learner, error)
	// Append stores a learner's batch in one transaction: events up to
	// the learner's acked seq are duplicates and ignored; the first new
	// one must follow it, else a *GapError. It returns the events it
	// stored and the learner's acked seq after them, and records at as
	// the learner's last seen (an empty batch only does that).
	Append(ctx context.Context, learner string, events []wire.Event, at time.Time) (stored []wire.Event, acked int64, err error)
	// Learners returns every learner, in the order they joined.
	Learners(ctx context.Context) ([]Learner, error)
	// Events calls fn for every event of every learner, each learner's in
	// seq order.
	Events(ctx context.Context, fn func(learner string, e wire.Event) error) error
	Close() error
}

// ErrNoClass is a store in which no class was created yet.
var ErrNoClass = errors.New("no class in this database yet")

// ErrNoLearner is an event batch for a learner the store does not know.
var ErrNoLearner = errors.New("no such learner")

// GapError is a batch whose first new event does not follow the last
// one held: the sender resends from Acked+1.
type GapError struct {
	Acked int64
	First int64
}

func (e *GapError) Error() string {
	return fmt.Sprintf("events from seq %d, but the server holds up to %d: resend from %d", e.First, e.Acked, e.Acked+1)
}
