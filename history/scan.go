package history

import (
	"encoding/json"
	"errors"
)

// member is one top-level member of a JSON object: its key and the raw
// bytes of its value (aliasing the line).
type member struct {
	key   string
	value []byte
}

type members []member

func (ms members) get(key string) ([]byte, bool) {
	for _, m := range ms {
		if m.key == key {
			return m.value, true
		}
	}
	return nil, false
}

// scanObject lists the top-level members of b, which must be valid JSON
// (json.Valid) — so the scanner only has to find boundaries, not diagnose
// syntax. It replaces decoding into a map, which costs as much as decoding
// the record itself.
func scanObject(b []byte, out members) (members, error) {
	i := skipSpace(b, 0)
	if i >= len(b) || b[i] != '{' {
		return nil, errors.New("not a JSON object")
	}
	i = skipSpace(b, i+1)
	if i < len(b) && b[i] == '}' {
		return out, nil
	}
	for i < len(b) {
		end := skipString(b, i)
		key := string(b[i+1 : end-1])
		for _, c := range b[i+1 : end-1] {
			if c == '\\' { // escaped key: let encoding/json decode it
				if err := json.Unmarshal(b[i:end], &key); err != nil {
					return nil, err
				}
				break
			}
		}
		i = skipSpace(b, end)
		i = skipSpace(b, i+1) // past ':'
		start := i
		i = skipValue(b, i)
		out = append(out, member{key: key, value: b[start:i]})
		i = skipSpace(b, i)
		if i >= len(b) || b[i] == '}' {
			break
		}
		i = skipSpace(b, i+1) // past ','
	}
	return out, nil
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// skipString returns the index just past the string starting at b[i] == '"'.
func skipString(b []byte, i int) int {
	for i++; i < len(b); i++ {
		switch b[i] {
		case '\\':
			i++
		case '"':
			return i + 1
		}
	}
	return len(b)
}

// skipValue returns the index just past the value starting at b[i].
func skipValue(b []byte, i int) int {
	if i >= len(b) {
		return i
	}
	switch b[i] {
	case '"':
		return skipString(b, i)
	case '{', '[':
		depth := 0
		for i < len(b) {
			switch b[i] {
			case '"':
				i = skipString(b, i)
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1
				}
			}
			i++
		}
		return i
	default: // number, true, false, null
		for i < len(b) && b[i] != ',' && b[i] != '}' && b[i] != ']' && b[i] != ' ' && b[i] != '\t' && b[i] != '\n' && b[i] != '\r' {
			i++
		}
		return i
	}
}
