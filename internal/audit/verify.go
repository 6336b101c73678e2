package audit

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
)

// Break is where a chain stops holding.
type Break struct {
	Line   int // 1-based
	Reason string
}

func (b *Break) Error() string { return fmt.Sprintf("line %d: %s", b.Line, b.Reason) }

// Report is what Verify found in an intact log.
type Report struct {
	Entries int
	Last    string // the last entry's hash; "" for an empty log
}

// Verify reads a log and checks each line: a whole entry, numbered one
// after the other, holding the hash of the line before and its own. It
// returns a *Break at the first line that fails.
func Verify(r io.Reader) (Report, error) {
	return verifyEach(r, func(Entry) bool { return true })
}

// verifyEach checks the lines as Verify does and passes each sound entry
// to each, stopping early when it returns false.
func verifyEach(r io.Reader, each func(Entry) bool) (Report, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(nil, maxLine)
	prev, seq, line := genesis, int64(0), 0
	var rep Report
	for sc.Scan() {
		line++
		b := sc.Bytes()
		if len(bytes.TrimSpace(b)) == 0 {
			return rep, &Break{line, "an empty line"}
		}
		var e Entry
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&e); err != nil {
			return rep, &Break{line, fmt.Sprintf("not an entry: %v", err)}
		}
		if e.Seq != seq+1 {
			return rep, &Break{line, fmt.Sprintf("entry %d follows entry %d: lines are missing or moved", e.Seq, seq)}
		}
		if e.Prev != prev {
			return rep, &Break{line, "it does not hold the hash of the line before: that line, or this one, was changed, removed or inserted"}
		}
		// The line must be exactly what Append writes: a duplicate key, a
		// key in other case or added space would let a reader see other
		// values than the hash covers.
		if exact, err := json.Marshal(e); err != nil || !bytes.Equal(exact, b) {
			return rep, &Break{line, "it is not written as the log writes it (a key repeated, reordered or respelled?)"}
		}
		h, err := hashOf(e)
		if err != nil {
			return rep, &Break{line, err.Error()}
		}
		if h != e.Hash {
			return rep, &Break{line, "its content does not match its hash: it was changed"}
		}
		prev, seq = e.Hash, e.Seq
		rep.Entries, rep.Last = rep.Entries+1, e.Hash
		if !each(e) {
			return rep, nil
		}
	}
	if err := sc.Err(); err != nil {
		return rep, &Break{line + 1, fmt.Sprintf("unreadable: %v", err)}
	}
	return rep, nil
}
