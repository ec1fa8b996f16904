package leak

import "testing"

func TestRedact(t *testing.T) {
	for _, c := range []struct{ text, secret, want string }{
		{"token " + canary + " and " + canary, canary, "token dt… and dt…"},
		{"nothing here", canary, "nothing here"},
		{"x", "", "x"},
		{"a", "a", "a…"},
	} {
		if got := Redact(c.text, c.secret); got != c.want {
			t.Errorf("Redact(%q, %q) = %q, want %q", c.text, c.secret, got, c.want)
		}
	}
}
