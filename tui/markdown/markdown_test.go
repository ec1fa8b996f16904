package markdown

import (
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
