package leak

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"
)

// Encoding names the form in which the secret was found.
type Encoding string

const (
	// Plain is the secret's exact bytes.
	Plain Encoding = "plain"
	// Base64 is the standard alphabet (+/). When the secret's encoding uses
	// neither + nor /, it also stands for the URL alphabet.
	Base64 Encoding = "base64"
	// Base64URL is the URL-safe alphabet (-_).
	Base64URL Encoding = "base64url"
	// Hex is lower-case hexadecimal.
	Hex Encoding = "hex"
	// HexUpper is upper-case hexadecimal.
	HexUpper Encoding = "hex-upper"
)

const (
	// MinSecretLen keeps short secrets out: a 3-byte needle matches by
	// chance in any sizeable image.
	MinSecretLen = 4
	// MaxSecretLen bounds the patterns so the stream carry-over stays small.
	MaxSecretLen = 4096
	// minEncodedLen is the shortest encoded pattern worth searching for; a
	// shorter one would turn up by chance in base64 or hex text.
	minEncodedLen = 6
	// excerptContext is how many bytes of context an excerpt shows on each
	// side of the (redacted) secret.
	excerptContext = 24
)

// pattern is one form of the secret. Its core is searched for; a base64
// form also checks the characters on either side of the core, which hold
// the secret's first and last few bits mixed with bits of whatever
// surrounds it, so that every bit of the secret is verified.
type pattern struct {
	enc  Encoding
	core []byte
	// lead and trail are 1 when the character before (after) the core
	// must hold the secret's first leadBits (last trailBits) bits.
	lead, trail         int
	leadBits, leadVal   uint8
	trailBits, trailVal uint8
}

// span is the length of an occurrence: core plus edge characters.
func (p *pattern) span() int { return p.lead + len(p.core) + p.trail }

// edgesMatch checks the edge characters of an occurrence span.
func (p *pattern) edgesMatch(span []byte) bool {
	if p.lead == 1 {
		v := base64Value[span[0]]
		if v < 0 || uint8(v)&(1<<p.leadBits-1) != p.leadVal {
			return false
		}
	}
	if p.trail == 1 {
		v := base64Value[span[len(span)-1]]
		if v < 0 || uint8(v)>>(6-p.trailBits) != p.trailVal {
			return false
		}
	}
	return true
}

// base64Value decodes a character of either base64 alphabet, -1 if it is
// in neither.
var base64Value = func() (t [256]int8) {
	for i := range t {
		t[i] = -1
	}
	for i, c := range "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/" {
		t[c] = int8(i)
	}
	t['-'], t['_'] = 62, 63
	return t
}()

// matcher holds every form of one secret and finds them in bytes.
type matcher struct {
	pats    []pattern
	maxSpan int
	minSpan int
	// stride, grams and gramShift drive the sampled search (stride 0:
	// not used).
	stride    int
	grams     []uint64
	gramShift uint8
}

// maxPatterns bounds the forms of one secret: plain, three base64
// alignments in two alphabets, two hex cases.
const maxPatterns = 9

func newMatcher(secret []byte) (*matcher, error) {
	switch {
	case len(secret) < MinSecretLen:
		return nil, fmt.Errorf("secret is %d bytes; at least %d are needed to search without false alarms", len(secret), MinSecretLen)
	case len(secret) > MaxSecretLen:
		return nil, fmt.Errorf("secret is %d bytes; at most %d are supported", len(secret), MaxSecretLen)
	}
	m := &matcher{}
	seen := map[string]bool{}
	add := func(p pattern) {
		if p.enc != Plain && len(p.core) < minEncodedLen {
			return
		}
		key := fmt.Sprint(string(p.core), p.lead, p.leadBits, p.leadVal, p.trail, p.trailBits, p.trailVal)
		if seen[key] {
			return
		}
		seen[key] = true
		m.pats = append(m.pats, p)
	}
	add(pattern{enc: Plain, core: bytes.Clone(secret)})
	for _, p := range base64Patterns(secret) {
		add(p)
		url := p
		url.enc = Base64URL
		url.core = []byte(strings.NewReplacer("+", "-", "/", "_").Replace(string(p.core)))
		add(url)
	}
	add(pattern{enc: Hex, core: []byte(hex.EncodeToString(secret))})
	add(pattern{enc: HexUpper, core: []byte(strings.ToUpper(hex.EncodeToString(secret)))})
	m.buildSampler()
	m.minSpan = m.pats[0].span()
	for _, p := range m.pats {
		m.maxSpan = max(m.maxSpan, p.span())
		m.minSpan = min(m.minSpan, p.span())
	}
	return m, nil
}

// base64Patterns returns the secret's base64 form for each of the three
// positions it can take relative to base64's 3-byte groups, so that it is
// found inside a longer encoded blob whatever surrounds it.
func base64Patterns(secret []byte) []pattern {
	var out []pattern
	for shift := range 3 {
		enc := base64.RawStdEncoding.EncodeToString(append(make([]byte, shift), secret...))
		// Character i holds bits 6i..6i+5 of the encoded bytes; the
		// secret's bits run from 8*shift to 8*(shift+len)-1.
		bitStart, bitEnd := 8*shift, 8*(shift+len(secret))
		first := (bitStart + 5) / 6 // first character of the secret's bits only
		last := bitEnd / 6          // one past the last such character
		p := pattern{enc: Base64, core: []byte(enc[first:last])}
		if f := first*6 - bitStart; f > 0 {
			// The character before holds prefix bits, then the secret's first f.
			p.lead, p.leadBits, p.leadVal = 1, uint8(f), secret[0]>>(8-f)
		}
		if r := bitEnd - last*6; r > 0 {
			// The character after holds the secret's last r bits, then
			// bits of what follows.
			p.trail, p.trailBits, p.trailVal = 1, uint8(r), secret[len(secret)-1]&(1<<r-1)
		}
		out = append(out, p)
	}
	return out
}

// encodings lists the encodings searched, in pattern order without repeats.
func (m *matcher) encodings() []Encoding {
	var out []Encoding
	for _, p := range m.pats {
		if !slices.Contains(out, p.enc) {
			out = append(out, p.enc)
		}
	}
	return out
}

// hit is where one pattern occurs in a byte string: its span starts at
// start.
type hit struct {
	pat   int
	start int
}

// findAll returns every occurrence of every pattern in b.
func (m *matcher) findAll(b []byte) []hit {
	var hits []hit
	m.eachHit(b, func(h hit) { hits = append(hits, h) })
	return hits
}

// eachHit calls emit for every occurrence whose whole span lies in b;
// occurrences of one pattern do not overlap.
func (m *matcher) eachHit(b []byte, emit func(hit)) {
	if m.stride == 0 || len(b) < 256 {
		m.eachHitDirect(b, emit)
		return
	}
	m.eachHitSampled(b, emit)
}

// eachHitDirect searches b once per pattern.
func (m *matcher) eachHitDirect(b []byte, emit func(hit)) {
	for i := range m.pats {
		p := &m.pats[i]
		for off := p.lead; off+len(p.core)+p.trail <= len(b); {
			j := bytes.Index(b[off:len(b)-p.trail], p.core)
			if j < 0 {
				break
			}
			j += off
			if p.edgesMatch(b[j-p.lead : j+len(p.core)+p.trail]) {
				emit(hit{pat: i, start: j - p.lead})
				off = j + len(p.core)
			} else {
				off = j + 1
			}
		}
	}
}

// The sampled search looks at the 4 bytes at every stride-th position of
// the input. Every core is at least stride+3 bytes long, so each
// occurrence covers one sampled position entirely, and the 4 bytes there
// are one of the core's 4-grams; a bitset of all of them rules out almost
// every position at the cost of one table lookup, so most of the input is
// never looked at twice.
//
// The bitset is sized to the secret: about 128 bits per 4-gram keeps
// chance hits near 1 in 128 samples, and a small bitset stays in the L1
// cache, which matters more than it seems: between two reads of the
// export the daemon runs on the same cores and evicts whatever is large.
const (
	gramMul         = 0x9E3779B1 // Fibonacci hashing spreads the 4-grams
	gramBitsPerGram = 128
	minGramBits     = 12 // 512 bytes
	maxGramBits     = 20 // 128 KiB, for secrets of about a kilobyte and more
)

func gramHash(v uint32, shift uint8) uint32 { return (v * gramMul) >> shift }

// buildSampler enables the sampled search when the cores are long enough
// for it to pay off.
func (m *matcher) buildSampler() {
	minCore, grams := len(m.pats[0].core), 0
	for _, p := range m.pats {
		minCore = min(minCore, len(p.core))
		grams += len(p.core) - 3
	}
	if minCore-3 < 4 {
		return // stride below 4: searching once per pattern is as fast
	}
	m.stride = minCore - 3
	bits := minGramBits
	for bits < maxGramBits && 1<<bits < grams*gramBitsPerGram {
		bits++
	}
	m.gramShift = uint8(32 - bits)
	m.grams = make([]uint64, 1<<bits/64)
	for _, p := range m.pats {
		for k := 0; k+4 <= len(p.core); k++ {
			h := gramHash(binary.LittleEndian.Uint32(p.core[k:]), m.gramShift)
			m.grams[h/64] |= 1 << (h % 64)
		}
	}
}

func (m *matcher) eachHitSampled(b []byte, emit func(hit)) {
	// next[i] is the earliest core start of pattern i still to report:
	// windows of nearby samples overlap, and an occurrence counts once.
	var next [maxPatterns]int
	for pos := 0; pos+4 <= len(b); pos += m.stride {
		h := gramHash(binary.LittleEndian.Uint32(b[pos:]), m.gramShift)
		if m.grams[h/64]&(1<<(h%64)) == 0 {
			continue
		}
		for i := range m.pats {
			p := &m.pats[i]
			n := len(p.core)
			// Cores holding b[pos:pos+4] start in [pos-(n-4), pos]; the
			// span around the core must fit in b.
			lo := max(next[i], pos-(n-4), p.lead)
			hi := min(pos+n, len(b)-p.trail)
			for lo+n <= hi {
				j := bytes.Index(b[lo:hi], p.core)
				if j < 0 {
					break
				}
				j += lo
				if p.edgesMatch(b[j-p.lead : j+n+p.trail]) {
					emit(hit{pat: i, start: j - p.lead})
					next[i] = j + n
					lo = j + n
				} else {
					lo = j + 1
				}
			}
		}
	}
}

// redactedForm is how a pattern is shown: its first few characters and an
// ellipsis, never enough to recover it.
func (m *matcher) redactedForm(pat int) string {
	return printable(m.pats[pat].core[:m.shown(pat)]) + "…"
}

// shown is how many leading bytes of a pattern its redacted form shows.
func (m *matcher) shown(pat int) int { return min(2, len(m.pats[pat].core)/4) }

// coreBounds is where the core of an occurrence spanning from start lies.
// Excerpts hide the core only: a base64 form's edge characters carry just
// a few of the secret's bits.
func (m *matcher) coreBounds(h hit) (int, int) {
	p := &m.pats[h.pat]
	return h.start + p.lead, h.start + p.lead + len(p.core)
}

// redact returns the complete string s (a path, a history entry) with
// every occurrence of the secret, in any form, replaced by its redacted
// form.
func (m *matcher) redact(s []byte) string {
	hits := sortHits(m.findAll(s))
	var out strings.Builder
	at := 0
	for i := 0; i < len(hits); {
		h := hits[i]
		start, end := m.coreBounds(h)
		// Merge every occurrence overlapping this one so no piece of a
		// second occurrence shows after the ellipsis.
		for i++; i < len(hits) && hits[i].start < end; i++ {
			_, e := m.coreBounds(hits[i])
			end = max(end, e)
		}
		if start < at {
			start = at
		}
		out.WriteString(printable(s[at:start]))
		out.WriteString(m.redactedForm(h.pat))
		at = end
	}
	out.WriteString(printable(s[at:]))
	return out.String()
}

// redactWindow is redact for a window cut from longer text: a fragment of
// the secret cut by the window's edge is dropped as well.
func (m *matcher) redactWindow(s []byte) string {
	lo, hi := m.trimEdges(s)
	return m.redact(s[lo:hi])
}

// trimEdges returns the bounds of s without a fragment of a pattern at
// either edge: s may be a window cut through an occurrence, and the
// fragment would give away part of the secret. A leading fragment is cut
// from two bytes on, a trailing one only when longer than what the
// redacted form shows anyway.
func (m *matcher) trimEdges(s []byte) (lo, hi int) {
	lo, hi = 0, len(s)
	for i, p := range m.pats {
		shown := m.shown(i)
		for k := min(len(p.core)-1, len(s)); k >= 2; k-- {
			if bytes.HasPrefix(s, p.core[len(p.core)-k:]) {
				lo = max(lo, k)
				break
			}
		}
		for k := min(len(p.core)-1, len(s)); k > shown; k-- {
			if bytes.HasSuffix(s, p.core[:k]) {
				hi = min(hi, len(s)-k)
				break
			}
		}
	}
	if lo > hi {
		return 0, 0
	}
	return lo, hi
}

// excerpt shows the occurrence h inside b: some context, the redacted
// secret, some more context, all on one line.
func (m *matcher) excerpt(b []byte, h hit) string {
	start, end := m.coreBounds(h)
	from := max(0, start-excerptContext)
	if nl := bytes.LastIndexByte(b[from:start], '\n'); nl >= 0 {
		from += nl + 1
	}
	to := min(len(b), end+excerptContext)
	if nl := bytes.IndexByte(b[end:to], '\n'); nl >= 0 {
		to = end + nl
	}
	from, to = wordBounds(b, from, start, to, end)
	before := m.redactWindow(b[from:start])
	after := m.redactWindow(b[end:to])
	return before + m.redactedForm(h.pat) + after
}

// wordSlack is how far an excerpt may grow to start and end on whole
// words: "RUN |1 KEY=…" reads better than "UN |1 KEY=…".
const wordSlack = 12

// wordBounds moves the excerpt's edges outwards to the nearest space,
// line break or end of b, when one is within wordSlack bytes.
func wordBounds(b []byte, from, start, to, end int) (int, int) {
	isEdge := func(c byte) bool { return c == ' ' || c == '\n' || c == '\t' }
	if from > 0 && !isEdge(b[from-1]) {
		for i := from - 1; i >= max(0, from-wordSlack); i-- {
			if i == 0 {
				from = 0
				break
			}
			if isEdge(b[i-1]) {
				from = i
				break
			}
		}
	}
	if to < len(b) && !isEdge(b[to]) {
		for i := to; i <= min(len(b), to+wordSlack); i++ {
			if i == len(b) || isEdge(b[i]) {
				to = i
				break
			}
		}
	}
	return min(from, start), max(to, end)
}

// printable makes bytes safe to show on one terminal line: valid UTF-8
// text stays, control bytes and invalid sequences become '.'.
func printable(b []byte) string {
	var out strings.Builder
	for len(b) > 0 {
		r, size := utf8.DecodeRune(b)
		switch {
		case r == utf8.RuneError && size <= 1, r < 0x20, r == 0x7f, r >= 0x80 && r < 0xa0:
			out.WriteByte('.')
		default:
			out.WriteRune(r)
		}
		b = b[size:]
	}
	return out.String()
}

// tally counts the occurrences of each encoding in one place and keeps an
// excerpt of the first.
type tally struct {
	count   map[Encoding]int
	excerpt map[Encoding]string
	order   []Encoding
}

func (t *tally) add(enc Encoding, excerpt func() string) {
	if t.count == nil {
		t.count = map[Encoding]int{}
		t.excerpt = map[Encoding]string{}
	}
	if t.count[enc] == 0 {
		t.excerpt[enc] = excerpt()
		t.order = append(t.order, enc)
	}
	t.count[enc]++
}

// scanBytes tallies the secret in a complete, small byte string.
func (m *matcher) scanBytes(b []byte) tally {
	var t tally
	for _, h := range sortHits(m.findAll(b)) {
		t.add(m.pats[h.pat].enc, func() string { return m.excerpt(b, h) })
	}
	return t
}

func sortHits(h []hit) []hit {
	// Insertion sort: hit lists are short, and document order makes the
	// first excerpt the first occurrence.
	for i := 1; i < len(h); i++ {
		for j := i; j > 0 && (h[j].start < h[j-1].start || h[j].start == h[j-1].start && h[j].pat < h[j-1].pat); j-- {
			h[j], h[j-1] = h[j-1], h[j]
		}
	}
	return h
}

// stream finds the secret in a byte stream fed in pieces of any size,
// including occurrences that straddle pieces, and keeps enough context to
// excerpt the first occurrence of each encoding.
//
// Every occurrence is counted exactly once: by the piece that holds all of
// its span, or else by the seam search of the piece its span ends in (the
// span then starts in the tail kept from earlier pieces). A span cut off
// by the end of the stream is not an occurrence.
type stream struct {
	m *matcher
	// tail holds the last bytes seen: a span minus one byte plus an
	// excerpt's leading context.
	tail    []byte
	scratch []byte
	t       tally
	// pending excerpts still waiting for their trailing context.
	pending []pendingExcerpt
}

type pendingExcerpt struct {
	enc    Encoding
	h      hit // in window coordinates
	window []byte
	want   int // window length once the trailing context is complete
}

func newStream(m *matcher) *stream {
	keep := m.maxSpan - 1 + excerptContext
	return &stream{m: m, tail: make([]byte, 0, keep), scratch: make([]byte, 0, 2*m.maxSpan)}
}

// reset prepares the stream for a new, unrelated byte stream.
func (s *stream) reset() {
	s.tail = s.tail[:0]
	s.t = tally{}
	s.pending = s.pending[:0]
}

// write feeds the next piece of the stream.
func (s *stream) write(p []byte) {
	if len(p) == 0 {
		return
	}
	s.extendPending(p)
	if len(s.tail) > 0 {
		s.searchSeam(p)
	}
	s.m.eachHit(p, func(h hit) { s.record(h, p) })
	s.keepTail(p)
}

// searchSeam finds the spans that start in the tail and end in p, looking
// at the tail's last maxSpan-1 bytes joined to p's first maxSpan-1.
func (s *stream) searchSeam(p []byte) {
	carry := s.tail[max(0, len(s.tail)-(s.m.maxSpan-1)):]
	seam := append(append(s.scratch[:0], carry...), p[:min(len(p), s.m.maxSpan-1)]...)
	s.scratch = seam[:0]
	for i := range s.m.pats {
		pat := &s.m.pats[i]
		for off := 0; off < len(seam); {
			k := bytes.Index(seam[off:], pat.core)
			if k < 0 {
				break
			}
			j := off + k
			start, end := j-pat.lead, j+len(pat.core)+pat.trail
			if start >= len(carry) {
				break // starts in p: the search of p counts it
			}
			off = j + 1
			if start < 0 || end <= len(carry) || end > len(seam) {
				// Before the tail kept, already counted, or not complete yet.
				continue
			}
			if pat.edgesMatch(seam[start:end]) {
				s.record(hit{pat: i, start: start - len(carry)}, p)
				off = j + len(pat.core)
			}
		}
	}
}

// record counts an occurrence whose span starts at h.start in p (negative:
// that many bytes back in the tail) and, when it is the first of its
// encoding, opens its excerpt.
func (s *stream) record(h hit, p []byte) {
	enc := s.m.pats[h.pat].enc
	if s.t.count == nil {
		s.t.count = map[Encoding]int{}
		s.t.excerpt = map[Encoding]string{}
	}
	s.t.count[enc]++
	if s.t.count[enc] > 1 {
		return
	}
	s.t.order = append(s.t.order, enc)
	// The window runs from excerptContext bytes before the span (as far
	// as the tail reaches) to excerptContext bytes after it.
	from := h.start - excerptContext
	var window []byte
	if from < 0 {
		back := min(-from, len(s.tail))
		window = append(window, s.tail[len(s.tail)-back:]...)
		from = 0
	}
	startInWindow := len(window) + h.start - from
	span := s.m.pats[h.pat].span()
	window = append(window, p[from:min(len(p), h.start+span+excerptContext)]...)
	pe := pendingExcerpt{enc: enc, h: hit{pat: h.pat, start: startInWindow}, window: window, want: startInWindow + span + excerptContext}
	if len(pe.window) >= pe.want {
		s.t.excerpt[enc] = s.m.excerpt(pe.window, pe.h)
		return
	}
	s.pending = append(s.pending, pe)
}

// extendPending gives the open excerpts their trailing context from p.
func (s *stream) extendPending(p []byte) {
	if len(s.pending) == 0 {
		return
	}
	kept := s.pending[:0]
	for _, pe := range s.pending {
		pe.window = append(pe.window, p[:min(pe.want-len(pe.window), len(p))]...)
		if len(pe.window) >= pe.want {
			s.t.excerpt[pe.enc] = s.m.excerpt(pe.window, pe.h)
			continue
		}
		kept = append(kept, pe)
	}
	s.pending = kept
}

func (s *stream) keepTail(p []byte) {
	keep := cap(s.tail)
	if len(p) >= keep {
		s.tail = append(s.tail[:0], p[len(p)-keep:]...)
		return
	}
	if drop := len(s.tail) + len(p) - keep; drop > 0 {
		s.tail = append(s.tail[:0], s.tail[drop:]...)
	}
	s.tail = append(s.tail, p...)
}

// close ends the stream and returns what was found in it.
func (s *stream) close() tally {
	for _, pe := range s.pending {
		s.t.excerpt[pe.enc] = s.m.excerpt(pe.window, pe.h)
	}
	s.pending = s.pending[:0]
	return s.t
}
