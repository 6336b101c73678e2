package httpserver

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

func TestReadAllSized(t *testing.T) {
	for _, body := range []string{"", "x", strings.Repeat("abc", 700)} {
		for _, size := range []int64{-1, 0, 1, int64(len(body)) - 1, int64(len(body)), int64(len(body)) + 5} {
			for name, r := range map[string]io.Reader{
				"plain":    strings.NewReader(body),
				"one byte": iotest.OneByteReader(strings.NewReader(body)),
				"data+EOF": iotest.DataErrReader(strings.NewReader(body)),
			} {
				got, err := readAllSized(r, size)
				if err != nil || !bytes.Equal(got, []byte(body)) {
					t.Errorf("%s, %d bytes said %d: %d bytes, %v", name, len(body), size, len(got), err)
				}
			}
		}
	}
	boom := errors.New("boom")
	r := io.MultiReader(strings.NewReader("abc"), iotest.ErrReader(boom))
	if got, err := readAllSized(r, 10); !errors.Is(err, boom) || string(got) != "abc" {
		t.Errorf("%q, %v", got, err)
	}
}
