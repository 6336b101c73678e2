package audit

import (
	"fmt"
	"os"
)

// Undo is what a config change's result entry keeps so that pve_undo can
// put the object back: the prior value of exactly the keys the change set
// or deleted, and the object's digest before and after it. Secret values
// are never kept: such a key only says whether it had a value.
type Undo struct {
	// Op is what the change did to the object at Path: "set" (keys
	// changed; undo sets them back), "create" (undo deletes it) or
	// "delete" (undo creates it again at Create with Keys' prior values).
	Op     string             `json:"op"`
	Path   string             `json:"path"`
	Create string             `json:"create,omitempty"`
	Keys   map[string]UndoKey `json:"keys"`
	Before string             `json:"digest_before,omitempty"`
	After  string             `json:"digest_after"`
	// Undoes is the entry this change reverted, when it was a pve_undo.
	Undoes int64 `json:"undoes,omitempty"`
}

// UndoKey is one key before and after the change; nil means absent.
type UndoKey struct {
	Before *string `json:"before"`
	After  *string `json:"after"`
	// Secret: the values are withheld; Before and After are "***" when set.
	Secret bool `json:"secret,omitempty"`
}

// Entries reads the log back, checking its chain from the first line to
// entry upto, and further, to the last entry this process wrote: a log
// rewritten since, even with a chain recomputed, no longer ends where
// this process knows it did. Entries after upto are not returned.
func (l *Log) Entries(upto int64) ([]Entry, error) {
	headSeq, headHash := l.Head()
	f, err := os.Open(l.path)
	if err != nil {
		return nil, fmt.Errorf("read the audit log: %w", err)
	}
	defer f.Close()
	var out []Entry
	last := max(upto, headSeq)
	var seen, head Entry
	_, err = verifyEach(f, func(e Entry) bool {
		if e.Seq <= upto {
			out = append(out, e)
		}
		if e.Seq == headSeq {
			head = e
		}
		seen = e
		return e.Seq < last
	})
	if err != nil {
		return nil, fmt.Errorf("the audit log %s does not verify (%w), so no entry of it is trusted; run `proxmox-mcp-server audit verify %s`", l.path, err, l.path)
	}
	switch {
	case headSeq > 0 && seen.Seq < headSeq:
		return nil, fmt.Errorf("the audit log %s ends at entry %d, but this server wrote up to entry %d: it was cut, so no entry of it is trusted", l.path, seen.Seq, headSeq)
	case headSeq > 0 && head.Hash != headHash:
		return nil, fmt.Errorf("entry %d of the audit log %s is not the one this server wrote (its hash differs): the log was rewritten, so no entry of it is trusted", headSeq, l.path)
	}
	return out, nil
}
