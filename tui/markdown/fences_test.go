package markdown

import (
	"io/fs"
	"os"
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"
	"github.com/dockertutor/dockertutor/lessons"
)

func TestLabelBareFences(t *testing.T) {
	cases := map[string]struct{ in, want string }{
		"bare backticks":        {"a\n```\nx\n```\nb\n", "a\n```text\nx\n```\nb\n"},
		"bare tildes":           {"~~~\nx\n~~~\n", "~~~text\nx\n~~~\n"},
		"language kept":         {"```dockerfile\nFROM x\n```\n", "```dockerfile\nFROM x\n```\n"},
		"list item indent":      {"1. do\n   ```\n   x\n   ```\n", "1. do\n   ```text\n   x\n   ```\n"},
		"trailing spaces":       {"```  \nx\n```\n", "```text\nx\n```\n"},
		"crlf":                  {"```\r\nx\r\n```\r\n", "```text\r\nx\r\n```\r\n"},
		"no final newline":      {"```\nx\n```", "```text\nx\n```"},
		"inner fence is code":   {"````\n```\ninner\n```\n````\n", "````text\n```\ninner\n```\n````\n"},
		"shorter close is code": {"````\nx\n```\n````\n```\ny\n```\n", "````text\nx\n```\n````\n```text\ny\n```\n"},
		"other char is code":    {"```\n~~~\n```\n", "```text\n~~~\n```\n"},
		"inline code is text":   {"``` a ` b ```\n", "``` a ` b ```\n"},
		"two backticks":         {"``\nx\n``\n", "``\nx\n``\n"},
		"no fences":             {"plain *text*\n", "plain *text*\n"},
		"unclosed":              {"```\nx\n", "```text\nx\n"},
	}
	for name, c := range cases {
		if got := labelBareFences(c.in); got != c.want {
			t.Errorf("%s:\n got %q\nwant %q", name, got, c.want)
		}
	}
}

// TestBareFenceRendersAsText: through Render, a fence that names no
// language looks exactly like one that says "text", in every style, even
// when its content looks like a shell line or a template (which chroma's
// guessing would colour).
func TestBareFenceRendersAsText(t *testing.T) {
	body := "export REPO_TOKEN={{.Secret}}\ndocker build -t app .\n"
	r := New()
	for _, style := range []Style{Dark, Light, Plain} {
		bare, err := r.Render("Run:\n\n```\n"+body+"```\n", 90, style)
		if err != nil {
			t.Fatal(err)
		}
		text, err := r.Render("Run:\n\n```text\n"+body+"```\n", 90, style)
		if err != nil {
			t.Fatal(err)
		}
		if bare != text {
			t.Errorf("%s: a bare fence renders differently from a text fence:\n%q\n%q", style, bare, text)
		}
		if !strings.Contains(ansi.Strip(bare), "export REPO_TOKEN={{.Secret}}") {
			t.Errorf("%s: code lost: %q", style, ansi.Strip(bare))
		}
	}
}

// TestCourseFencesNameTheirLanguage keeps the built-in course's code
// blocks labelled (sh, dockerfile, ...), so they are highlighted as what
// they are rather than shown as plain text.
func TestCourseFencesNameTheirLanguage(t *testing.T) {
	course := os.DirFS("../../lessons/course")
	blocks := 0
	fs.WalkDir(course, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".md") {
			return err
		}
		b, _ := fs.ReadFile(course, p)
		open := false
		for n, line := range strings.Split(string(b), "\n") {
			trimmed := strings.TrimSpace(line)
			if run := lessons.FenceLength(trimmed); run > 0 {
				if !open {
					blocks++
					if trimmed[run:] == "" {
						t.Errorf("%s:%d: the code block names no language", p, n+1)
					}
				}
				open = !open
			}
		}
		return nil
	})
	if blocks < 20 {
		t.Fatalf("found %d code blocks in the built-in course", blocks)
	}
}
