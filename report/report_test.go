package report

import (
	"bytes"
	"reflect"
	"strings"
	"testing"

	"github.com/dockertutor/dockertutor/internal/formatsdoc"
)

func documents() []Document {
	return []Document{&List{}, &Check{}, &Doctor{}, &Scan{}, &Lint{}, &Prove{}, &Grades{}}
}

func TestWriteStampsTheFormatAndReadChecksIt(t *testing.T) {
	var b bytes.Buffer
	if err := Write(&b, &Check{Steps: []Verdict{{Step: "fix", Passed: true, Checks: []Result{}}}}); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(b.String(), "{\n  \"format\": \"dockertutor.check/1\",\n") {
		t.Fatalf("the format must open the document:\n%s", b.String())
	}
	var back Check
	if err := Read(bytes.NewReader(b.Bytes()), &back); err != nil || back.Steps[0].Step != "fix" {
		t.Fatalf("read back: %v %+v", err, back)
	}
	for _, other := range []string{
		strings.Replace(b.String(), "check/1", "check/2", 1),
		strings.Replace(b.String(), "check/1", "list/1", 1),
		`{"steps": []}`,
	} {
		if err := Read(strings.NewReader(other), &back); err == nil || !strings.Contains(err.Error(), "not a dockertutor.check/1 document") {
			t.Errorf("read %s: %v", other, err)
		}
	}
}

// TestFormatsDocumentEveryField holds FORMATS.md to the types: each
// format's section has a row for every JSON field its document can hold,
// and no row for a field that does not exist.
func TestFormatsDocumentEveryField(t *testing.T) {
	sections, err := formatsdoc.Sections("../FORMATS.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, doc := range documents() {
		body, ok := sections[doc.FormatName()]
		if !ok {
			t.Errorf("FORMATS.md has no section %q", doc.FormatName())
			continue
		}
		// A verdict is documented once, in the check format's section.
		seen := map[reflect.Type]bool{}
		if doc.FormatName() != CheckFormat {
			seen[reflect.TypeFor[Verdict]()] = true
		}
		for _, p := range formatsdoc.Compare(doc.FormatName(), body, formatsdoc.JSONFields(reflect.TypeOf(doc).Elem(), seen)) {
			t.Error(p)
		}
	}
}
