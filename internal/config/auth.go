package config

import (
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"runtime"
	"strings"
	"unicode/utf8"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/lazyre"
	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pve"
	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pveid"
	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pveschema"
)

// Auth is how the server logs in to Proxmox and which certificate it trusts.
// Exactly one of TokenID+TokenSecret and Username+Password is set.
type Auth struct {
	TokenID     string // USER@REALM!TOKENID
	TokenSecret string // from PROXMOX_TOKEN_SECRET or PROXMOX_TOKEN_SECRET_FILE
	Username    string // USER@REALM: ticket (password) login instead of a token
	Password    string // from PROXMOX_PASSWORD or PROXMOX_PASSWORD_FILE
	CAFile      string // PEM file of CA certificates trusted for this server only
	Fingerprint string // pinned SHA-256 of the server certificate, "AB:CD:..." upper case
}

// String hides the secrets from fmt.
func (a Auth) String() string {
	if a.Username != "" {
		return "password login as " + a.Username
	}
	return "API token " + a.TokenID
}

// GoString hides the secrets from %#v.
func (a Auth) GoString() string { return "config.Auth{" + a.String() + "}" }

// LogValue hides the secrets from slog.
func (a Auth) LogValue() slog.Value { return slog.StringValue(a.String()) }

// Limits of secret files: a secret is one short line.
const maxSecretFile = 64 << 10

// LoadAuth reads the Proxmox credentials and TLS trust settings:
// PROXMOX_TOKEN_ID with PROXMOX_TOKEN_SECRET or PROXMOX_TOKEN_SECRET_FILE, or
// PROXMOX_USERNAME with PROXMOX_PASSWORD or PROXMOX_PASSWORD_FILE; and
// PROXMOX_CA_FILE, PROXMOX_TLS_FINGERPRINT. Problems never quote a secret.
// The returned Auth is never nil; it is complete only without problems.
func LoadAuth(getenv Getenv) (*Auth, []string) {
	p := &parser{getenv: getenv}
	a := &Auth{}
	_, hasID := p.get("PROXMOX_TOKEN_ID")
	_, hasSecret := p.get("PROXMOX_TOKEN_SECRET")
	_, hasSecretFile := p.get("PROXMOX_TOKEN_SECRET_FILE")
	_, hasUser := p.get("PROXMOX_USERNAME")
	_, hasPass := p.raw("PROXMOX_PASSWORD")
	_, hasPassFile := p.get("PROXMOX_PASSWORD_FILE")
	token := hasID || hasSecret || hasSecretFile
	user := hasUser || hasPass || hasPassFile
	switch {
	case token && user:
		p.fail("PROXMOX_USERNAME: set either an API token (PROXMOX_TOKEN_ID and PROXMOX_TOKEN_SECRET) or a user and password (PROXMOX_USERNAME and PROXMOX_PASSWORD), not both")
	case user:
		a.Username = p.userID("PROXMOX_USERNAME")
		a.Password = p.password("PROXMOX_PASSWORD", "PROXMOX_PASSWORD_FILE")
	default:
		a.TokenID = p.tokenID("PROXMOX_TOKEN_ID")
		if hasSecretFile {
			if hasSecret {
				p.fail("PROXMOX_TOKEN_SECRET: set either PROXMOX_TOKEN_SECRET or PROXMOX_TOKEN_SECRET_FILE, not both")
			} else {
				a.TokenSecret = p.tokenSecretFile("PROXMOX_TOKEN_SECRET_FILE")
			}
		} else {
			a.TokenSecret = p.secret("PROXMOX_TOKEN_SECRET")
		}
		if !token {
			p.fail("PROXMOX_USERNAME: for a password login instead of a token, set PROXMOX_USERNAME (user@realm) and PROXMOX_PASSWORD or PROXMOX_PASSWORD_FILE")
		}
	}
	a.CAFile = p.caFile("PROXMOX_CA_FILE")
	a.Fingerprint = p.fingerprint("PROXMOX_TLS_FINGERPRINT")
	if v, ok := p.get("PROXMOX_INSECURE_TLS"); ok && isTrue(v) && (a.CAFile != "" || a.Fingerprint != "") {
		p.fail("PROXMOX_INSECURE_TLS: turns certificate checks off; unset it when PROXMOX_CA_FILE or PROXMOX_TLS_FINGERPRINT is set")
	}
	return a, p.problems
}

// raw is get without trimming (passwords may start or end with a space);
// only a trailing line break is dropped.
func (p *parser) raw(key string) (string, bool) {
	v, ok := p.getenv(key)
	v = trimLineBreak(v)
	return v, ok && v != ""
}

func trimLineBreak(s string) string {
	s = strings.TrimSuffix(s, "\n")
	return strings.TrimSuffix(s, "\r")
}

func isTrue(v string) bool {
	b, _ := pveschema.ParseBool(v)
	return b
}

func (p *parser) userID(key string) string {
	v, ok := p.get(key)
	switch {
	case !ok:
		p.fail("%s: required with PROXMOX_PASSWORD (a user USER@REALM, e.g. root@pam)", key)
		return ""
	case pveid.ValidTokenID(v):
		p.fail("%s: %q is an API token id; put it in PROXMOX_TOKEN_ID and its secret in PROXMOX_TOKEN_SECRET", key, v)
		return ""
	case strings.Contains(v, "!"):
		p.fail("%s: looks like an API token id (it has a '!'): put it in PROXMOX_TOKEN_ID and its secret in PROXMOX_TOKEN_SECRET; %s",
			key, describeID(v, tokenIDPrefixRe, "an API token id", "PROXMOX_TOKEN_SECRET"))
		return ""
	case utf8.RuneCountInString(v) > pveid.MaxUserIDLen:
		p.fail("%s: longer than %d characters, the most a Proxmox user id has", key, pveid.MaxUserIDLen)
		return ""
	case !pveid.ValidUserID(v):
		p.fail("%s: %s", key, describeID(v, userIDPrefixRe, "a user id (USER@REALM, e.g. root@pam or admin@pve)", "PROXMOX_PASSWORD"))
		return ""
	}
	return v
}

// safeUser is a Proxmox user name narrowed to stop where a pasted secret may
// begin ('=', quotes) and before '@' and '!', so that no secret is shown.
const safeUser = `[^\s:/!@='"]+`

// Well-formed ids at the start of a value; what follows may be a secret.
var (
	tokenIDPrefixRe = lazyre.New(`^` + safeUser + `@` + pveid.RealmRE + `!` + pveid.TokenNameRE)
	userIDPrefixRe  = lazyre.New(`^` + safeUser + `@` + pveid.RealmRE)
	hexRunRe        = lazyre.New(`[0-9A-Fa-f]{8}`)
)

const headerPrefix = "PVEAPIToken="

// hasHeaderPrefix tells whether v starts like the HTTP header: a user
// "PVEAPIToken=..." is valid in Proxmox's grammar but never meant.
func hasHeaderPrefix(v string) bool {
	return len(v) >= len(headerPrefix) && strings.EqualFold(v[:len(headerPrefix)], headerPrefix)
}

// describeID says why v is not what (an id of the form prefix matches)
// without echoing anything that may be a secret pasted with or instead of
// it: only a leading well-formed id is shown, and not even that when it
// holds a run of hex digits such as a UUID secret's.
func describeID(v string, prefix *lazyre.Regexp, what, secretVar string) string {
	var notes []string
	s := v
	if t := strings.Trim(s, `"'`); t != s {
		s = t
		notes = append(notes, "remove the quotes")
	}
	if hasHeaderPrefix(s) {
		s = s[len(headerPrefix):]
		notes = append(notes, "drop the PVEAPIToken= prefix (that belongs to the HTTP header)")
	}
	id := prefix.FindString(s)
	if id == "" || hexRunRe.MatchString(id) {
		if !strings.Contains(s, "@") {
			notes = append(notes, "it has no '@'")
		}
		if strings.Contains(s, "/") {
			notes = append(notes, "it has a '/', which no user name holds")
		}
		if strings.Contains(what, "!") && !strings.Contains(s, "!") {
			notes = append(notes, "it has no '!'")
		}
		notes = append(notes, partNotes(s, strings.Contains(what, "!"))...)
		if strings.ContainsAny(s, "= \t:") || hexRunRe.MatchString(s) {
			notes = append(notes, fmt.Sprintf("if it holds a secret, that goes in %s", secretVar))
		}
		notes = append(notes, "the value is not shown, as it may hold a secret")
		return fmt.Sprintf("is not %s: %s", what, strings.Join(notes, "; "))
	}
	if rest := s[len(id):]; rest != "" {
		notes = append(notes, fmt.Sprintf("remove what follows it (%s, not shown); a secret goes in %s", restKind(rest), secretVar))
	}
	return fmt.Sprintf("%q is not %s as given: %s", id, what, strings.Join(notes, "; "))
}

var idPartRe = lazyre.New(`^` + pveid.RealmRE + `$`)

// partNotes says which part of a user or token id breaks Proxmox's rules
// (a realm or token name starts with a letter and has two or more
// characters), naming the part and never showing it.
func partNotes(s string, token bool) []string {
	user, rest, ok := strings.Cut(s, "@")
	if !ok {
		return nil
	}
	var notes []string
	if user == "" {
		notes = append(notes, "the user name before '@' is empty")
	}
	realm, name, hasName := strings.Cut(rest, "!")
	if !idPartRe.MatchString(realm) {
		notes = append(notes, "the realm after '@' (pve, pam or your own) must start with a letter and have at least 2 letters, digits, '.', '-' or '_'")
	}
	if token && hasName && !idPartRe.MatchString(name) {
		notes = append(notes, "the token name after '!' must start with a letter and have at least 2 letters, digits, '.', '-' or '_'")
	}
	return notes
}

// restKind names what follows an id, without quoting it.
func restKind(rest string) string {
	switch r := rest[0]; {
	case r == '=':
		return "'=' and more"
	case r == ' ' || r == '\t':
		return "a space and more"
	case r == ':':
		return "':' and more"
	}
	return "more characters"
}

func (p *parser) password(key, fileKey string) string {
	v, hasValue := p.raw(key)
	file, hasFile := p.get(fileKey)
	switch {
	case hasValue && hasFile:
		p.fail("%s: set either %s or %s, not both", key, key, fileKey)
		return ""
	case hasFile:
		data, ok := p.secretFile(fileKey, file)
		if !ok {
			return ""
		}
		v = trimLineBreak(data)
		if strings.ContainsAny(v, "\r\n") {
			p.fail("%s: %s holds more than one line; put only the password in it", fileKey, file)
			return ""
		}
		if v == "" {
			p.fail("%s: %s is empty", fileKey, file)
			return ""
		}
		key = fileKey
	case !hasValue:
		p.fail("%s: required with PROXMOX_USERNAME (or %s, a file holding the password)", key, fileKey)
		return ""
	}
	if strings.ContainsFunc(v, func(r rune) bool { return r < ' ' || r == 0x7f }) {
		p.fail("%s: the password contains control characters", key)
		return ""
	}
	return v
}

func (p *parser) tokenSecretFile(key string) string {
	file, _ := p.get(key)
	data, ok := p.secretFile(key, file)
	if !ok {
		return ""
	}
	v := trimLineBreak(data)
	switch {
	case v == "":
		p.fail("%s: %s is empty", key, file)
		return ""
	case strings.ContainsAny(v, " \t\r\n;,"):
		p.fail("%s: %s must hold only the token secret (one line, no spaces)", key, file)
		return ""
	}
	return v
}

// secretFile reads a file holding a secret; it must be a regular file that
// neither group nor others can read or write.
func (p *parser) secretFile(key, path string) (string, bool) {
	f, err := os.Open(path)
	if err != nil {
		// The value may be the secret itself, pasted in the wrong variable:
		// say why the file cannot be opened, not what was given.
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		p.fail("%s: cannot open the file it names: %v (the value is not shown, in case it is the secret itself; give the path of a file holding it)", key, err)
		return "", false
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		p.fail("%s: %v", key, err)
		return "", false
	}
	if !fi.Mode().IsRegular() {
		p.fail("%s: %s is not a regular file", key, path)
		return "", false
	}
	// systemd's credentials directory grants the service read access through
	// an ACL that shows as a group bit; others must still have nothing.
	mask := fs.FileMode(0o077)
	if p.inCredentialsDir(path) {
		mask = 0o007
	}
	if runtime.GOOS != "windows" && fi.Mode().Perm()&mask != 0 {
		p.fail("%s: %s is readable or writable by group or others (mode %04o); run chmod 600 %s", key, path, fi.Mode().Perm(), path)
		return "", false
	}
	data, err := io.ReadAll(io.LimitReader(f, maxSecretFile+1))
	if err != nil {
		p.fail("%s: read %s: %v", key, path, err)
		return "", false
	}
	if len(data) > maxSecretFile {
		p.fail("%s: %s is larger than %d bytes; it should hold one secret", key, path, maxSecretFile)
		return "", false
	}
	return string(data), true
}

// caFile checks that the file holds at least one PEM certificate.
func (p *parser) caFile(key string) string {
	path, ok := p.get(key)
	if !ok {
		return ""
	}
	data, err := os.ReadFile(path)
	if err != nil {
		p.fail("%s: %v", key, err)
		return ""
	}
	n := 0
	for rest := data; ; {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			break
		}
		if b.Type != "CERTIFICATE" {
			continue
		}
		if _, err := x509.ParseCertificate(b.Bytes); err != nil {
			p.fail("%s: %s: a certificate does not parse: %v", key, path, err)
			return ""
		}
		n++
	}
	if n == 0 {
		p.fail("%s: %s holds no PEM certificate (-----BEGIN CERTIFICATE-----), e.g. /etc/pve/pve-root-ca.pem", key, path)
		return ""
	}
	return path
}

// fingerprint reads a SHA-256 fingerprint as pve.ParseFingerprint does
// (the client pins with the same reading) and returns it in Proxmox's
// upper-case colon-hex form.
func (p *parser) fingerprint(key string) string {
	v, ok := p.get(key)
	if !ok {
		return ""
	}
	fp, err := pve.ParseFingerprint(v)
	if err != nil {
		p.fail("%s: %q is not a SHA-256 fingerprint (32 hex bytes separated by colons, as shown in Node > System > Certificates or by "+
			"openssl x509 -noout -fingerprint -sha256)", key, v)
		return ""
	}
	return pve.FormatFingerprint(fp[:])
}
