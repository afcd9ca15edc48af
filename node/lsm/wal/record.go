package wal

import (
	"encoding/binary"

	"dynasim/node/lsm/base"
)

// HeaderLen is the size of a record header.
const HeaderLen = 20

// MaxRecordBytes is the hard limit on one record's payload. The engine's
// batch limit must not exceed it.
const MaxRecordBytes = 256 << 20

// Header is a decoded record header.
type Header struct {
	PayloadLen uint32
	PayloadCRC uint32
	SyncedSeq  uint64
}

func putHeader(dst []byte, payload []byte, syncedSeq uint64) {
	binary.LittleEndian.PutUint32(dst[4:8], uint32(len(payload)))
	binary.LittleEndian.PutUint32(dst[8:12], base.CRC(payload))
	binary.LittleEndian.PutUint64(dst[12:20], syncedSeq)
	binary.LittleEndian.PutUint32(dst[0:4], base.CRC(dst[4:HeaderLen]))
}

// parseHeader decodes b[:HeaderLen] and reports whether its checksum holds.
func parseHeader(b []byte) (Header, bool) {
	if binary.LittleEndian.Uint32(b[0:4]) != base.CRC(b[4:HeaderLen]) {
		return Header{}, false
	}
	return Header{
		PayloadLen: binary.LittleEndian.Uint32(b[4:8]),
		PayloadCRC: binary.LittleEndian.Uint32(b[8:12]),
		SyncedSeq:  binary.LittleEndian.Uint64(b[12:20]),
	}, true
}
