package engine

import (
	"cmp"
	"fmt"
	"io"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/dockertutor/dockertutor/exercises/daemon"
	"github.com/dockertutor/dockertutor/exercises/pins"
	"github.com/dockertutor/dockertutor/internal/digest"
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
		writeImages(t, r.Images)
	}
	return t.err
}

// WriteImages writes the "Images" section of WriteText alone: each course
// image at its pin, at another digest, or missing. prepare ends with it.
func WriteImages(w io.Writer, images []ImageStatus) error {
	t := &textWriter{w: w}
	writeImages(t, images)
	return t.err
}

func writeImages(t *textWriter, images []ImageStatus) {
	t.line("Images")
	width := 0
	for _, img := range images {
		width = max(width, utf8.RuneCountInString(img.Ref))
	}
	for _, img := range images {
		if img.State == pins.Unknown || img.State == "" {
			t.para("  unknown  ", "           ", img.Ref+": "+img.Error)
			continue
		}
		id := ""
		if img.ID != "" {
			id = daemon.ShortID(img.ID)
		}
		// The state's word, the name and the ID in columns; what it means
		// wraps under itself.
		first := fmt.Sprintf("  %-7s  %-*s  %-12s  ", stateWords[img.State], width, img.Ref, id)
		if textWidth-utf8.RuneCountInString(first) < 30 {
			// A long name (a registry's host and port): the meaning goes
			// on the lines under it.
			t.line(first)
			t.para("             ", "             ", imageText(img))
			continue
		}
		t.para(first, strings.Repeat(" ", utf8.RuneCountInString(first)), imageText(img))
	}
	if slices.ContainsFunc(images, func(img ImageStatus) bool { return img.State == pins.Missing || img.State == pins.OtherDigest }) {
		// The command on a line of its own, so no wrap breaks it.
		t.line("  Fetch what is MISSING or OTHER at the pinned digests (online):")
		t.line("    dockertutor prepare")
	}
}

// stateWords are the first column of the Images section: upper case for
// what needs `dockertutor prepare`.
var stateWords = map[pins.State]string{pins.AtPin: "pinned", pins.Present: "present", pins.OtherDigest: "OTHER", pins.Missing: "MISSING"}

// imageText says what an image's state means, and the fix when it needs
// one.
func imageText(img ImageStatus) string {
	switch img.State {
	case pins.AtPin:
		return "at the pinned digest"
	case pins.Present:
		return "the course pins no digest"
	case pins.OtherDigest:
		return otherDigestText(img)
	default:
		return "not on this daemon"
	}
}

// otherDigestText says where a tag at another digest came from.
func otherDigestText(img ImageStatus) string {
	at := "no repository digest (loaded or built here)"
	if ds := pins.OtherDigests(img.RepoDigests, img.Ref); len(ds) > 0 {
		short := make([]string, len(ds))
		for i, d := range ds {
			short[i] = digest.Short(d)
		}
		at = "at " + strings.Join(short, ", ")
	}
	return at + ", not the pinned " + digest.Short(img.Digest)
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
