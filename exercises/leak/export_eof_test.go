package leak

import (
	"archive/tar"
	"bytes"
	"context"
	"io"
	"testing"
)

// lastBytesWithEOF hands over the final bytes of its data together with
// io.EOF, as an HTTP body may.
type lastBytesWithEOF struct{ r *bytes.Reader }

func (l *lastBytesWithEOF) Read(p []byte) (int, error) {
	if len(p) > 4096 {
		p = p[:4096]
	}
	n, err := l.r.Read(p)
	if err == nil && l.r.Len() == 0 {
		err = io.EOF
	}
	return n, err
}

func TestExportEndMarkerArrivingWithEOF(t *testing.T) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	tw.WriteHeader(&tar.Header{Name: "x", Mode: 0o644, Size: 3})
	tw.Write([]byte("abc"))
	tw.Close()
	full := buf.Bytes()

	m, err := newMatcher([]byte("canary-abcdefgh"))
	if err != nil {
		t.Fatal(err)
	}
	x := newExportReader(m, defaultLimits)
	defer x.close()
	if err := x.read(context.Background(), &lastBytesWithEOF{bytes.NewReader(full)}); err != nil {
		t.Fatalf("a complete export whose last read also says EOF: %v", err)
	}
	// Cut at the entry boundary, before the end marker: still an error.
	cut := full[:512+512]
	y := newExportReader(m, defaultLimits)
	defer y.close()
	if err := y.read(context.Background(), &lastBytesWithEOF{bytes.NewReader(cut)}); err == nil {
		t.Fatal("an export cut before its end marker must be an error")
	}
}
