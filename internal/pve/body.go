package pve

import (
	"io"
	"net/http"
	"slices"
	"sync"
)

// readBody reads at most maxBodyBytes+1 bytes of resp into buf's room,
// grown to the announced length when there is one, else doubled as it
// fills: io.ReadAll grows by a quarter, so a 3 MB list of a big cluster
// was copied and cleared a dozen times.
func readBody(resp *http.Response, buf []byte) ([]byte, error) {
	const limit = maxBodyBytes + 1
	buf = buf[:0]
	if n := resp.ContentLength; n > 0 && n <= maxBodyBytes {
		buf = slices.Grow(buf, int(n)+1) // +1: the read that sees EOF needs no room
	}
	for {
		if len(buf) == cap(buf) {
			buf = slices.Grow(buf, max(len(buf), 16<<10))
		}
		n, err := resp.Body.Read(buf[len(buf):min(cap(buf), limit)])
		buf = buf[:len(buf)+n]
		switch {
		case err == io.EOF:
			return buf, nil
		case err != nil:
			return buf, err
		case len(buf) >= limit:
			return buf, nil
		}
	}
}

// maxPooledBody bounds the buffers kept for the next list: a rare huge
// answer is not held on to.
const maxPooledBody = 16 << 20

// bodyPool recycles the buffers lists are read into: a big cluster's
// default page then costs no 3 MB allocation, nor the collections it
// brings on.
type bodyPool struct{ p sync.Pool }

func (bp *bodyPool) get() *[]byte {
	if b, ok := bp.p.Get().(*[]byte); ok {
		return b
	}
	return new([]byte)
}

func (bp *bodyPool) put(b *[]byte) {
	if cap(*b) <= maxPooledBody {
		*b = (*b)[:0]
		bp.p.Put(b)
	}
}
