// Package execallow reads the allowlists of commands a guest may be asked to
// run (PVE_AGENT_EXEC_ALLOWLIST) and of files the guest agent may read or
// write (PVE_AGENT_FILE_ALLOWLIST), and matches requests against them.
//
// Command entries are separated by ";" or newlines (commands hold commas).
// An entry is words separated by spaces: the program, then one pattern per
// argument; "*" in a word matches any run of characters but "/" and "?" one, and a
// last word "..." matches any further arguments. The prefix "ro:" marks a
// command that only reads: it runs without asking the user. Examples:
//
//	ro:/usr/bin/df ...; ro:/usr/bin/systemctl status *; /usr/bin/systemctl restart nginx
//
// File entries are absolute paths separated by ";" or newlines; "*" matches
// within one path element and a last element "**" matches everything below.
// "ro:" entries allow reading only.
package execallow

import (
	"fmt"
	"strings"
)

// Rule is the entry a request matched.
type Rule struct {
	Text     string // the entry as configured, without "ro:"
	ReadOnly bool
}

type cmdRule struct {
	Rule
	words []string
	rest  bool // the entry ends in "...": further arguments are free
}

// Commands is a parsed command allowlist; the zero value allows nothing.
type Commands struct{ rules []cmdRule }

// ParseCommands reads PVE_AGENT_EXEC_ALLOWLIST.
func ParseCommands(spec string) (Commands, error) {
	var l Commands
	for _, e := range entries(spec) {
		r := cmdRule{}
		e, r.ReadOnly = cutRO(e)
		r.Text = e
		r.words = strings.Fields(e)
		if len(r.words) == 0 {
			return Commands{}, fmt.Errorf(`command entry "ro:": names no program`)
		}
		if n := len(r.words); n > 1 && r.words[n-1] == "..." {
			r.words, r.rest = r.words[:n-1], true
		}
		switch prog := r.words[0]; {
		case prog == "..." || strings.ContainsAny(prog, "*?") && !strings.ContainsAny(prog, "/\\"):
			return Commands{}, fmt.Errorf("command entry %q: the program must be named (an exact path such as /usr/bin/df, or a pattern with a directory such as /usr/bin/*)", e)
		}
		for _, w := range r.words[1:] {
			if w == "..." {
				return Commands{}, fmt.Errorf(`command entry %q: "..." may only be the last word`, e)
			}
		}
		l.rules = append(l.rules, r)
	}
	return l, nil
}

// Empty reports whether nothing is allowed.
func (l Commands) Empty() bool { return len(l.rules) == 0 }

// Match finds the first entry argv matches.
func (l Commands) Match(argv []string) (Rule, bool) {
	if len(argv) == 0 {
		return Rule{}, false
	}
	for _, r := range l.rules {
		if len(argv) < len(r.words) || len(argv) > len(r.words) && !r.rest {
			continue
		}
		ok := true
		for i, w := range r.words {
			if !glob(w, argv[i]) || !wildElems(w, argv[i]) || optionSlip(w, argv[i]) {
				ok = false
				break
			}
		}
		if ok {
			return r.Rule, true
		}
	}
	return Rule{}, false
}

// Entries lists the configured entries, for errors that say what is allowed.
func (l Commands) Entries() []string {
	out := make([]string, 0, len(l.rules))
	for _, r := range l.rules {
		out = append(out, ruleText(r.Rule))
	}
	return out
}

func ruleText(r Rule) string {
	if r.ReadOnly {
		return "ro:" + r.Text
	}
	return r.Text
}

func entries(spec string) []string {
	var out []string
	for _, line := range strings.FieldsFunc(spec, func(r rune) bool { return r == ';' || r == '\n' }) {
		if e := strings.TrimSpace(line); e != "" {
			out = append(out, e)
		}
	}
	return out
}

func cutRO(e string) (string, bool) {
	if rest, ok := strings.CutPrefix(e, "ro:"); ok {
		return strings.TrimSpace(rest), true
	}
	return e, false
}

// wildElems refuses what a wildcard matched as a whole path element when
// it is ".", ".." or empty, so /srv/* names the files in /srv, not /srv/..
// (the parent) or /srv/ (the directory itself). A wildcard never crosses a
// "/", so the elements of a match line up with the pattern's.
func wildElems(pattern, s string) bool {
	if !strings.ContainsAny(pattern, "*?") {
		return true
	}
	pe, se := strings.FieldsFunc(pattern, isSep), strings.FieldsFunc(s, isSep)
	if strings.Count(pattern, "/")+strings.Count(pattern, `\`) != strings.Count(s, "/")+strings.Count(s, `\`) {
		return false
	}
	if len(pe) != len(se) {
		return false
	}
	for i, p := range pe {
		if strings.ContainsAny(p, "*?") && (se[i] == "." || se[i] == "..") {
			return false
		}
	}
	return true
}

// glob matches s against a pattern where "*" is any run of characters and
// "?" any one, neither crossing a "/" (so /var/log/* cannot reach
// /var/log/../../etc); everything else is literal.
func glob(pattern, s string) bool {
	px, sx := 0, 0
	starP, starS := -1, 0
	for sx < len(s) {
		switch {
		case px < len(pattern) && pattern[px] == '*':
			starP, starS = px, sx
			px++
		case px < len(pattern) && (pattern[px] == '?' && !isSep(rune(s[sx])) || pattern[px] == s[sx]):
			px++
			sx++
		case starP >= 0 && !isSep(rune(s[starS])):
			px, starS = starP+1, starS+1
			sx = starS
		default:
			return false
		}
	}
	for px < len(pattern) && pattern[px] == '*' {
		px++
	}
	return px == len(pattern)
}

// isSep: wildcards stop at path separators, "/" and Windows' "\\".
func isSep(r rune) bool { return r == '/' || r == '\\' }

// optionSlip: a wildcard word that does not itself start with "-" never
// matches an option, so "ro:/usr/bin/date *" cannot become date -s; write
// "-*" where options are meant.
func optionSlip(pattern, s string) bool {
	return strings.ContainsAny(pattern, "*?") && !strings.HasPrefix(pattern, "-") && strings.HasPrefix(s, "-")
}
