// Package formatsdoc holds FORMATS.md to the Go types of the documents it
// describes, for the tests of the packages that own them: every JSON
// field a document can hold is in a table of its section, and every field
// a table names exists.
package formatsdoc

import (
	"fmt"
	"os"
	"reflect"
	"regexp"
	"slices"
	"strings"
)

// Sections are FORMATS.md's second-level sections by title.
func Sections(path string) (map[string]string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	sections := map[string]string{}
	for _, part := range strings.Split(string(data), "\n## ")[1:] {
		title, body, _ := strings.Cut(part, "\n")
		sections[title] = body
	}
	return sections, nil
}

// tableRow is a table row whose first cell names fields: "| `a` |" or
// "| `a`, `b` |".
var (
	tableRow  = regexp.MustCompile("(?m)^\\| (`[a-z_]+`(?:, `[a-z_]+`)*) \\|")
	fieldName = regexp.MustCompile("`([a-z_]+)`")
)

// Documented are the field names a section's tables list.
func Documented(section string) []string {
	var out []string
	for _, m := range tableRow.FindAllStringSubmatch(section, -1) {
		for _, f := range fieldName.FindAllStringSubmatch(m[1], -1) {
			out = append(out, f[1])
		}
	}
	return out
}

// JSONFields is every JSON field name a type can hold, nested ones too;
// types in seen are left out (documented in another section).
func JSONFields(t reflect.Type, seen map[reflect.Type]bool) []string {
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
		out = append(out, JSONFields(f.Type, seen)...)
	}
	return out
}

// Compare says where a section and a type's fields disagree: a field
// the type has and the section does not name, and the reverse.
func Compare(format, section string, fields []string) []string {
	documented := Documented(section)
	var problems []string
	for _, f := range fields {
		if !slices.Contains(documented, f) {
			problems = append(problems, fmt.Sprintf("%s: field %q is not documented", format, f))
		}
	}
	for _, d := range documented {
		if !slices.Contains(fields, d) {
			problems = append(problems, fmt.Sprintf("%s: FORMATS.md documents %q, which the format does not have", format, d))
		}
	}
	return problems
}
