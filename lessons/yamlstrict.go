package lessons

import (
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/dockertutor/dockertutor/internal/typo"
)

// decodeStrict decodes a YAML mapping into v and reports, with lines
// shifted by offset, every key v does not know and every type mismatch.
// yaml.v3 cannot be strict and keep line numbers when decoding a Node, so
// unknown keys are found by walking the node beside v's type.
func decodeStrict(file string, offset int, n *yaml.Node, v any, ps *Problems, ignore ...string) {
	unknownKeys(file, offset, n, reflect.TypeOf(v), ps, ignore)
	if err := n.Decode(v); err != nil {
		reportYAMLError(file, offset, err, ps)
	}
}

var yamlLine = regexp.MustCompile(`line (\d+): `)

// reportYAMLError splits a yaml error into problems at their lines.
func reportYAMLError(file string, offset int, err error, ps *Problems) {
	var msgs []string
	if te, ok := err.(*yaml.TypeError); ok {
		msgs = te.Errors
	} else {
		msgs = []string{strings.TrimPrefix(err.Error(), "yaml: ")}
	}
	for _, m := range msgs {
		line := 0
		if sm := yamlLine.FindStringSubmatch(m); sm != nil {
			line, _ = strconv.Atoi(sm[1])
			line += offset
			m = strings.Replace(m, sm[0], "", 1)
		}
		ps.add(file, line, "%s", m)
	}
}

func unknownKeys(file string, offset int, n *yaml.Node, t reflect.Type, ps *Problems, ignore []string) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if n.Kind == yaml.DocumentNode && len(n.Content) == 1 {
		n = n.Content[0]
	}
	switch t.Kind() {
	case reflect.Struct:
		if t == reflect.TypeOf(yaml.Node{}) || n.Kind != yaml.MappingNode {
			return
		}
		fields := yamlFields(t)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, val := n.Content[i], n.Content[i+1]
			if slices.Contains(ignore, k.Value) {
				continue
			}
			ft, ok := fields[k.Value]
			if !ok {
				ps.add(file, k.Line+offset, "unknown field %q%s", k.Value, suggest(k.Value, keys(fields)))
				continue
			}
			unknownKeys(file, offset, val, ft, ps, nil)
		}
	case reflect.Slice:
		if n.Kind == yaml.SequenceNode {
			for _, c := range n.Content {
				unknownKeys(file, offset, c, t.Elem(), ps, nil)
			}
		}
	}
}

func yamlFields(t reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name := strings.Split(f.Tag.Get("yaml"), ",")[0]
		if name == "-" || !f.IsExported() {
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		out[name] = f.Type
	}
	return out
}

func keys(m map[string]reflect.Type) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

// suggest returns " (did you mean X?)" for the closest known name, or
// the list of known names when none is close.
func suggest(got string, known []string) string {
	if best, _ := typo.Closest(got, known); best != "" {
		return fmt.Sprintf(" (did you mean %q?)", best)
	}
	slices.Sort(known)
	return fmt.Sprintf(" (known: %s)", strings.Join(known, ", "))
}
