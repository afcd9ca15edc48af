package history

import (
	"bytes"
	"encoding/json"
	"strconv"
	"unicode/utf8"
)

// The records' JSON, written by hand: encoding/json's reflection was most
// of the time it took to write a history. The output is byte for byte what
// json.Encoder with SetEscapeHTML(false) writes for opLine, replicaLine and
// faultLine (a test holds it to that), keys in struct order, omitempty and
// omitzero fields left out as the tags say.

func appendOpLine(b []byte, o *Op) []byte {
	b = append(b, `{"type":"op","id":`...)
	b = strconv.AppendUint(b, o.ID, 10)
	b = append(b, `,"client":`...)
	b = strconv.AppendInt(b, int64(o.Client), 10)
	b = append(b, `,"op":`...)
	b = appendJSONString(b, o.Kind.String())
	b = append(b, `,"key":`...)
	b = appendJSONString(b, o.Key)
	if o.Value != "" {
		b = append(b, `,"value":`...)
		b = appendJSONString(b, o.Value)
	}
	b = appendJSONList(b, `,"context":`, o.Context)
	b = appendJSONList(b, `,"values":`, o.Values)
	b = appendJSONList(b, `,"versions":`, o.Versions)
	b = append(b, `,"invoke_ns":`...)
	b = strconv.AppendInt(b, o.InvokeNs, 10)
	b = append(b, `,"return_ns":`...)
	b = strconv.AppendInt(b, o.ReturnNs, 10)
	b = append(b, `,"coordinator":`...)
	b = strconv.AppendInt(b, int64(o.Coordinator), 10)
	if o.Final {
		b = append(b, `,"final":true`...)
	}
	if len(o.Tried) > 0 {
		b = append(b, `,"tried":[`...)
		for i, t := range o.Tried {
			if i > 0 {
				b = append(b, ',')
			}
			b = strconv.AppendInt(b, int64(t), 10)
		}
		b = append(b, ']')
	}
	if c := o.Consistency; c != nil {
		b = append(b, `,"consistency":{`...)
		sep := ""
		if c.Level != "" {
			b = append(b, `"level":`...)
			b = appendJSONString(b, c.Level)
			sep = ","
		}
		for _, f := range [...]struct {
			name string
			v    int
		}{{`"n":`, c.N}, {`"w":`, c.W}, {`"r":`, c.R}} {
			if f.v != 0 {
				b = append(b, sep...)
				b = append(b, f.name...)
				b = strconv.AppendInt(b, int64(f.v), 10)
				sep = ","
			}
		}
		b = append(b, '}')
	}
	b = append(b, `,"outcome":`...)
	b = appendJSONString(b, o.Outcome.String())
	if o.Error != "" {
		b = append(b, `,"error":`...)
		b = appendJSONString(b, o.Error)
	}
	return append(b, "}\n"...)
}

func appendReplicaLine(b []byte, s *ReplicaState) []byte {
	b = append(b, `{"type":"replica","at_ns":`...)
	b = strconv.AppendInt(b, s.AtNs, 10)
	b = append(b, `,"key":`...)
	b = appendJSONString(b, s.Key)
	b = append(b, `,"node":`...)
	b = strconv.AppendInt(b, int64(s.Node), 10)
	if s.Tombstone {
		b = append(b, `,"tombstone":true`...)
	}
	b = appendJSONList(b, `,"value_ids":`, s.ValueIDs)
	b = appendJSONList(b, `,"versions":`, s.Versions)
	return append(b, "}\n"...)
}

func appendFaultLine(b []byte, f *FaultWindow) []byte {
	b = append(b, `{"type":"fault","label":`...)
	b = appendJSONString(b, f.Label)
	b = append(b, `,"start_ns":`...)
	b = strconv.AppendInt(b, f.StartNs, 10)
	b = append(b, `,"end_ns":`...)
	b = strconv.AppendInt(b, f.EndNs, 10)
	return append(b, "}\n"...)
}

// appendJSONList appends key and the list, unless it is empty (omitempty).
func appendJSONList(b []byte, key string, list []string) []byte {
	if len(list) == 0 {
		return b
	}
	b = append(b, key...)
	b = append(b, '[')
	for i, s := range list {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, s)
	}
	return append(b, ']')
}

// appendJSONString appends s as encoding/json writes it without HTML
// escaping. Plain printable ASCII, what histories hold, is copied as it is;
// anything else goes through encoding/json itself.
func appendJSONString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == '"' || c == '\\' || c >= utf8.RuneSelf {
			return appendJSONStringSlow(b, s)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

func appendJSONStringSlow(b []byte, s string) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s) // a string always encodes
	return append(b, bytes.TrimSuffix(buf.Bytes(), []byte("\n"))...)
}
