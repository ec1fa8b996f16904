package report

import (
	"bytes"
	"os"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
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
	data, err := os.ReadFile("../FORMATS.md")
	if err != nil {
		t.Fatal(err)
	}
	sections := map[string]string{}
	for _, part := range strings.Split(string(data), "\n## ")[1:] {
		title, body, _ := strings.Cut(part, "\n")
		sections[title] = body
	}
	row := regexp.MustCompile("(?m)^\\| `([a-z_]+)` \\|")
	for _, doc := range documents() {
		body, ok := sections[doc.FormatName()]
		if !ok {
			t.Errorf("FORMATS.md has no section %q", doc.FormatName())
			continue
		}
		var documented []string
		for _, m := range row.FindAllStringSubmatch(body, -1) {
			documented = append(documented, m[1])
		}
		// A verdict is documented once, in the check format's section.
		seen := map[reflect.Type]bool{}
		if doc.FormatName() != CheckFormat {
			seen[reflect.TypeFor[Verdict]()] = true
		}
		fields := jsonFields(reflect.TypeOf(doc).Elem(), seen)
		for _, f := range fields {
			if !slices.Contains(documented, f) {
				t.Errorf("%s: field %q is not documented", doc.FormatName(), f)
			}
		}
		for _, d := range documented {
			if !slices.Contains(fields, d) {
				t.Errorf("%s: FORMATS.md documents %q, which the format does not have", doc.FormatName(), d)
			}
		}
	}
}

// jsonFields is every JSON field name a type can hold, nested ones too.
func jsonFields(t reflect.Type, seen map[reflect.Type]bool) []string {
	for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice || t.Kind() == reflect.Map {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct || seen[t] {
		return nil
	}
	seen[t] = true
	var out []string
	for f := range t.Fields() {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "" || name == "-" {
			continue
		}
		out = append(out, name)
		out = append(out, jsonFields(f.Type, seen)...)
	}
	return out
}
