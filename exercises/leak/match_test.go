package leak

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"math/bits"
	"math/rand/v2"
	"strings"
	"testing"
)

const canary = "dt-canary-7f3a9c2e"

func mustMatcher(t testing.TB, secret string) *matcher {
	t.Helper()
	m, err := newMatcher([]byte(secret))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func encodingsFound(m *matcher, b []byte) map[Encoding]int {
	out := map[Encoding]int{}
	for _, h := range m.findAll(b) {
		out[m.pats[h.pat].enc]++
	}
	return out
}

// assertRedacted fails when text shows the secret, or a long piece of it,
// in any searched form.
func assertRedacted(t testing.TB, m *matcher, text string) {
	t.Helper()
	for _, p := range m.pats {
		// More than half of a pattern is a giveaway.
		n := len(p.core)/2 + 1
		for i := 0; i+n <= len(p.core); i++ {
			if strings.Contains(text, string(p.core[i:i+n])) {
				t.Fatalf("text shows %d bytes of the %s secret: %q", n, p.enc, text)
			}
		}
	}
}

func TestSecretLengthLimits(t *testing.T) {
	if _, err := newMatcher([]byte("abc")); err == nil {
		t.Fatal("3-byte secret accepted")
	}
	if _, err := newMatcher(bytes.Repeat([]byte("a"), MaxSecretLen+1)); err == nil {
		t.Fatal("over-long secret accepted")
	}
	if _, err := newMatcher([]byte("abcd")); err != nil {
		t.Fatalf("4-byte secret refused: %v", err)
	}
}

// The secret inside a longer base64 blob, at any alignment and with any
// neighbours, is found; so is its hex form in both cases.
func TestEncodedSecretFoundAtEveryAlignment(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, secret := range []string{canary, "secr3t", "\xff\xfe\xfd\xfc\xfb\xfa?>"} {
		m := mustMatcher(t, secret)
		for pre := range 7 {
			for post := range 4 {
				for range 20 {
					blob := make([]byte, 0, pre+len(secret)+post)
					for range pre {
						blob = append(blob, byte(rng.UintN(256)))
					}
					blob = append(blob, secret...)
					for range post {
						blob = append(blob, byte(rng.UintN(256)))
					}
					std := base64.StdEncoding.EncodeToString(blob)
					url := base64.URLEncoding.EncodeToString(blob)
					if got := encodingsFound(m, []byte("x="+std+";")); got[Base64] == 0 {
						t.Fatalf("secret %q at offset %d not found in base64 %s (%v)", secret, pre, std, got)
					}
					if got := encodingsFound(m, []byte(url)); got[Base64URL] == 0 && got[Base64] == 0 {
						t.Fatalf("secret %q at offset %d not found in base64url %s", secret, pre, url)
					}
				}
			}
		}
		h := hex.EncodeToString([]byte(secret))
		if encodingsFound(m, []byte("ab"+h+"cd"))[Hex] != 1 {
			t.Fatalf("hex %s not found", h)
		}
		upper := encodingsFound(m, []byte(strings.ToUpper(h)))
		if upper[HexUpper] != 1 && (strings.ToUpper(h) != h || upper[Hex] != 1) {
			t.Fatalf("upper hex not found: %v", upper)
		}
	}
}

// Strings that nearly hold the secret must not count: one byte changed,
// a prefix, a different case, and the encodings of those.
func TestNearMissesAreNotFindings(t *testing.T) {
	m := mustMatcher(t, canary)
	type flip struct {
		at  int
		bit byte
	}
	var flips []flip
	for i := range len(canary) {
		flips = append(flips, flip{i, 0x01})
	}
	for bit := range 8 {
		// The edge bytes' bits share base64 characters with the
		// neighbours: each one must still be checked.
		flips = append(flips, flip{0, 1 << bit}, flip{len(canary) - 1, 1 << bit})
	}
	for _, f := range flips {
		i := f.at
		near := []byte(canary)
		near[i] ^= f.bit
		for _, form := range [][]byte{
			near,
			[]byte(base64.StdEncoding.EncodeToString(near)),
			[]byte(base64.URLEncoding.EncodeToString(append([]byte("ab"), near...))),
			[]byte(base64.StdEncoding.EncodeToString(append([]byte("a"), near...))),
			[]byte(base64.StdEncoding.EncodeToString(append(near, "tail"...))),
			[]byte(hex.EncodeToString(near)),
		} {
			if got := m.findAll(form); len(got) > 0 {
				t.Fatalf("near miss %q (byte %d flipped) matched %v", form, i, got)
			}
		}
	}
	for _, miss := range []string{canary[:len(canary)-1], strings.ToUpper(canary), " dt-canary-7f3a9c2 e"} {
		if got := m.findAll([]byte(miss)); len(got) > 0 {
			t.Fatalf("%q matched %v", miss, got)
		}
	}
}

// A secret straddling the pieces the stream is fed in is found exactly
// once, whatever the piece size, and the excerpt never shows it.
func TestStreamFindsSecretAcrossPieces(t *testing.T) {
	secret := canary
	m := mustMatcher(t, secret)
	enc := base64.StdEncoding.EncodeToString([]byte("xy" + secret))
	for _, form := range []struct {
		enc  Encoding
		text string
	}{{Plain, secret}, {Base64, enc}, {Hex, hex.EncodeToString([]byte(secret))}} {
		for at := range 40 {
			data := []byte(strings.Repeat("a", at) + "\nKEY=" + form.text + " after-context\n" + strings.Repeat("b", 37))
			for piece := 1; piece <= len(data); piece++ {
				s := newStream(m)
				for off := 0; off < len(data); off += piece {
					s.write(data[off:min(off+piece, len(data))])
				}
				got := s.close()
				if got.count[form.enc] != 1 || len(got.order) != 1 {
					t.Fatalf("%s at %d, piece %d: counts %v, want one %s", form.enc, at, piece, got.count, form.enc)
				}
				ex := got.excerpt[form.enc]
				if !strings.HasPrefix(ex, "KEY=") || !strings.HasSuffix(ex, " after-context") || !strings.Contains(ex, "…") {
					t.Fatalf("%s at %d, piece %d: excerpt %q lacks its context", form.enc, at, piece, ex)
				}
				assertRedacted(t, m, ex)
			}
		}
	}
}

func TestStreamCountsRepeatsAndResets(t *testing.T) {
	m := mustMatcher(t, canary)
	s := newStream(m)
	data := []byte(strings.Repeat(canary+"\x00", 1000))
	for off := 0; off < len(data); off += 333 {
		s.write(data[off:min(off+333, len(data))])
	}
	if got := s.close(); got.count[Plain] != 1000 {
		t.Fatalf("count %d, want 1000", got.count[Plain])
	}
	s.reset()
	s.write([]byte("dt-canary-"))
	s.reset()
	s.write([]byte("7f3a9c2e"))
	if got := s.close(); len(got.order) != 0 {
		t.Fatalf("a reset stream joined two files: %v", got.count)
	}
}

func TestExcerptRedactsNeighbouringOccurrences(t *testing.T) {
	m := mustMatcher(t, canary)
	cases := []string{
		"A=" + canary + canary + canary,
		canary[6:] + " B=" + canary + " C=" + canary[:10],
		"RUN |1 BUILD_REPO_SECRET=" + canary + " /bin/sh -c echo " + hex.EncodeToString([]byte(canary)),
	}
	for _, c := range cases {
		tl := m.scanBytes([]byte(c))
		if len(tl.order) == 0 {
			t.Fatalf("%q: nothing found", c)
		}
		for _, enc := range tl.order {
			assertRedacted(t, m, tl.excerpt[enc])
		}
		assertRedacted(t, m, m.redactWindow([]byte(c)))
	}
	got := m.redact([]byte("RUN |1 BUILD_REPO_SECRET=" + canary + " /bin/sh -c make"))
	if want := "RUN |1 BUILD_REPO_SECRET=dt… /bin/sh -c make"; got != want {
		t.Fatalf("redact = %q, want %q", got, want)
	}
}

func TestPrintableMakesBinarySafe(t *testing.T) {
	if got := printable([]byte("a\x00b\x1b[31mc\xffé")); got != "a.b.[31mc.é" {
		t.Fatalf("printable = %q", got)
	}
}

// The sampled search finds exactly what searching once per pattern finds,
// on random bytes sprinkled with every form of the secret, whole and
// broken.
func TestSampledSearchEqualsDirectSearch(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 5))
	longSecret := make([]byte, 100) // a larger bitset than the others'
	for i := range longSecret {
		longSecret[i] = byte(rng.Uint32())
	}
	for _, secret := range []string{canary, "abcdefgh", "0123456789abcdef0123", "\x00\x01\x02\x03\x04\x05\x06\x07\x08", string(longSecret)} {
		m := mustMatcher(t, secret)
		if m.stride == 0 {
			t.Fatalf("%q: sampled search not enabled", secret)
		}
		var forms [][]byte
		for _, p := range m.pats {
			forms = append(forms, p.core)
		}
		forms = append(forms, []byte(base64.StdEncoding.EncodeToString([]byte("x"+secret))), []byte(hex.EncodeToString([]byte(secret))))
		total := 0
		for round := range 200 {
			b := make([]byte, 300+rng.IntN(3000))
			for i := range b {
				b[i] = "abcdefgh0123456789+/=ABCDEF"[rng.IntN(27)]
				if round%2 == 0 {
					b[i] = byte(rng.UintN(256))
				}
			}
			for range rng.IntN(6) {
				f := forms[rng.IntN(len(forms))]
				if rng.IntN(3) == 0 {
					f = f[:rng.IntN(len(f))] // a broken piece
				}
				copy(b[rng.IntN(len(b)):], f)
			}
			var direct, sampled []hit
			m.eachHitDirect(b, func(h hit) { direct = append(direct, h) })
			m.eachHitSampled(b, func(h hit) { sampled = append(sampled, h) })
			sortHits(direct)
			sortHits(sampled)
			if fmt.Sprint(direct) != fmt.Sprint(sampled) {
				t.Fatalf("%q round %d: direct %v, sampled %v", secret, round, direct, sampled)
			}
			total += len(direct)
		}
		if total < 100 {
			t.Fatalf("%q: only %d occurrences in all rounds; the test proves little", secret, total)
		}
	}
}

// The 4-gram bitset fits the secret: for a usual secret it is small
// enough to stay in the L1 cache while the export streams through, and
// for any secret few enough of its bits are set that almost every sample
// is ruled out at once.
func TestGramBitsetFitsTheSecret(t *testing.T) {
	if size := len(mustMatcher(t, canary).grams) * 8; size > 8<<10 {
		t.Errorf("bitset of an %d-byte secret: %d bytes, more than an L1 cache can spare", len(canary), size)
	}
	rng := rand.New(rand.NewPCG(9, 9))
	for _, n := range []int{12, 40, 100, 300, 1000, MaxSecretLen} {
		secret := make([]byte, n)
		for i := range secret {
			secret[i] = byte(rng.Uint32())
		}
		m := mustMatcher(t, string(secret))
		set := 0
		for _, w := range m.grams {
			set += bits.OnesCount64(w)
		}
		if density := float64(set) / float64(len(m.grams)*64); density > 1.0/16 {
			t.Errorf("%d-byte secret: %.1f%% of the bitset's bits set", n, 100*density)
		}
	}
}
