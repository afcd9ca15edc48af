package wire

import "strconv"

// Addr identifies an endpoint: a node or a client. Addresses are dense small
// integers so the simulator can index tables by them.
type Addr int32

// None is the zero-value "no endpoint" address.
const None Addr = -1

// Kind enumerates message kinds. The simulated network can draw latency per
// kind and the world counts messages and bytes per kind.
type Kind uint8

// Message is anything sent between endpoints.
type Message interface {
	// Kind says what the message is, for latency models and accounting.
	Kind() Kind
	// Size is the exact number of bytes AppendFrame appends.
	Size() int
	// AppendFrame appends the message's complete wire frame (header, payload
	// and checksum) to b and returns the extended slice.
	AppendFrame(b []byte) []byte
}

// kindNames names the kinds registered by the message types of this package.
// Unregistered kinds print as "kind(N)".
var kindNames [256]string

// String returns the kind's registered name, e.g. "write_request".
func (k Kind) String() string {
	if n := kindNames[k]; n != "" {
		return n
	}
	return "kind(" + strconv.Itoa(int(k)) + ")"
}

// KindByName returns the kind registered under name.
func KindByName(name string) (Kind, bool) {
	for i, n := range kindNames {
		if n != "" && n == name {
			return Kind(i), true
		}
	}
	return 0, false
}

// Kinds returns every registered kind in ascending order.
func Kinds() []Kind {
	var ks []Kind
	for i, n := range kindNames {
		if n != "" {
			ks = append(ks, Kind(i))
		}
	}
	return ks
}
