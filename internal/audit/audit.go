// Package audit keeps the trail of every write, refusal and consent
// (PVE_AUDIT_LOG): JSON lines, each holding the hash of the line before,
// so a line changed, removed or inserted later breaks the chain where it
// happened (Verify). Each line is synced to disk before the call answers;
// once the file cannot be written, every later Append fails, so the
// server refuses writes rather than make them unrecorded.
package audit

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"time"
)

// Entry is one line of the log. Append sets Seq, Time, Prev and Hash.
type Entry struct {
	Seq       int64           `json:"seq"`
	Time      string          `json:"time"`
	Principal string          `json:"principal"`
	Cluster   string          `json:"cluster,omitempty"` // PVE_CONFIG_FILE's cluster name; "" with one cluster
	Event     string          `json:"event"`             // call, consent, result
	Call      string          `json:"call,omitempty"`
	Tool      string          `json:"tool,omitempty"`
	Args      json.RawMessage `json:"args,omitempty"`
	Target    string          `json:"target,omitempty"`
	Question  string          `json:"question,omitempty"`
	Outcome   string          `json:"outcome,omitempty"`
	UPID      string          `json:"upid,omitempty"`
	Error     string          `json:"error,omitempty"`
	Plan      string          `json:"plan,omitempty"`
	Undo      *Undo           `json:"undo,omitempty"` // a result's prior values, for pve_undo
	Prev      string          `json:"prev"`
	Hash      string          `json:"hash,omitempty"`
}

// maxArgs bounds the arguments an entry keeps; larger ones are replaced
// by their size and hash, so one huge call cannot make the log unreadable.
// maxLine is what Open and Verify read a line up to.
const (
	maxArgs = 64 << 10
	maxLine = 1 << 20
)

// genesis is the Prev of the first line.
const genesis = "0000000000000000000000000000000000000000000000000000000000000000"

// hashOf is the hash an entry carries: SHA-256 of its JSON without Hash.
func hashOf(e Entry) (string, error) {
	e.Hash = ""
	b, err := json.Marshal(e)
	if err != nil {
		return "", fmt.Errorf("audit: encoding entry %d: %w", e.Seq, err)
	}
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:]), nil
}

// Log appends entries to one file; safe for concurrent use.
type Log struct {
	path string
	now  func() time.Time

	mu   sync.Mutex
	f    *os.File
	prev string
	seq  int64
	size int64 // the file's size after this process's last write
	err  error // once set, every Append fails with it
}

// Open opens (or creates, mode 0600) the log at path and continues its
// chain. A log that cannot be opened, or whose last line is damaged,
// still returns a Log, whose Append fails with the reason: reads go on,
// writes are refused.
func Open(path string) *Log {
	l := &Log{path: path, now: time.Now, prev: genesis}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		l.err = fmt.Errorf("cannot open %s: %w", path, err)
		return l
	}
	last, err := lastEntry(f)
	if err != nil {
		f.Close()
		l.err = fmt.Errorf("%s: %w (run `proxmox-mcp-server audit verify %s`)", path, err, path)
		return l
	}
	if last != nil {
		l.prev, l.seq = last.Hash, last.Seq
	}
	if st, err := f.Stat(); err == nil {
		l.size = st.Size()
	}
	l.f = f
	return l
}

// lastEntry reads the file's last line; nil for an empty file.
func lastEntry(r io.Reader) (*Entry, error) {
	_, last, err := scanEntries(r, 0)
	return last, err
}

// scanEntries reads the file's last line, and the entry numbered seq
// (nil when seq is 0 or no line has it).
func scanEntries(r io.Reader, seq int64) (at, last *Entry, err error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(nil, maxLine)
	var lastLine []byte
	for sc.Scan() {
		b := sc.Bytes()
		if len(bytes.TrimSpace(b)) == 0 {
			continue
		}
		lastLine = append(lastLine[:0], b...)
		var head struct {
			Seq  int64  `json:"seq"`
			Hash string `json:"hash"`
		}
		if seq > 0 && json.Unmarshal(b, &head) == nil && head.Seq == seq {
			at = &Entry{Seq: head.Seq, Hash: head.Hash}
		}
	}
	if err := sc.Err(); err != nil {
		return nil, nil, fmt.Errorf("reading the log: %w", err)
	}
	if lastLine == nil {
		return at, nil, nil
	}
	var e Entry
	if err := json.Unmarshal(lastLine, &e); err != nil || len(e.Hash) != len(genesis) {
		return nil, nil, errors.New("the last line is not a whole entry")
	}
	return at, &e, nil
}

// Head is the last entry's number and hash, for a copy kept elsewhere
// (the server logs it), which shows a rewritten or cut log.
func (l *Log) Head() (seq int64, hash string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.seq, l.prev
}

// Path is the file the log writes.
func (l *Log) Path() string { return l.path }

// Err is why Append fails, or nil.
func (l *Log) Err() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.err
}

// Append writes e as the next line and syncs the file.
func (l *Log) Append(e Entry) error {
	_, err := l.Record(e)
	return err
}

// Record is Append that also says the number the entry got.
func (l *Log) Record(e Entry) (int64, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.err != nil {
		return 0, l.err
	}
	if len(e.Args) > maxArgs {
		sum := sha256.Sum256(e.Args)
		e.Args = json.RawMessage(fmt.Sprintf(`{"omitted_bytes":%d,"sha256":"%x"}`, len(e.Args), sum))
	}
	for _, s := range []*string{&e.Question, &e.Error} {
		if len(*s) > maxArgs {
			*s = (*s)[:maxArgs] + "..."
		}
	}
	unlock, err := lockFile(l.f)
	if err != nil {
		return 0, fmt.Errorf("cannot lock %s: %w", l.path, err)
	}
	defer unlock()
	// Another process may have appended since: continue its chain.
	if st, err := l.f.Stat(); err == nil && st.Size() != l.size {
		if _, err := l.f.Seek(0, io.SeekStart); err == nil {
			// The other writer's lines must follow this one's last entry:
			// a file rewritten since, even with its chain recomputed, is
			// not continued (no later entry could be trusted).
			ours, last, err := scanEntries(l.f, l.seq)
			switch {
			case err != nil:
				l.err = fmt.Errorf("%s: %w", l.path, err)
				return 0, l.err
			case l.seq > 0 && (ours == nil || ours.Hash != l.prev):
				l.err = fmt.Errorf("%s: entry %d is no longer the one this server wrote: the log was rewritten or cut (run `proxmox-mcp-server audit verify %s`)", l.path, l.seq, l.path)
				return 0, l.err
			case last != nil:
				l.prev, l.seq = last.Hash, last.Seq
			}
		}
	}
	e.Seq, e.Time, e.Prev = l.seq+1, l.now().UTC().Format(time.RFC3339Nano), l.prev
	h, err := hashOf(e)
	if err != nil {
		return 0, err
	}
	e.Hash = h
	b, err := json.Marshal(e)
	if err != nil {
		return 0, fmt.Errorf("audit: encoding entry %d: %w", e.Seq, err)
	}
	if _, err := l.f.Write(append(b, '\n')); err != nil {
		l.err = fmt.Errorf("cannot write %s: %w", l.path, err)
		return 0, l.err
	}
	if err := l.f.Sync(); err != nil {
		l.err = fmt.Errorf("cannot sync %s: %w", l.path, err)
		return 0, l.err
	}
	l.prev, l.seq = h, e.Seq
	if st, err := l.f.Stat(); err == nil {
		l.size = st.Size()
	}
	return e.Seq, nil
}

// Close closes the file.
func (l *Log) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f == nil {
		return nil
	}
	err := l.f.Close()
	l.f, l.err = nil, errors.New("the audit log is closed")
	return err
}
