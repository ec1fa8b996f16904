// Package digest writes a content digest the one way the tutor shows it
// to people: short enough to read, long enough to tell apart.
package digest

import "strings"

// Short is a digest ("sha256:…", or bare hex) cut to its algorithm and
// the first 12 hex digits, as Docker shows an image ID, with "…" when
// something was cut: "sha256:0123456789ab…".
func Short(d string) string {
	alg, hex, ok := strings.Cut(d, ":")
	if !ok {
		alg, hex = "", d
	} else {
		alg += ":"
	}
	if len(hex) <= 12 {
		return d
	}
	return alg + hex[:12] + "…"
}
