package builder

import (
	"bufio"
	"encoding/json"
	"errors"
	"io"
	"strings"

	"github.com/moby/moby/api/types/jsonstream"
)

// readStream decodes the daemon's build output, a stream of JSON messages,
// handing each to handle. It returns the daemon's error message when the
// build ended with one, and err when the stream broke off (a closed
// connection, a daemon that died) rather than ending cleanly.
func readStream(body io.Reader, handle func(jsonstream.Message)) (daemonError string, err error) {
	dec := json.NewDecoder(bufio.NewReader(body))
	for {
		var msg jsonstream.Message
		if err := dec.Decode(&msg); err != nil {
			if errors.Is(err, io.EOF) {
				return "", nil
			}
			return "", err
		}
		if msg.Error != nil {
			return msg.Error.Message, nil
		}
		handle(msg)
	}
}

// lineSplitter turns chunks of output into whole lines; a chunk may end
// mid-line or hold several lines.
type lineSplitter struct {
	partial strings.Builder
}

// write adds a chunk and returns the lines it completed, without their
// line ends.
func (s *lineSplitter) write(chunk string) []string {
	var lines []string
	for {
		i := strings.IndexByte(chunk, '\n')
		if i < 0 {
			s.partial.WriteString(chunk)
			return lines
		}
		s.partial.WriteString(chunk[:i])
		lines = append(lines, strings.TrimSuffix(s.partial.String(), "\r"))
		s.partial.Reset()
		chunk = chunk[i+1:]
	}
}

// flush returns the unterminated last line, if any.
func (s *lineSplitter) flush() (string, bool) {
	if s.partial.Len() == 0 {
		return "", false
	}
	line := strings.TrimSuffix(s.partial.String(), "\r")
	s.partial.Reset()
	return line, true
}
