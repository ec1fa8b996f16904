package leak

import (
	"bytes"
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"runtime"
	"strings"
	"testing"
	"testing/iotest"
	"time"
)

func aheadBuffers(n, size int) [][]byte {
	var bufs [][]byte
	for range n {
		bufs = append(bufs, make([]byte, size))
	}
	return bufs
}

// The consumer of a read-ahead sees the source's bytes exactly, in order,
// then the source's own error, whatever the sizes of buffers and reads.
func TestReadAheadKeepsTheStreamWhole(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 11))
	data := make([]byte, 10_000)
	for i := range data {
		data[i] = byte(rng.Uint32())
	}
	for _, size := range []int{1, 7, 512, 4096, 20_000} {
		for _, n := range []int{1, 2, 5} {
			for _, end := range []error{io.EOF, io.ErrUnexpectedEOF} {
				src := io.MultiReader(iotest.HalfReader(bytes.NewReader(data)), iotest.ErrReader(end))
				ra := newReadAhead(src, aheadBuffers(n, size))
				got, err := io.ReadAll(iotest.OneByteReader(ra))
				if end == io.EOF && err != nil || end != io.EOF && !errors.Is(err, end) {
					t.Fatalf("size %d, %d buffers: error %v, want %v", size, n, err, end)
				}
				if !bytes.Equal(got, data) {
					t.Fatalf("size %d, %d buffers: %d bytes differ from the %d sent", size, n, len(got), len(data))
				}
				ra.close()
			}
		}
	}
}

// Closing a read-ahead whose consumer stopped early ends its goroutine,
// also while it waits to hand over a full buffer.
func TestReadAheadCloseEndsTheGoroutine(t *testing.T) {
	before := runtime.NumGoroutine()
	for range 20 {
		ra := newReadAhead(bytes.NewReader(make([]byte, 1<<20)), aheadBuffers(3, 1024))
		ra.Read(make([]byte, 10))
		ra.close()
		ra.close() // twice is harmless
	}
	waitGoroutines(t, before)
}

// waitGoroutines fails unless the goroutine count falls back to before.
func waitGoroutines(t *testing.T, before int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<16)
			t.Fatalf("%d goroutines left running, %d before:\n%s", runtime.NumGoroutine(), before, buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// A secret that a compressed layer's read-ahead buffers cut in two is
// found, at every offset of the cut.
func TestScanFindsSecretAcrossReadAheadBuffers(t *testing.T) {
	lim := defaultLimits
	lim.aheadSize, lim.aheadBuffers = 1024, 2
	for _, comp := range []string{"gzip", "zstd"} {
		for cut := range len(canary) + 1 {
			// The file's contents start after its 512-byte tar header: the
			// secret begins cut bytes before the first buffer's end.
			body := strings.Repeat("x", lim.aheadSize-512-cut) + canary + strings.Repeat("y", 3000)
			img := testImage{steps: []testStep{{createdBy: "ADD f", files: []testFile{{name: "etc/f", body: []byte(body)}}}}}
			r := scanFake(t, newFake(t, "cut:1", img, exportOptions{layout: ociLayout, compression: comp}), lim)
			f := layerFinding(r, "etc/f", false, Plain)
			if f == nil || f.Count != 1 || !r.Complete() {
				t.Fatalf("%s, secret cut %d bytes before a buffer's end: not found once\n%s", comp, cut, describe(r))
			}
		}
	}
}

// What a compressed layer holds after its tar's end marker is searched
// too: the decompressor reads ahead of the tar reader, so those bytes are
// no longer there for the raw search of the rest of the entry.
func TestScanSearchesCompressedBytesAfterTheLastEntry(t *testing.T) {
	for _, comp := range []string{"gzip", "zstd"} {
		t.Run(comp, func(t *testing.T) {
			img := testImage{steps: []testStep{{createdBy: "ADD f", files: []testFile{{name: "etc/motd", body: []byte("hello")}}}}}
			o := exportOptions{layout: ociLayout, compression: comp, layerTail: []byte("trailing " + canary)}
			r := scanFake(t, newFake(t, "trail:1", img, o), defaultLimits)
			got := layerFinding(r, "(decompressed bytes after the layer's last entry)", false, Plain)
			if got == nil || got.Layer.Index != 0 || got.Count != 1 {
				t.Fatalf("secret after the end marker not reported once\n%s", describe(r))
			}
			if layerFinding(r, "etc/motd", false, Plain) != nil || len(r.Findings) != 1 {
				t.Fatalf("findings beyond the trailing bytes\n%s", describe(r))
			}
		})
	}
}

// Every scan, read to the end, broken or cancelled, leaves no goroutine
// behind.
func TestScanLeavesNoGoroutine(t *testing.T) {
	before := runtime.NumGoroutine()
	for _, comp := range []string{"gzip", "zstd"} {
		f := newFake(t, "leaky:1", leakyImage(), exportOptions{layout: ociLayout, compression: comp})
		scanFake(t, f, defaultLimits)
		broken := bytes.Clone(f.export)
		for i := len(broken) / 3; i < len(broken)/3+200; i++ {
			broken[i] ^= 0x5a
		}
		f.export = broken
		scan(context.Background(), f, f.ref, []byte(canary), Options{}, defaultLimits)
		// Cancelled in the middle of a layer, while the decompressor is
		// ahead of the search.
		f = newFake(t, "leaky:1", leakyImage(), exportOptions{layout: ociLayout, compression: comp})
		ctx, cancel := context.WithCancel(context.Background())
		f.exportWrap = func(r io.Reader) io.Reader { return &cancelAfter{r: r, left: len(f.export) / 2, cancel: cancel} }
		small := defaultLimits
		small.aheadSize, small.aheadBuffers = 1024, 2 // far less than a layer
		if _, err := scan(ctx, f, f.ref, []byte(canary), Options{}, small); !errors.Is(err, context.Canceled) {
			t.Fatalf("%s: cancelled scan: %v", comp, err)
		}
	}
	waitGoroutines(t, before)
}

// cancelAfter cancels a context once left bytes have been read through it.
type cancelAfter struct {
	r      io.Reader
	left   int
	cancel context.CancelFunc
}

func (c *cancelAfter) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	if c.left -= n; c.left <= 0 {
		c.cancel()
	}
	return n, err
}

// The read-ahead buffers are allocated once per scan and stay small.
func TestReadAheadBuffersAreBounded(t *testing.T) {
	x := newExportReader(mustMatcher(t, canary), defaultLimits)
	f := newFake(t, "leaky:1", leakyImage(), exportOptions{layout: ociLayout, compression: "gzip"})
	if err := x.read(context.Background(), bytes.NewReader(f.export)); err != nil {
		t.Fatal(err)
	}
	total := 0
	for _, b := range x.ahead {
		total += cap(b)
	}
	if len(x.ahead) != defaultLimits.aheadBuffers || total > 2<<20 {
		t.Fatalf("%d read-ahead buffers, %d bytes in all", len(x.ahead), total)
	}
}
