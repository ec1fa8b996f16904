package engine

import (
	"cmp"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/dockertutor/dockertutor/exercises/daemon"
)

// textWidth is the width WriteText wraps prose to. Commands and addresses
// are never broken, so they stay copyable.
const textWidth = 80

var osNames = map[string]string{Linux: "Linux", Darwin: "macOS", Windows: "Windows"}

// WriteText writes r for a terminal, 80 columns wide: a one-line verdict,
// the problems with their fixes for r.ClientOS, other endpoints found when
// Docker is unreachable, then the endpoint, the engine and the images.
func WriteText(w io.Writer, r Report) error {
	t := &textWriter{w: w}
	goos := r.ClientOS
	if _, ok := osNames[goos]; !ok {
		goos = Linux
	}

	errorsFound, warnings := 0, 0
	for _, p := range r.Problems {
		if p.Severity == SeverityError {
			errorsFound++
		} else {
			warnings++
		}
	}
	switch {
	case !r.Reachable:
		t.para("", "", "Docker is NOT reachable.")
	case warnings == 0 && errorsFound == 0:
		t.para("", "", "Docker is ready.")
	default:
		t.para("", "", fmt.Sprintf("Docker is reachable, with %s to look at.", plural(errorsFound+warnings, "problem")))
	}

	if len(r.Problems) > 0 {
		t.line("")
		t.line("Problems")
		for i, p := range r.Problems {
			if i > 0 {
				t.line("")
			}
			mark := "x "
			if p.Severity == SeverityWarning {
				mark = "! "
			}
			t.para("  "+mark, "    ", p.Message)
			if fixes := p.Fixes[goos]; len(fixes) > 0 {
				t.line("    Fix on " + osNames[goos] + ":")
				for n, f := range fixes {
					num := fmt.Sprintf("%d. ", n+1)
					t.para("    "+num, "    "+strings.Repeat(" ", len(num)), f.Text)
					if f.Command != "" {
						t.line("    " + strings.Repeat(" ", len(num)) + "  " + f.Command)
					}
				}
			}
			if p.Detail != "" && p.Detail != p.Message {
				t.para("    ", "      ", "Error: "+p.Detail)
			}
		}
	}

	if len(r.Candidates) > 0 {
		t.line("")
		t.line("Other Docker endpoints on this machine")
		for _, c := range r.Candidates {
			state := "does not answer"
			if c.Answers {
				state = "answers"
			}
			t.para("  ", "    ", fmt.Sprintf("%s at %s: %s", c.What, c.Host, state))
			t.line("      " + c.Use)
		}
	}

	ep := r.Endpoint
	t.line("")
	t.line("Endpoint")
	t.field("Address", cmp.Or(ep.Host, "-"))
	t.field("Chosen by", cmp.Or(ep.Source, "-"))
	if ep.TLS != nil {
		t.field("TLS", describeTLS(*ep.TLS))
	}

	if s := r.Server; s != nil {
		t.line("")
		t.line("Engine")
		if s.Product != "" {
			t.field("Product", s.Product)
		}
		v := cmp.Or(s.Version, "-")
		if s.OS != "" || s.Arch != "" {
			v += " on " + s.OS + "/" + s.Arch
		}
		if s.OperatingSystem != "" {
			v += " (" + s.OperatingSystem + ")"
		}
		t.field("Version", v)
		api := s.API.Negotiated + " in use"
		if s.API.ServerMin != "" && s.API.ServerMax != "" {
			api += fmt.Sprintf("; the daemon supports %s to %s", s.API.ServerMin, s.API.ServerMax)
		}
		t.field("API", api)
		t.field("Builders", describeBuilders(s.Builders))
		t.field("", s.Builders.Basis)
		store := "classic image store"
		if s.ImageStore == "containerd" {
			store = "containerd image store"
		}
		t.field("Storage", cmp.Or(s.StorageDriver, "-")+", "+store)
		t.field("Rootless", yesNo(s.Rootless))
	}

	if b := r.DockerBuild; b.Builder != "" {
		t.line("")
		t.line("Your docker build")
		t.field("Builder", b.Describe())
		t.field("", b.Basis)
		if b.CLI != "" {
			t.field("CLI", b.CLI)
		}
		if b.Plugin != "" {
			t.field("Plugin", strings.TrimSpace(b.Plugin+" "+b.PluginVersion))
		}
	}

	if len(r.Images) > 0 {
		t.line("")
		t.line("Images")
		width := 0
		for _, img := range r.Images {
			width = max(width, utf8.RuneCountInString(img.Ref))
		}
		for _, img := range r.Images {
			switch {
			case img.Present:
				t.line(fmt.Sprintf("  present  %-*s  %s", width, img.Ref, daemon.ShortID(img.ID)))
			case img.Error != "":
				t.para("  unknown  ", "           ", img.Ref+": "+img.Error)
			default:
				t.line("  MISSING  " + img.Ref)
			}
		}
	}
	return t.err
}

// textWriter keeps the first write error so the layout code stays plain.
type textWriter struct {
	w   io.Writer
	err error
}

func (t *textWriter) line(s string) {
	if t.err == nil {
		_, t.err = io.WriteString(t.w, strings.TrimRight(s, " ")+"\n")
	}
}

// para wraps text to textWidth, the first line after first, the others
// after rest.
func (t *textWriter) para(first, rest, text string) {
	for _, l := range wrap(text, first, rest, textWidth) {
		t.line(l)
	}
}

// field writes "  Label      value", the value wrapped under itself.
func (t *textWriter) field(label, value string) {
	const labelWidth = 11
	if value == "" {
		return
	}
	t.para(fmt.Sprintf("  %-*s", labelWidth, label), strings.Repeat(" ", 2+labelWidth), value)
}

func wrap(text, first, rest string, width int) []string {
	words := strings.Fields(text)
	if len(words) == 0 {
		return []string{first}
	}
	var lines []string
	cur := first + words[0]
	for _, w := range words[1:] {
		if utf8.RuneCountInString(cur)+1+utf8.RuneCountInString(w) > width {
			lines = append(lines, cur)
			cur = rest + w
			continue
		}
		cur += " " + w
	}
	return append(lines, cur)
}

func describeTLS(t TLS) string {
	parts := []string{"verify the daemon's certificate"}
	if t.SkipVerify {
		parts[0] = "without verifying the daemon's certificate"
	}
	if t.CAFile != "" {
		parts = append(parts, "CA "+t.CAFile)
	}
	if t.CertFile != "" && t.KeyFile != "" {
		parts = append(parts, "client certificate "+t.CertFile)
	}
	return strings.Join(parts, "; ")
}

func describeBuilders(b Builders) string {
	var have []string
	if b.BuildKit {
		have = append(have, "BuildKit")
	}
	if b.Classic {
		have = append(have, "classic")
	}
	s := "none"
	if len(have) > 0 {
		s = strings.Join(have, " and ")
	}
	if b.Default != "" {
		s += "; the daemon's default is " + b.Default
	}
	return s
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}
