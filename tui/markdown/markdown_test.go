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

// TestCodeIsNeverWrapped: a learner pastes a command as it is shown, so a
// code block keeps each line whole at any width and in every style, in a
// list item too, while the prose around it still wraps.
func TestCodeIsNeverWrapped(t *testing.T) {
	long := "docker build --secret id=npmrc,src=$HOME/.npmrc --build-arg VERSION=1.2.3 -t dockertutor/learner-0123/secret-mount:latest ."
	md := "# Step\n\n" + strings.Repeat("prose ", 40) + "\n\n```sh\n" + long + "\necho done\n```\n\n" +
		"1. Then, in a list:\n   ```\n   " + long + "\n   ```\n"
	r := New()
	for _, style := range []Style{Dark, Light, Plain, Reader} {
		for _, w := range []int{40, 80} {
			out, err := r.Render(md, w, style)
			if err != nil {
				t.Fatal(err)
			}
			plain := ansi.Strip(out)
			if n := strings.Count(plain, long); n != 2 {
				t.Fatalf("%s at %d: the long command appears whole %d times, want 2:\n%s", style, w, n, plain)
			}
			if !strings.Contains(plain, "echo done") {
				t.Fatalf("%s at %d: the second line of the block is lost:\n%s", style, w, plain)
			}
			if strings.Contains(plain, "dtcode") {
				t.Fatalf("%s at %d: a code marker is left:\n%s", style, w, plain)
			}
			for _, line := range strings.Split(plain, "\n") {
				if !strings.Contains(line, long) && ansi.StringWidth(line) > WrapWidth(w) {
					t.Fatalf("%s at %d: prose not wrapped: %q", style, w, line)
				}
			}
		}
	}
}

// TestNoMarkdownLeftOnScreen: headings show without their hashes, links
// read "text (url)", a web address is never broken, and the plain styles
// print no escape at all (no OSC 8 hyperlink), for pipes and screen readers.
func TestNoMarkdownLeftOnScreen(t *testing.T) {
	address := "https://docs.docker.com/engine/install/"
	md := "# Title\n\n## Moving around\n\n### Deeper\n\nRead [the docs](https://docs.docker.com/build/) first.\n\n" +
		"Not installed yet? Install Docker Engine (" + address + "); on Debian and Ubuntu: apt-get install docker.io.\n"
	r := New()
	for _, style := range []Style{Dark, Light, Plain, Reader} {
		for _, w := range []int{40, 80} {
			out, err := r.Render(md, w, style)
			if err != nil {
				t.Fatal(err)
			}
			plain := ansi.Strip(out)
			if strings.Contains(plain, "#") || !strings.Contains(plain, "Moving around") {
				t.Fatalf("%s: headings shown as markdown:\n%s", style, plain)
			}
			if words := strings.Join(strings.Fields(plain), " "); !strings.Contains(words, "the docs (https://docs.docker.com/build/)") ||
				!strings.Contains(words, "Engine ("+address+"); on") {
				t.Fatalf("%s at %d: a link does not read as text (url):\n%s", style, w, plain)
			}
			if !strings.Contains(plain, address) {
				t.Fatalf("%s at %d: the web address was broken:\n%s", style, w, plain)
			}
			if (style == Plain || style == Reader) && strings.Contains(out, "\x1b") {
				t.Fatalf("%s: escape sequences in plain text: %q", style, out)
			}
		}
	}
}

// TestInlineCommandsAreNeverBroken: a command in prose (a hint: "In the
// step folder: `docker build …`") stays whole on one line; the prose
// around it breaks before and after it instead.
func TestInlineCommandsAreNeverBroken(t *testing.T) {
	long := "docker build --build-arg BUILD_REPO_SECRET=canary-abcdefghijkl -t dttest-0123456789ab/dockertutor/buildargtest ."
	short := "docker history --no-trunc app"
	md := "1. By hand, first `" + short + "`, then in the step folder: `" + long + "` and wait for the verdict to appear by itself.\n"
	r := New()
	for _, style := range []Style{Dark, Light, Plain, Reader} {
		for _, w := range []int{40, 60, 100} {
			out, err := r.Render(md, w, style)
			if err != nil {
				t.Fatal(err)
			}
			plain := ansi.Strip(out)
			if !strings.Contains(plain, long) || !strings.Contains(plain, short) {
				t.Fatalf("%s at %d: a command was broken:\n%s", style, w, plain)
			}
			if strings.Contains(plain, "dtspan") {
				t.Fatalf("%s at %d: a span marker is left:\n%s", style, w, plain)
			}
			if words := strings.Join(strings.Fields(plain), " "); !strings.Contains(words, "and wait for the verdict to appear by itself.") {
				t.Fatalf("%s at %d: the prose after the command is lost:\n%s", style, w, plain)
			}
			for _, line := range strings.Split(plain, "\n") {
				if !strings.Contains(line, long) && ansi.StringWidth(strings.TrimRight(line, " ")) > WrapWidth(w) {
					t.Fatalf("%s at %d: a line of prose is too wide: %q", style, w, line)
				}
			}
		}
	}
}

// Prose with commands and paths that fit a line wraps as prose does: a
// command is not pushed to a line of its own when the line has room.
func TestInlineCommandsWrapWithTheProse(t *testing.T) {
	spans := []string{"docker history --no-trunc", "/tmp/learner/build-secrets/deleted-is-not-gone", "/tmp/repo-token.txt", "repo-token.txt"}
	md := "The file `repo-token.txt` in `/tmp/learner/build-secrets/deleted-is-not-gone` holds your canary. Build the starter (press `r`) and look: `/tmp/repo-token.txt` is gone from the image, yet the tutor still finds your secret with `docker history --no-trunc`, every time, on every engine you use.\n"
	r := New()
	for _, style := range []Style{Dark, Plain} {
		for _, w := range []int{60, 80, 100} {
			out, err := r.Render(md, w, style)
			if err != nil {
				t.Fatal(err)
			}
			lines := strings.Split(strings.TrimRight(ansi.Strip(out), "\n "), "\n")
			for i, line := range lines[:len(lines)-1] {
				next := strings.TrimSpace(lines[i+1])
				if next == "" {
					continue
				}
				// What starts the next line: a span, kept whole, or a word.
				first := strings.Fields(next)[0]
				for _, span := range spans {
					if strings.HasPrefix(next, span) {
						first = span
					}
				}
				// It would have fitted here (with a space, a span's padding and
				// the margins glamour keeps).
				if room := WrapWidth(w) - ansi.StringWidth(strings.TrimRight(line, " ")); room > ansi.StringWidth(first)+6 {
					t.Errorf("%s at %d: line %d breaks early (%d columns free, next %q):\n%s", style, w, i, room, first, ansi.Strip(out))
				}
			}
		}
	}
}
