package pvesim

import (
	"crypto/sha256"
	"strings"
)

// sha256Crypt is glibc's crypt(3) "$5$" (SHA-256 crypt, 5000 rounds), what
// Perl's crypt() gives PVE::Tools::encrypt_pw.
func sha256Crypt(password, salt string) string {
	if len(salt) > 16 {
		salt = salt[:16]
	}
	p, s := []byte(password), []byte(salt)
	sum := func(parts ...[]byte) []byte {
		h := sha256.New()
		for _, x := range parts {
			h.Write(x)
		}
		return h.Sum(nil)
	}
	b := sum(p, s, p)
	a := sha256.New()
	a.Write(p)
	a.Write(s)
	for i := len(p); i > 0; i -= 32 {
		a.Write(b[:min(i, 32)])
	}
	for i := len(p); i > 0; i >>= 1 {
		if i&1 != 0 {
			a.Write(b)
		} else {
			a.Write(p)
		}
	}
	c := a.Sum(nil)
	dp := sha256.New()
	for range p {
		dp.Write(p)
	}
	pBytes := repeatTo(dp.Sum(nil), len(p))
	ds := sha256.New()
	for i := 0; i < 16+int(c[0]); i++ {
		ds.Write(s)
	}
	sBytes := repeatTo(ds.Sum(nil), len(s))
	for r := 0; r < 5000; r++ {
		h := sha256.New()
		if r&1 != 0 {
			h.Write(pBytes)
		} else {
			h.Write(c)
		}
		if r%3 != 0 {
			h.Write(sBytes)
		}
		if r%7 != 0 {
			h.Write(pBytes)
		}
		if r&1 != 0 {
			h.Write(c)
		} else {
			h.Write(pBytes)
		}
		c = h.Sum(nil)
	}
	const itoa64 = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	var out strings.Builder
	enc := func(b2, b1, b0 byte, n int) {
		w := uint32(b2)<<16 | uint32(b1)<<8 | uint32(b0)
		for ; n > 0; n-- {
			out.WriteByte(itoa64[w&0x3f])
			w >>= 6
		}
	}
	for _, g := range [][3]int{{0, 10, 20}, {21, 1, 11}, {12, 22, 2}, {3, 13, 23}, {24, 4, 14},
		{15, 25, 5}, {6, 16, 26}, {27, 7, 17}, {18, 28, 8}, {9, 19, 29}} {
		enc(c[g[0]], c[g[1]], c[g[2]], 4)
	}
	enc(0, c[31], c[30], 3)
	return "$5$" + salt + "$" + out.String()
}

func repeatTo(src []byte, n int) []byte {
	out := make([]byte, n)
	for i := range out {
		out[i] = src[i%len(src)]
	}
	return out
}
