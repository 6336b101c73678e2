package pveid

import (
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"strings"
)

// SSH public keys, as qemu-server's sshkeys option holds them (one per
// line, OpenSSH authorized_keys format) and as pve-common's
// validate_ssh_public_keys accepts them: each non-blank line must read as a
// key to `ssh-keygen -l`. That means an optional options field, a known key
// type, base64 whose blob starts with the same type name, and an optional
// comment.

// sshKeyTypes are the key types OpenSSH's ssh-keygen reads.
var sshKeyTypes = map[string]bool{
	"ssh-ed25519": true, "ssh-rsa": true, "ssh-dss": true,
	"ecdsa-sha2-nistp256": true, "ecdsa-sha2-nistp384": true, "ecdsa-sha2-nistp521": true,
	"sk-ssh-ed25519@openssh.com": true, "sk-ecdsa-sha2-nistp256@openssh.com": true,
	"ssh-ed25519-cert-v01@openssh.com": true, "ssh-rsa-cert-v01@openssh.com": true,
	"ecdsa-sha2-nistp256-cert-v01@openssh.com": true, "ecdsa-sha2-nistp384-cert-v01@openssh.com": true,
	"ecdsa-sha2-nistp521-cert-v01@openssh.com": true,
}

// CheckSSHPublicKey says why line is not an OpenSSH public key, or nil.
// The error never repeats the line.
func CheckSSHPublicKey(line string) error {
	fields := strings.Fields(line)
	// authorized_keys allows options before the type; options hold no
	// spaces outside quotes in practice, so one field is skipped at most.
	for i := 0; i < len(fields) && i < 2; i++ {
		if !sshKeyTypes[fields[i]] {
			continue
		}
		if i+1 >= len(fields) {
			return fmt.Errorf("the %s key has no key data after its type", fields[i])
		}
		return checkKeyBlob(fields[i], fields[i+1])
	}
	if len(fields) > 0 && strings.HasPrefix(fields[0], "-----BEGIN") {
		return fmt.Errorf("this is a PEM block (a private key?), not an OpenSSH public key line")
	}
	if strings.Contains(line, "%20") || strings.Contains(line, "%2B") || strings.Contains(line, "%2F") {
		return fmt.Errorf("it looks URL-encoded; give the plain key as in id_ed25519.pub")
	}
	return fmt.Errorf("it does not start with a key type such as ssh-ed25519, ssh-rsa or ecdsa-sha2-nistp256")
}

// checkKeyBlob decodes the key data: its first field, a length-prefixed
// string, is the key type again.
func checkKeyBlob(typ, data string) error {
	blob, err := base64.StdEncoding.DecodeString(data)
	if err != nil {
		return fmt.Errorf("the %s key data is not valid base64", typ)
	}
	if len(blob) < 4 {
		return fmt.Errorf("the %s key data is too short", typ)
	}
	n := binary.BigEndian.Uint32(blob)
	if uint64(n) > uint64(len(blob)-4) || string(blob[4:4+n]) != typ {
		return fmt.Errorf("the %s key data does not hold a %s key", typ, typ)
	}
	if len(blob) <= 4+int(n) {
		return fmt.Errorf("the %s key data is truncated", typ)
	}
	return nil
}

// CheckSSHPublicKeys checks each non-blank line of text, as
// validate_ssh_public_keys does; the error names the line by number.
func CheckSSHPublicKeys(text string) error {
	for i, line := range strings.Split(text, "\n") {
		if strings.TrimSpace(line) == "" {
			continue
		}
		if err := CheckSSHPublicKey(line); err != nil {
			return fmt.Errorf("line %d: %w", i+1, err)
		}
	}
	return nil
}
