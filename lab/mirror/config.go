package mirror

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// mirrorsKey is the daemon.json key of the docker.io mirrors, the one key
// this package ever changes.
const mirrorsKey = "registry-mirrors"

// utf8BOM may open a daemon.json written by a Windows editor; dockerd
// skips it, and so does the editing here (it is kept in place).
var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// config is a daemon.json as read: its exact bytes, and where the value of
// registry-mirrors sits in them, so that an edit changes that value and
// not one byte of anything else.
type config struct {
	data []byte
	// bodyStart is where the JSON object starts (after a BOM and
	// leading white space); empty is true for a file with no object at
	// all (empty, or only white space), which dockerd reads as {}.
	bodyStart int
	empty     bool
	// mirrors is the registry-mirrors value; valueStart and valueEnd
	// delimit it in data, both 0 when the key is absent.
	mirrors              []string
	hasMirrors           bool
	valueStart, valueEnd int
	// closing is the offset of the object's closing brace; anyKey says
	// whether the object has a key at all (an insertion needs a comma).
	closing int
	anyKey  bool
}

// parseConfig reads a daemon.json. It refuses what dockerd would refuse
// (not JSON, not an object, registry-mirrors not a list of strings) and a
// registry-mirrors key given twice, whose meaning depends on the parser.
func parseConfig(data []byte) (*config, error) {
	c := &config{data: data}
	body := data
	if bytes.HasPrefix(body, utf8BOM) {
		body = body[len(utf8BOM):]
		c.bodyStart = len(utf8BOM)
	}
	trimmed := bytes.TrimLeft(body, " \t\r\n")
	c.bodyStart += len(body) - len(trimmed)
	if len(bytes.TrimSpace(trimmed)) == 0 {
		c.empty = true
		return c, nil
	}
	if !json.Valid(trimmed) {
		var v any
		err := json.Unmarshal(trimmed, &v)
		return nil, fmt.Errorf("not valid JSON: %w", err)
	}
	if trimmed[0] != '{' {
		return nil, errors.New("not a JSON object: daemon.json must be { ... }")
	}
	dec := json.NewDecoder(bytes.NewReader(trimmed))
	if _, err := dec.Token(); err != nil { // the opening brace
		return nil, err
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		key, _ := tok.(string)
		c.anyKey = true
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, err
		}
		if key != mirrorsKey {
			continue
		}
		if c.hasMirrors {
			return nil, fmt.Errorf("%q appears twice", mirrorsKey)
		}
		end := c.bodyStart + int(dec.InputOffset())
		c.valueStart, c.valueEnd = end-len(raw), end
		c.hasMirrors = true
		if err := json.Unmarshal(raw, &c.mirrors); err != nil {
			return nil, fmt.Errorf("%q must be a list of URLs: %w", mirrorsKey, err)
		}
	}
	if _, err := dec.Token(); err != nil { // the closing brace
		return nil, err
	}
	c.closing = c.bodyStart + int(dec.InputOffset()) - 1
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("more than one JSON value")
	}
	return c, nil
}

// withMirrors returns the file with registry-mirrors set to mirrors (an
// empty list is written as [], which clears the daemon's mirrors on a
// reload; an absent key would leave them as they are). Every other byte
// is kept: a present value is replaced where it stands, a missing key is
// added last.
func (c *config) withMirrors(mirrors []string) []byte {
	if mirrors == nil {
		mirrors = []string{}
	}
	value, _ := json.Marshal(mirrors) // a []string always marshals
	var out bytes.Buffer
	switch {
	case c.hasMirrors:
		out.Write(c.data[:c.valueStart])
		out.Write(value)
		out.Write(c.data[c.valueEnd:])
	case c.empty:
		out.Write(c.data[:c.bodyStart])
		fmt.Fprintf(&out, "{%q: %s}\n", mirrorsKey, value)
	default:
		// Insert before the closing brace, after any white space that
		// ends the last value, so the file's own layout stays around it.
		head := bytes.TrimRight(c.data[:c.closing], " \t\r\n")
		out.Write(head)
		if c.anyKey {
			out.WriteString(",")
		}
		fmt.Fprintf(&out, "\n  %q: %s", mirrorsKey, value)
		out.Write(c.data[len(head):])
	}
	return out.Bytes()
}
