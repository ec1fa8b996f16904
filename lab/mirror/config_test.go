package mirror

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestWithMirrorsKeepsEveryOtherByte(t *testing.T) {
	cases := []struct {
		name, in, want string
	}{
		{"no file", "", "{\"registry-mirrors\": [\"http://127.0.0.1:5000\"]}\n"},
		{"white space only", " \n", " \n{\"registry-mirrors\": [\"http://127.0.0.1:5000\"]}\n"},
		{"empty object: no comma", "{}", "{\n  \"registry-mirrors\": [\"http://127.0.0.1:5000\"]}"},
		{"other keys", "{\n    \"debug\": true,\n    \"labels\": [\"a=b\"]\n}\n",
			"{\n    \"debug\": true,\n    \"labels\": [\"a=b\"],\n  \"registry-mirrors\": [\"http://127.0.0.1:5000\"]\n}\n"},
		{"mirrors first", "{\"registry-mirrors\":[\"https://m.example\"],\"log-opts\":{\"max-size\":\"10m\"}}",
			"{\"registry-mirrors\":[\"http://127.0.0.1:5000\"],\"log-opts\":{\"max-size\":\"10m\"}}"},
		{"mirrors last, odd spacing", "{ \"dns\" : [ \"1.1.1.1\" ] , \"registry-mirrors\" :\t[ ]\t}",
			"{ \"dns\" : [ \"1.1.1.1\" ] , \"registry-mirrors\" :\t[\"http://127.0.0.1:5000\"]\t}"},
		{"byte order mark", "\ufeff{\"debug\":false}", "\ufeff{\"debug\":false,\n  \"registry-mirrors\": [\"http://127.0.0.1:5000\"]}"},
		{"nested key of the same name is not the daemon's", "{\"x\":{\"registry-mirrors\":[1]}}",
			"{\"x\":{\"registry-mirrors\":[1]},\n  \"registry-mirrors\": [\"http://127.0.0.1:5000\"]}"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg, err := parseConfig([]byte(c.in))
			if err != nil {
				t.Fatal(err)
			}
			got := string(cfg.withMirrors([]string{"http://127.0.0.1:5000"}))
			if got != c.want {
				t.Fatalf("got\n%q\nwant\n%q", got, c.want)
			}
			again, err := parseConfig([]byte(got))
			if err != nil {
				t.Fatalf("the edit is not valid: %v", err)
			}
			if strings.Join(again.mirrors, ",") != "http://127.0.0.1:5000" {
				t.Fatalf("mirrors read back: %q", again.mirrors)
			}
			keysKept(t, c.in, got)
		})
	}
}

// keysKept fails unless every key of before but registry-mirrors has the
// same value after.
func keysKept(t *testing.T, before, after string) {
	t.Helper()
	var b, a map[string]json.RawMessage
	json.Unmarshal([]byte(strings.TrimPrefix(before, "\ufeff")), &b)
	if err := json.Unmarshal([]byte(strings.TrimPrefix(after, "\ufeff")), &a); err != nil {
		t.Fatal(err)
	}
	for k, v := range b {
		if k == mirrorsKey {
			continue
		}
		if string(a[k]) != string(v) {
			t.Errorf("key %q: %s became %s", k, v, a[k])
		}
	}
	if len(a) != len(b)+1 && len(a) != len(b) {
		t.Errorf("keys %d before, %d after", len(b), len(a))
	}
}

func TestWithMirrorsEmptyListClears(t *testing.T) {
	cfg, err := parseConfig([]byte(`{"registry-mirrors": ["http://127.0.0.1:5000/"]}`))
	if err != nil {
		t.Fatal(err)
	}
	// An empty list, never null or an absent key: only [] makes a
	// reload clear what the daemon holds.
	if got := string(cfg.withMirrors(nil)); got != `{"registry-mirrors": []}` {
		t.Fatalf("got %s", got)
	}
}

func TestParseConfigRefusesWhatDockerdRefuses(t *testing.T) {
	for _, in := range []string{
		"{",
		"{\"debug\": true,}",
		"// a comment\n{}",
		"{} {}",
		"[]",
		"\"text\"",
		"{\"registry-mirrors\": \"http://127.0.0.1:5000\"}",
		"{\"registry-mirrors\": [1]}",
		"{\"registry-mirrors\": [], \"registry-mirrors\": [\"http://127.0.0.1:5000\"]}",
	} {
		if _, err := parseConfig([]byte(in)); err == nil {
			t.Errorf("%q was accepted", in)
		}
	}
}
