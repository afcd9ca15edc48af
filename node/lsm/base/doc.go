// Package base holds what every part of the storage engine shares: the
// internal key encoding (user key plus a sequence/kind trailer, as in
// LevelDB), the comparison that orders internal keys, and the corruption
// error that names the damaged file and offset.
//
// An internal key is the user key followed by an 8-byte little-endian
// trailer (seq<<8 | kind). Internal keys sort by user key ascending, then by
// trailer descending, so the newest version of a key comes first and a seek
// to (key, seq) lands on the newest version visible at seq.
package base
