package plain

import (
	"bytes"
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dockertutor/dockertutor/present"
	"github.com/dockertutor/dockertutor/tui/internal/fixture"
)

// In a class, plain mode says the instructor's message and reports that
// stop getting through, once each, and does not open a held lesson.
func TestPlainModeInAClass(t *testing.T) {
	b := fixture.Session(t)
	fixture.ReturningTo(t, b, "pick")
	var mu sync.Mutex
	status := present.ClassStatus{Title: "Lab", HoldLesson: "basics", Message: "Stay on lesson 1 for now"}
	read := func() (present.ClassStatus, bool) { mu.Lock(); defer mu.Unlock(); return status, true }
	var out bytes.Buffer
	in := strings.NewReader("n\nv\nd\n")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := Run(ctx, b, Options{Course: b.Course, In: in, Out: &out, Class: read}); err != nil {
		t.Fatal(err)
	}
	text := out.String()
	for _, want := range []string{
		"Instructor: Stay on lesson 1 for now",
		"Lesson 2 opens soon: your instructor will open it.",
		"Class Lab: your reports are delivered.",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("plain output lacks %q:\n%s", want, text)
		}
	}
	if strings.Count(text, "Instructor: Stay") != 1 {
		t.Errorf("the message was said %d times", strings.Count(text, "Instructor: Stay"))
	}
	if strings.Contains(text, "Step 2.1 of 5") {
		t.Errorf("a held lesson's step opened:\n%s", text)
	}
}
