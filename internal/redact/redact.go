// Package redact keeps secrets out of logs: a slog.Handler wrapper replaces
// every known secret, its escaped forms and any piece of it of 8 or more
// characters, and anything shaped like a Proxmox ticket or bearer token.
// It is the last line of defence; code should not log secrets to begin with.
package redact

import (
	"bytes"
	"encoding/json"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/lazyre"
)

// Mask replaces what is removed.
const Mask = "********"

const (
	// minPiece is the shortest piece of a secret that is masked on its own,
	// so that truncated reflections are caught.
	minPiece = 8
	// minSecret is the shortest secret masked at all; shorter strings occur
	// in ordinary text too often to be told apart.
	minSecret = 4
)

// shapes are credentials recognised by their form, whether known or not:
// Proxmox tickets (raw and URL-escaped, as in a cookie), CSRF tokens, the
// API token header and bearer tokens. Group 1, when present, is kept.
var shapes = []*lazyre.Regexp{
	lazyre.New(`PVE:[^:\s"']+:[0-9A-Fa-f]{8}::[A-Za-z0-9+/=]+`),
	lazyre.New(`PVE%3A[^\s"';]+?%3A[0-9A-Fa-f]{8}%3A%3A[A-Za-z0-9%+/=]+`),
	lazyre.New(`\b[0-9A-F]{8}:[A-Za-z0-9+/]{43}`),
	lazyre.New(`(PVEAuthCookie=)[^;\s"']+`),
	lazyre.New(`(PVEAPIToken=)[^\s"',;]+`),
	lazyre.New(`(Bearer\s+)[A-Za-z0-9._~+/=-]{16,}`),
}

// Secrets is a fixed set of values never to be shown. It is safe for
// concurrent use.
type Secrets struct {
	forms  []string            // each secret in every escaped form, longest first
	pieces map[string]struct{} // every minPiece-long piece of those forms
}

// New returns the set of the given secrets; empty and very short ones are
// left out (see minSecret).
func New(secrets ...string) *Secrets {
	s := &Secrets{pieces: map[string]struct{}{}}
	seen := map[string]bool{}
	for _, secret := range secrets {
		if len(secret) < minSecret {
			continue
		}
		for _, f := range escapes(secret) {
			if seen[f] {
				continue
			}
			seen[f] = true
			s.forms = append(s.forms, f)
			for i := 0; i+minPiece <= len(f); i++ {
				s.pieces[f[i:i+minPiece]] = struct{}{}
			}
		}
	}
	return s
}

// escapes lists the forms a secret takes in text: as is, inside Go quotes
// (%q, strconv.Quote), inside JSON strings (with and without HTML escaping),
// and URL-escaped; also Go-quoted JSON, as in a quoted response body.
func escapes(secret string) []string {
	q := strconv.Quote(secret)
	goQuoted := q[1 : len(q)-1]
	j, _ := json.Marshal(secret)
	jsonHTML := string(j[1 : len(j)-1])
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(secret)
	jsonPlain := strings.TrimSuffix(b.String(), "\n")
	jsonPlain = jsonPlain[1 : len(jsonPlain)-1]
	qj := strconv.Quote(jsonPlain)
	return []string{secret, goQuoted, jsonHTML, jsonPlain, qj[1 : len(qj)-1], url.QueryEscape(secret), url.PathEscape(secret)}
}

// String returns text with every secret, escaped form and piece of one, and
// every credential-shaped string, replaced by Mask.
func (s *Secrets) String(text string) string {
	for _, lre := range shapes {
		re := lre.Compiled()
		if re.NumSubexp() > 0 {
			text = re.ReplaceAllString(text, "${1}"+Mask)
		} else {
			text = re.ReplaceAllLiteralString(text, Mask)
		}
	}
	if s == nil || len(s.forms) == 0 || len(text) < minSecret {
		return text
	}
	var masked []bool // per byte of text; nil while nothing matched
	mark := func(from, to int) {
		if masked == nil {
			masked = make([]bool, len(text))
		}
		for i := from; i < to; i++ {
			masked[i] = true
		}
	}
	for _, f := range s.forms {
		for off := 0; ; {
			i := strings.Index(text[off:], f)
			if i < 0 {
				break
			}
			mark(off+i, off+i+len(f))
			off += i + 1
		}
	}
	if len(s.pieces) > 0 {
		for i := 0; i+minPiece <= len(text); i++ {
			if _, ok := s.pieces[text[i:i+minPiece]]; ok {
				mark(i, i+minPiece)
			}
		}
	}
	if masked == nil {
		return text
	}
	// A piece may start or end inside a multi-byte character: mask all of it.
	for i := range masked {
		if masked[i] && i > 0 && !masked[i-1] && !utf8.RuneStart(text[i]) {
			for j := i - 1; j >= 0 && !masked[j]; j-- {
				masked[j] = true
				if utf8.RuneStart(text[j]) {
					break
				}
			}
		}
		if masked[i] && i+1 < len(text) && !masked[i+1] {
			for j := i + 1; j < len(text) && !utf8.RuneStart(text[j]); j++ {
				masked[j] = true
			}
		}
	}
	var out strings.Builder
	for i := 0; i < len(text); {
		if !masked[i] {
			out.WriteByte(text[i])
			i++
			continue
		}
		out.WriteString(Mask)
		for i < len(text) && masked[i] {
			i++
		}
	}
	return out.String()
}
