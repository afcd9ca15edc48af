package wire

import "fmt"

// Message kinds of the node protocol. Numbers are part of the wire format;
// ranges are reserved per protocol area so later areas slot in without
// renumbering:
//
//	1–15    client requests and replies
//	16–31   coordinator ↔ replica reads and writes
//	32–47   gossip membership and failure detection
//	48–63   hinted handoff (reserved)
//	64–79   Merkle-tree anti-entropy and range streaming (reserved)
//	200–255 test-only kinds (never registered by this package)
const (
	KindClientGet    Kind = 1
	KindClientPut    Kind = 2
	KindClientDelete Kind = 3
	KindClientReply  Kind = 4

	KindWriteRequest Kind = 16
	KindWriteAck     Kind = 17
	KindReadRequest  Kind = 18
	KindReadResponse Kind = 19

	KindGossipPush  Kind = 32
	KindGossipReply Kind = 33

	KindAETree    Kind = 64
	KindAEEntries Kind = 65

	KindStreamRequest Kind = 66
	KindStreamChunk   Kind = 67
	KindStreamDone    Kind = 68
)

// decodable is a message type Decode can build: it parses its own payload.
type decodable interface {
	Message
	decodePayload(d *decoder)
}

// kindTable holds, per kind, the constructor Decode uses; names live in
// kindNames (message.go) so that Kind.String works for every registered kind.
var kindTable [256]struct {
	decoder func() decodable
}

// register records a kind's name and decoder. It panics on a duplicate or an
// empty name: that is a programming error caught at init by any test.
func register(k Kind, name string, newMsg func() decodable) {
	if name == "" || kindNames[k] != "" {
		panic(fmt.Sprintf("net: kind %d registered twice or without a name (%q, had %q)", k, name, kindNames[k]))
	}
	if _, dup := KindByName(name); dup {
		panic(fmt.Sprintf("net: kind name %q registered twice", name))
	}
	kindNames[k] = name
	kindTable[k].decoder = newMsg
}

func init() {
	register(KindClientGet, "client_get", func() decodable { return new(ClientGet) })
	register(KindClientPut, "client_put", func() decodable { return new(ClientPut) })
	register(KindClientDelete, "client_delete", func() decodable { return new(ClientDelete) })
	register(KindClientReply, "client_reply", func() decodable { return new(ClientReply) })
	register(KindWriteRequest, "write_request", func() decodable { return new(WriteRequest) })
	register(KindWriteAck, "write_ack", func() decodable { return new(WriteAck) })
	register(KindReadRequest, "read_request", func() decodable { return new(ReadRequest) })
	register(KindReadResponse, "read_response", func() decodable { return new(ReadResponse) })
	register(KindGossipPush, "gossip_push", func() decodable { return new(GossipPush) })
	register(KindGossipReply, "gossip_reply", func() decodable { return new(GossipReply) })
	register(KindAETree, "ae_tree", func() decodable { return new(AETree) })
	register(KindAEEntries, "ae_entries", func() decodable { return new(AEEntries) })
	register(KindStreamRequest, "stream_request", func() decodable { return new(StreamRequest) })
	register(KindStreamChunk, "stream_chunk", func() decodable { return new(StreamChunk) })
	register(KindStreamDone, "stream_done", func() decodable { return new(StreamDone) })
}
