package pveid

import (
	"unicode/utf8"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/lazyre"
)

// User and token ids, as pve-access-control writes them:
//
//	$user_regex        = qr![^\s:/]+!            (PVE/Auth/Plugin.pm)
//	$realm_regex       = qr/[A-Za-z][A-Za-z0-9\.\-_]+/
//	$token_subid_regex = $realm_regex            (PVE/AccessControl.pm)
//	pve-userid  = user@realm, 3 to 64 characters (verify_username)
//	pve-tokenid = user@realm!tokenname           ($token_full_regex)
//
// Perl's \s on byte strings is [\t\n\v\f\r ]; Go's lacks \v, so it is spelled out.
const (
	userRE = `[^\t\n\v\f\r :/]+`
	// RealmRE and TokenNameRE are unanchored, for composing.
	RealmRE        = `[A-Za-z][A-Za-z0-9\.\-_]+`
	TokenNameRE    = RealmRE
	RealmPattern   = `^` + RealmRE + `$`
	UserIDPattern  = `^(` + userRE + `)@(` + RealmRE + `)$`
	TokenIDPattern = `^((` + userRE + `)@(` + RealmRE + `))!(` + TokenNameRE + `)$`
	// Lengths of a user id in characters (verify_username).
	MinUserIDLen    = 3
	MaxUserIDLen    = 64
	tokenNameSubexp = 4
)

var (
	realmMatch   = lazyre.New(RealmPattern)
	userIDMatch  = lazyre.New(UserIDPattern)
	tokenIDMatch = lazyre.New(TokenIDPattern)
)

// ValidRealm tells whether s is a realm name (pve-realm).
func ValidRealm(s string) bool { return realmMatch.MatchString(s) }

// SplitUserID splits a user id (pve-userid) into name and realm.
func SplitUserID(id string) (name, realm string, ok bool) {
	if n := utf8.RuneCountInString(id); n < MinUserIDLen || n > MaxUserIDLen {
		return "", "", false
	}
	m := userIDMatch.FindStringSubmatch(id)
	if m == nil {
		return "", "", false
	}
	return m[1], m[2], true
}

// ValidUserID tells whether id is a user id (pve-userid), such as root@pam.
func ValidUserID(id string) bool {
	_, _, ok := SplitUserID(id)
	return ok
}

// SplitTokenID splits an API token id (pve-tokenid) "user@realm!name" into
// the user id and the token name.
func SplitTokenID(id string) (userid, name string, ok bool) {
	m := tokenIDMatch.FindStringSubmatch(id)
	if m == nil {
		return "", "", false
	}
	return m[1], m[tokenNameSubexp], true
}

// ValidTokenID tells whether id is an API token id (pve-tokenid), such as
// mcp@pve!mcp.
func ValidTokenID(id string) bool { return tokenIDMatch.MatchString(id) }

// Group and role names ($groupname_regex; verify_rolename uses the same
// characters) and pool ids (verify_poolname: up to three levels).
const (
	nameRE        = `[A-Za-z0-9\.\-_]+`
	GroupPattern  = `^` + nameRE + `$`
	RolePattern   = GroupPattern
	PoolIDPattern = `^` + nameRE + `(?:/` + nameRE + `){0,2}$`
)

var (
	groupMatch = lazyre.New(GroupPattern)
	poolMatch  = lazyre.New(PoolIDPattern)
)

// ValidGroup tells whether s is a group name.
func ValidGroup(s string) bool { return groupMatch.MatchString(s) }

// ValidRole tells whether s is a role name.
func ValidRole(s string) bool { return groupMatch.MatchString(s) }

// ValidPoolID tells whether s is a pool id, such as dev or dev/web.
func ValidPoolID(s string) bool { return poolMatch.MatchString(s) }
