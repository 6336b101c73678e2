package config

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
)

// httpTokens reads one token from key, or one or more from the file named by
// fileKey: a line is "TOKEN" or "NAME TOKEN"; blank lines and # comments are
// skipped. The file must not be accessible to group or others.
func (p *parser) httpTokens(key, fileKey string) []HTTPToken {
	v, hasValue := p.get(key)
	file, hasFile := p.get(fileKey)
	switch {
	case hasValue && hasFile:
		p.fail("%s: set either %s or %s, not both", key, key, fileKey)
		return nil
	case hasValue:
		if err := checkTokenSecret(v); err != "" {
			p.fail("%s: %s", key, err)
			return nil
		}
		return []HTTPToken{{Name: "default", Secret: v}}
	case hasFile:
		return p.tokenFile(fileKey, file)
	}
	return nil
}

// pathless drops the path from a file error, keeping the reason.
func pathless(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

func (p *parser) tokenFile(fileKey, path string) []HTTPToken {
	// Open first and check the open file: no swap between check and read,
	// and a FIFO or device cannot hang the start-up.
	// Errors name the reason, not the path: a token pasted into the variable
	// by mistake would be echoed.
	f, err := os.Open(path)
	if err != nil {
		p.fail("%s: cannot open the file: %v", fileKey, pathless(err))
		return nil
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		p.fail("%s: %v", fileKey, pathless(err))
		return nil
	}
	if !fi.Mode().IsRegular() {
		p.fail("%s: %s is not a regular file", fileKey, path)
		return nil
	}
	// systemd's credentials (LoadCredential=) are private to the service but
	// may show group bits: the mask of the ACL that grants the service user.
	mask := os.FileMode(0o077)
	if p.inCredentialsDir(path) {
		mask = 0o007
	}
	if runtime.GOOS != "windows" && fi.Mode().Perm()&mask != 0 {
		p.fail("%s: %s is accessible to group or others (mode %04o); run chmod 600 on it", fileKey, path, fi.Mode().Perm())
		return nil
	}
	const maxTokenFile = 1 << 20
	data, err := io.ReadAll(io.LimitReader(f, maxTokenFile+1))
	if err != nil {
		p.fail("%s: %v", fileKey, pathless(err))
		return nil
	}
	if len(data) > maxTokenFile {
		p.fail("%s: %s is larger than 1 MiB; it should hold one token per line", fileKey, path)
		return nil
	}
	n := len(p.problems)
	var out []HTTPToken
	for i, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fields := strings.Fields(line)
		t := HTTPToken{Name: "token" + strconv.Itoa(i+1)}
		switch len(fields) {
		case 1:
			t.Secret = fields[0]
		case 2:
			t.Name, t.Secret = fields[0], fields[1]
		default:
			p.fail("%s: line %d: expected TOKEN or NAME TOKEN", fileKey, i+1)
			continue
		}
		if !validTokenName(t.Name) {
			p.fail("%s: line %d: the name (first column, not shown: it may be a token in the wrong column) may hold letters, digits, '.', '-', '_' and '@'", fileKey, i+1)
			continue
		}
		if e := checkTokenSecret(t.Secret); e != "" {
			p.fail("%s: line %d: %s", fileKey, i+1, e)
			continue
		}
		for _, o := range out {
			if o.Name == t.Name {
				p.fail("%s: line %d: the name of an earlier line is used again", fileKey, i+1)
			}
			if o.Secret == t.Secret {
				p.fail("%s: line %d: the same token appears twice", fileKey, i+1)
			}
		}
		out = append(out, t)
	}
	if len(out) == 0 && len(p.problems) == n {
		p.fail("%s: %s holds no token", fileKey, path)
	}
	return out
}

// inCredentialsDir tells whether path lies in systemd's $CREDENTIALS_DIRECTORY.
func (p *parser) inCredentialsDir(path string) bool {
	dir, ok := p.get("CREDENTIALS_DIRECTORY")
	if !ok {
		return false
	}
	rel, err := filepath.Rel(dir, path)
	return err == nil && filepath.IsAbs(dir) && filepath.IsAbs(path) && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}

func validTokenName(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, r := range s {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune(".-_@", r)
		if !ok {
			return false
		}
	}
	return true
}

// checkTokenSecret says what is wrong with a token, never echoing it.
func checkTokenSecret(s string) string {
	if len(s) < MinHTTPTokenLength {
		return fmt.Sprintf("the token is shorter than %d characters (create one with `openssl rand -hex 32`)", MinHTTPTokenLength)
	}
	for _, r := range s {
		if r <= ' ' || r == 0x7f || r > '~' {
			return "the token holds whitespace, control or non-ASCII characters"
		}
	}
	return ""
}
