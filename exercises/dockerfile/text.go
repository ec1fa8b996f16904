package dockerfile

import (
	"bytes"
	"errors"
	"unicode/utf8"
)

// errUTF16 explains the usual reason a Dockerfile reads as garbage: Windows
// PowerShell 5 (`echo ... > Dockerfile`) and Notepad can save UTF-16, and
// Docker reads every Dockerfile as UTF-8.
var errUTF16 = errors.New("the file is saved as UTF-16 text, but Docker reads Dockerfiles as UTF-8: save it as UTF-8 in your editor (or in PowerShell: Set-Content -Encoding utf8)")

// looksUTF16 spots UTF-16 by its byte-order mark, or by the zero byte next
// to every ASCII character when the mark is missing.
func looksUTF16(src []byte) bool {
	if bytes.HasPrefix(src, []byte{0xFF, 0xFE}) || bytes.HasPrefix(src, []byte{0xFE, 0xFF}) {
		return true
	}
	return len(src) >= 2 && (src[0] == 0) != (src[1] == 0)
}

// sanitizeText replaces NUL characters and bytes that are not UTF-8 with
// U+FFFD before BuildKit's shell lexer sees them: it is built on
// text/scanner, which prints a complaint about each to the process's
// standard error, right across the tutor's screen. Line numbers do not
// change; Docker itself would build the file, so it is not an error.
func sanitizeText(src []byte) []byte {
	if utf8.Valid(src) && bytes.IndexByte(src, 0) < 0 {
		return src
	}
	out := make([]byte, 0, len(src)+8)
	for len(src) > 0 {
		r, size := utf8.DecodeRune(src)
		if r == 0 || (r == utf8.RuneError && size == 1) {
			r = utf8.RuneError
		}
		out = utf8.AppendRune(out, r)
		src = src[size:]
	}
	return out
}
