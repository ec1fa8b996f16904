package leak

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
)

// benchExport is an uncompressed docker-archive export of about 100 MB:
// 1000 files of 100 KiB of random bytes in two layers, as Docker 20.10
// exports it.
func benchExport(b *testing.B) []byte {
	rng := rand.New(rand.NewPCG(1, 1))
	var steps []testStep
	for l := range 2 {
		var files []testFile
		for i := range 500 {
			body := make([]byte, 100<<10)
			for j := 0; j < len(body); j += 8 {
				v := rng.Uint64()
				for k := range 8 {
					body[j+k] = byte(v >> (8 * k))
				}
			}
			files = append(files, testFile{name: fmt.Sprintf("data%d/f%d", l, i), body: body})
		}
		steps = append(steps, testStep{createdBy: "RUN fill", files: files})
	}
	data, _ := buildExport(b, testImage{steps: steps}, exportOptions{})
	return data
}

// BenchmarkExportReader measures the scanner's own cost per byte of
// export, without the daemon.
func BenchmarkExportReader(b *testing.B) {
	data := benchExport(b)
	m := mustMatcher(b, "dt-canary-bench-5e1f9a0c")
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	for range b.N {
		x := newExportReader(m, defaultLimits)
		if err := x.read(context.Background(), bytes.NewReader(data)); err != nil {
			b.Fatal(err)
		}
		x.close()
	}
}

// BenchmarkStream measures the matcher alone on random bytes.
func BenchmarkStream(b *testing.B) {
	m := mustMatcher(b, "dt-canary-bench-5e1f9a0c")
	piece := make([]byte, 256<<10)
	rng := rand.New(rand.NewPCG(2, 2))
	for i := range piece {
		piece[i] = byte(rng.Uint32())
	}
	s := newStream(m)
	b.SetBytes(int64(len(piece)))
	b.ResetTimer()
	for range b.N {
		s.write(piece)
	}
}
