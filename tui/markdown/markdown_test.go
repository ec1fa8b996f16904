package markdown

import (
	"fmt"
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"
)

func TestRenderWrapsAndCaches(t *testing.T) {
	r := New()
	md := "# Title\n\n" + strings.Repeat("word ", 60) + "\n\n```\ndocker history --no-trunc img\n```\n"
	for _, w := range []int{60, 120} {
		out, err := r.Render(md, w, Plain)
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(out, "\n") {
			if got := ansi.StringWidth(line); got > WrapWidth(w) {
				t.Fatalf("width %d: line of %d cells: %q", w, got, line)
			}
		}
		if !strings.Contains(out, "docker history --no-trunc img") {
			t.Fatal("code block lost")
		}
	}
	if len(r.cache) != 2 {
		t.Fatalf("want one renderer per width, have %d", len(r.cache))
	}
	r.Render(md, 60, Plain)
	if len(r.cache) != 2 {
		t.Fatal("renderer not reused")
	}
}

func TestRenderRemembersRecentRenderings(t *testing.T) {
	r := New()
	doc := func(i int) string { return fmt.Sprintf("# Doc %d\n\ntext\n", i) }
	first, err := r.Render(doc(0), 60, Dark)
	if err != nil {
		t.Fatal(err)
	}
	// Swap the glamour renderer for a broken one: a remembered rendering
	// must not reach it, a new one must.
	r.cache[key{WrapWidth(60), Dark}] = nil
	again, err := r.Render(doc(0), 60, Dark)
	if err != nil || again != first {
		t.Fatalf("the same document at the same width and style was rendered again: %q, %v", again, err)
	}
	delete(r.cache, key{WrapWidth(60), Dark})
	for i := 1; i <= memoSize; i++ {
		if _, err := r.Render(doc(i), 60, Dark); err != nil {
			t.Fatal(err)
		}
	}
	if len(r.memo) != memoSize {
		t.Fatalf("memo holds %d renderings, want at most %d", len(r.memo), memoSize)
	}
	for _, m := range r.memo {
		if m.md == doc(0) {
			t.Fatal("the oldest rendering was not dropped")
		}
	}
	if other, _ := r.Render(doc(1), 61, Dark); other == "" || len(r.memo) != memoSize {
		t.Fatal("another width is another rendering")
	}
}
