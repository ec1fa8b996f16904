package server

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"strings"
	"time"

	"github.com/dockertutor/dockertutor/classroom/store"
	"github.com/dockertutor/dockertutor/lessons"
)

// DefaultStuckAfter is how long on a step without passing marks a learner
// stuck until the instructor chooses otherwise.
const DefaultStuckAfter = 10 * time.Minute

// NewToken is a fresh secret: 32 random bytes, base64url without padding.
func NewToken() string {
	return base64.RawURLEncoding.EncodeToString(randomBytes(32))
}

// HashToken is what a store keeps of a token.
func HashToken(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}

// codeAlphabet leaves out what is easy to misread or mistype (0/O, 1/I/L).
const codeAlphabet = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"

// NewCode is a class code: 8 characters of codeAlphabet, about 40 bits,
// far past guessing at the join route's rate limit.
func NewCode() string {
	b := randomBytes(8)
	var sb strings.Builder
	for _, c := range b {
		// 256 % 31 leaves a slight bias toward the first letters; it costs
		// a fraction of a bit of the code's 40.
		sb.WriteByte(codeAlphabet[int(c)%len(codeAlphabet)])
	}
	return sb.String()
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	rand.Read(b) // crypto/rand.Read never fails (Go 1.24+)
	return b
}

// CreateClass creates the store's class for the course, with a new code
// and instructor token; it returns the token, which the store keeps only
// hashed: the caller shows it once or saves it for the instructor.
func CreateClass(ctx context.Context, st store.Store, c *lessons.Course, title string, now time.Time) (store.Class, string, error) {
	if title == "" {
		title = c.Title
	}
	token := NewToken()
	cls := store.Class{Code: NewCode(), Title: title, Course: c.ID, InstructorHash: HashToken(token), StuckAfter: DefaultStuckAfter, Created: now.UTC()}
	if err := st.CreateClass(ctx, cls); err != nil {
		return store.Class{}, "", fmt.Errorf("creating the class: %w", err)
	}
	return cls, token, nil
}

// NewInstructorToken replaces the instructor's token (the old one stops
// working) and returns the new one.
func NewInstructorToken(ctx context.Context, st store.Store) (string, error) {
	cls, err := st.Class(ctx)
	if err != nil {
		return "", err
	}
	token := NewToken()
	cls.InstructorHash = HashToken(token)
	return token, st.UpdateClass(ctx, cls)
}
