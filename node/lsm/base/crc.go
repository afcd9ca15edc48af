package base

import "hash/crc32"

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// CRC returns the CRC-32C (Castagnoli) checksum of b; every checksum the
// engine stores is one of these (hardware-accelerated on amd64 and arm64).
func CRC(b []byte) uint32 { return crc32.Checksum(b, castagnoli) }

// CRCUpdate extends crc with b.
func CRCUpdate(crc uint32, b []byte) uint32 { return crc32.Update(crc, castagnoli, b) }
