package jsonscan

import (
	"encoding/binary"
	"math/bits"
)

// Masks of the SWAR test in plain: each byte of a word holds the constant.
const (
	ones  = 0x0101010101010101
	highs = 0x8080808080808080
)

// plain returns the first index from j of a byte that ends or escapes a
// string's run of common bytes ('"', '\\' or a control byte), or len(d).
// It tests eight bytes at a time: strings are most of a Proxmox list's
// bytes, and checking them one by one was a third of a walk's time.
func plain(d []byte, j int) int {
	for ; j+8 <= len(d); j += 8 {
		x := binary.LittleEndian.Uint64(d[j:])
		// A byte's high bit is set where it is below 0x20, a quote or a
		// backslash; borrows can only mark bytes after a true one, so the
		// lowest mark is exact.
		m := (x - 0x20*ones) | ((x ^ '"'*ones) - ones) | ((x ^ '\\'*ones) - ones)
		if m &= ^x & highs; m != 0 {
			return j + bits.TrailingZeros64(m)/8
		}
	}
	for j < len(d) && d[j] >= 0x20 && d[j] != '"' && d[j] != '\\' {
		j++
	}
	return j
}
