package pveacl

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/lazyre"
	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pveid"
)

// TicketLifetime is PVE's ticket and CSRF token lifetime (2 h).
const TicketLifetime = 2 * 3600

// authGracePeriod tolerates tickets from a clock up to 5 min ahead.
const authGracePeriod = 300

// ErrAuthFailed is the login failure; PVE answers 401 "authentication failure".
var ErrAuthFailed = errors.New("authentication failure")

var reAPIToken = lazyre.New(`(?:^|\s)PVEAPIToken(?:=| )([^;]*)`)

// CheckToken verifies an API token. value is the Authorization header
// ("PVEAPIToken=user@realm!name=secret") or just "user@realm!name=secret".
// It returns the token id as the authenticated id. The secret comparison is
// constant-time; disabled users and expired tokens fail.
func (s *Store) CheckToken(value string) (authid string, ok bool) {
	if m := reAPIToken.FindStringSubmatch(value); m != nil {
		value = m[1]
	}
	if u, err := url.PathUnescape(value); err == nil {
		value = u
	}
	value = strings.TrimSpace(value)
	i := strings.LastIndexByte(value, '=')
	if i < 0 {
		return "", false
	}
	id, secret := value[:i], value[i+1:]
	uid, _, valid := pveid.SplitTokenID(id)
	sum := sha256.Sum256([]byte(secret))

	s.mu.RLock()
	defer s.mu.RUnlock()
	t := s.tokens[id]
	want := [32]byte{}
	if t != nil {
		want = t.secret
	}
	// Compare even for unknown tokens so timing does not tell them apart.
	match := subtle.ConstantTimeCompare(sum[:], want[:]) == 1
	if !valid || t == nil || !match {
		return "", false
	}
	now := s.now().Unix()
	if t.expire != 0 && t.expire < now {
		return "", false
	}
	if !s.userActive(uid) {
		return "", false
	}
	return id, true
}

// userActive: user exists, is enabled and has not expired
// (check_user_enabled). Caller holds s.mu.
func (s *Store) userActive(uid string) bool {
	u := s.users[uid]
	if u == nil || !u.enabled {
		return false
	}
	return u.info.Expire == 0 || u.info.Expire >= s.now().Unix()
}

// Login checks a user's password (or, to renew, a valid ticket of that
// user given as password) and returns a new ticket
// "PVE:user@realm:HEXTIME::signature" and CSRF prevention token.
func (s *Store) Login(username, password string) (ticket, csrf string, err error) {
	if !pveid.ValidUserID(username) {
		return "", "", ErrAuthFailed
	}
	if tu, ok := s.VerifyTicket(password); ok && tu == username {
		return s.issue(username)
	}
	sum := sha256.Sum256([]byte(password))
	s.mu.RLock()
	u := s.users[username]
	want := [32]byte{}
	hasPass := false
	if u != nil {
		want, hasPass = u.password, u.hasPass
	}
	match := subtle.ConstantTimeCompare(sum[:], want[:]) == 1
	active := s.userActive(username)
	s.mu.RUnlock()
	if !hasPass || !match || !active {
		return "", "", ErrAuthFailed
	}
	return s.issue(username)
}

func (s *Store) issue(username string) (string, string, error) {
	s.mu.RLock()
	ts := s.now().Unix()
	tkey, ckey := s.ticketKey, s.csrfKey
	s.mu.RUnlock()
	hexTime := fmt.Sprintf("%08X", ts)
	plain := "PVE:" + username + ":" + hexTime
	ticket := plain + "::" + sign(tkey, plain)
	csrf := hexTime + ":" + sign(ckey, hexTime+":"+username)
	return ticket, csrf, nil
}

func sign(key []byte, msg string) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(msg))
	return base64.RawStdEncoding.EncodeToString(m.Sum(nil))
}

// VerifyTicket checks a ticket (as sent in the PVEAuthCookie, URL-escaped or
// not) and returns its user. Tickets older than 2 h, from more than 5 min in
// the future, of unknown or disabled users fail.
func (s *Store) VerifyTicket(ticket string) (username string, ok bool) {
	if u, err := url.PathUnescape(ticket); err == nil {
		ticket = u
	}
	plain, sig, found := strings.Cut(ticket, "::")
	if !found {
		return "", false
	}
	parts := strings.Split(plain, ":")
	if len(parts) != 3 || parts[0] != "PVE" || len(parts[2]) != 8 {
		return "", false
	}
	ts, err := strconv.ParseInt(parts[2], 16, 64)
	if err != nil {
		return "", false
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	want := sign(s.ticketKey, plain)
	if subtle.ConstantTimeCompare([]byte(sig), []byte(want)) != 1 {
		return "", false
	}
	now := s.now().Unix()
	if !ageOK(now-ts) || !s.userActive(parts[1]) {
		return "", false
	}
	return parts[1], true
}

// VerifyCSRF checks a CSRFPreventionToken header for username.
func (s *Store) VerifyCSRF(username, token string) bool {
	hexTime, sig, found := strings.Cut(token, ":")
	if !found || len(hexTime) != 8 {
		return false
	}
	ts, err := strconv.ParseInt(hexTime, 16, 64)
	if err != nil {
		return false
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	want := sign(s.csrfKey, hexTime+":"+username)
	if subtle.ConstantTimeCompare([]byte(sig), []byte(want)) != 1 {
		return false
	}
	return ageOK(s.now().Unix() - ts)
}

func ageOK(age int64) bool { return age >= -authGracePeriod && age <= TicketLifetime }
