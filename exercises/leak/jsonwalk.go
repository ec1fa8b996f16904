package leak

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
)

// jsonValue is a string (or number) inside a JSON document and its path,
// written as a learner would address it: Config.Env[0], Labels["a.b"].
type jsonValue struct {
	path  string
	value string
	isKey bool // value is an object key, not a value
}

// walkJSON calls fn for every string, number and object key of the
// document in document order. It reads tokens, so the document's key
// order is kept and no map is built.
func walkJSON(data []byte, fn func(jsonValue)) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := walkValue(dec, "", fn, 0); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("trailing data after JSON value")
	}
	return nil
}

// maxJSONDepth stops hostile documents from recursing without bound.
const maxJSONDepth = 200

func walkValue(dec *json.Decoder, path string, fn func(jsonValue), depth int) error {
	if depth > maxJSONDepth {
		return errors.New("JSON nested too deeply")
	}
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	switch v := tok.(type) {
	case json.Delim:
		switch v {
		case '{':
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return err
				}
				key, ok := kt.(string)
				if !ok {
					return fmt.Errorf("object key is %T", kt)
				}
				child := joinKey(path, key)
				fn(jsonValue{path: child, value: key, isKey: true})
				if err := walkValue(dec, child, fn, depth+1); err != nil {
					return err
				}
			}
		case '[':
			for i := 0; dec.More(); i++ {
				if err := walkValue(dec, path+"["+strconv.Itoa(i)+"]", fn, depth+1); err != nil {
					return err
				}
			}
		}
		_, err := dec.Token() // the closing delimiter
		return err
	case string:
		fn(jsonValue{path: path, value: v})
	case json.Number:
		fn(jsonValue{path: path, value: v.String()})
	}
	return nil
}

var plainKey = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

func joinKey(path, key string) string {
	if !plainKey.MatchString(key) {
		return path + "[" + strconv.Quote(key) + "]"
	}
	if path == "" {
		return key
	}
	return path + "." + key
}
