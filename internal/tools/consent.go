package tools

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"
)

// Consent signs the questions ask puts to the user and checks the answers
// against them, so that only an answer to a question this server asked, in
// this call, counts. A client (or a model steering it) could otherwise send
// inputResponses {"confirm": accept} with its first call and skip the user.
//
// The question's request state is base64(version, nonce, expiry, MAC), the MAC
// an HMAC-SHA256 under a key made at start-up over the session, the tool, a
// hash of the arguments, the question, the nonce and the expiry. A state is
// good once: used nonces are kept until they expire.
type Consent struct {
	key []byte
	ttl time.Duration
	now func() time.Time
	max int // used nonces kept at most; beyond, answers are refused until some expire

	mu   sync.Mutex
	used map[[nonceSize]byte]int64 // nonce -> expiry (Unix seconds)
}

const (
	consentVersion = 1
	nonceSize      = 16
	stateSize      = 1 + nonceSize + 8 + sha256.Size
	consentTTL     = 10 * time.Minute
	maxUsedNonces  = 10000 // 10 minutes of questions at more than 16 a second
)

// NewConsent makes a Consent with a fresh random key.
func NewConsent() *Consent {
	key := make([]byte, 32)
	_, _ = rand.Read(key) // never fails: crypto/rand crashes the program instead
	return &Consent{key: key, ttl: consentTTL, now: time.Now, max: maxUsedNonces, used: map[[nonceSize]byte]int64{}}
}

// question is what a request state is bound to.
type question struct {
	session, tool string
	args          [sha256.Size]byte // of the arguments' canonical JSON
	text          string
}

// Why an answer was not taken; only for the debug log.
var (
	errNoState     = errors.New("no request state")
	errBadState    = errors.New("malformed request state")
	errOtherCall   = errors.New("request state of another question, tool, session or arguments")
	errStateExpiry = errors.New("request state expired")
	errReplayed    = errors.New("request state already used")
	errTooMany     = errors.New("too many answers in the last minutes")
)

// issue returns the request state for asking q.
func (c *Consent) issue(q question) string {
	var nonce [nonceSize]byte
	_, _ = rand.Read(nonce[:])
	expiry := c.now().Add(c.ttl).Unix()
	buf := make([]byte, 0, stateSize)
	buf = append(buf, consentVersion)
	buf = append(buf, nonce[:]...)
	buf = binary.BigEndian.AppendUint64(buf, uint64(expiry))
	buf = append(buf, c.mac(q, nonce, expiry)...)
	return base64.RawURLEncoding.EncodeToString(buf)
}

// redeem checks that state was issued for q, is unexpired and unused, and
// marks it used.
func (c *Consent) redeem(state string, q question) error {
	if state == "" {
		return errNoState
	}
	raw, err := base64.RawURLEncoding.DecodeString(state)
	if err != nil || len(raw) != stateSize || raw[0] != consentVersion {
		return errBadState
	}
	var nonce [nonceSize]byte
	copy(nonce[:], raw[1:])
	expiry := int64(binary.BigEndian.Uint64(raw[1+nonceSize:]))
	if !hmac.Equal(raw[1+nonceSize+8:], c.mac(q, nonce, expiry)) {
		return errOtherCall
	}
	now := c.now().Unix()
	if now >= expiry {
		return errStateExpiry
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for n, exp := range c.used {
		if now >= exp {
			delete(c.used, n)
		}
	}
	if _, ok := c.used[nonce]; ok {
		return errReplayed
	}
	if len(c.used) >= c.max {
		return errTooMany
	}
	c.used[nonce] = expiry
	return nil
}

func (c *Consent) mac(q question, nonce [nonceSize]byte, expiry int64) []byte {
	m := hmac.New(sha256.New, c.key)
	m.Write([]byte("proxmox-mcp-server consent v1\x00"))
	for _, s := range []string{q.session, q.tool, q.text} {
		// Length prefixes keep ("ab","c") and ("a","bc") apart.
		m.Write(binary.BigEndian.AppendUint64(nil, uint64(len(s))))
		m.Write([]byte(s))
	}
	m.Write(q.args[:])
	m.Write(nonce[:])
	m.Write(binary.BigEndian.AppendUint64(nil, uint64(expiry)))
	return m.Sum(nil)
}

// argsHash hashes the arguments' canonical JSON (keys sorted, numbers as
// sent), so a state asked for one target is worthless for another.
func argsHash(args any) [sha256.Size]byte {
	raw, ok := args.(json.RawMessage)
	if !ok {
		var err error
		if raw, err = json.Marshal(args); err != nil {
			return sha256.Sum256([]byte(fmt.Sprintf("unencodable %T", args)))
		}
	}
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return sha256.Sum256(raw)
	}
	canonical, err := json.Marshal(v)
	if err != nil {
		return sha256.Sum256(raw)
	}
	return sha256.Sum256(canonical)
}
