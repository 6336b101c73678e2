package pveschema

import (
	"regexp"
	"strconv"
	"strings"
	"sync"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/lazyre"
)

var reRepeat = lazyre.New(`^\{(\d+)(?:,(\d*))?\}`)

func atoiMax(s string) int {
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0
	}
	return n
}

// lazyRegexp compiles a schema pattern on first use, so Load stays fast.
type lazyRegexp struct {
	src  string
	once sync.Once
	re   *regexp.Regexp
	err  error
}

func newLazyRegexp(src string) *lazyRegexp { return &lazyRegexp{src: src} }

func (l *lazyRegexp) get() (*regexp.Regexp, error) {
	l.once.Do(func() { l.re, l.err = regexp.Compile(l.src) })
	return l.re, l.err
}

// perlPatternToGo turns a schema pattern into a Go regexp anchored the way
// JSONSchema.pm anchors it: m/^$pattern$/ (textual interpolation, so a
// top-level alternation binds to the anchors exactly as in Perl).
func perlPatternToGo(p string) string {
	var b strings.Builder
	b.WriteString("^")
	for i := 0; i < len(p); i++ {
		c := p[i]
		switch {
		case c == '\\' && i+1 < len(p):
			b.WriteByte(c)
			b.WriteByte(p[i+1])
			i++
		case c == '(' && strings.HasPrefix(p[i:], "(?^"):
			// (?^flags: ... ) is Perl's stringified qr//; Go wants (?flags: ...).
			j := i + 3
			for j < len(p) && p[j] != ':' && p[j] != ')' {
				j++
			}
			flags := p[i+3 : j]
			b.WriteString("(?")
			b.WriteString(flags)
			i = j - 1
		case c == '{' && strings.HasPrefix(p[i:], "{,"):
			// Perl >= 5.34 reads {,n} as {0,n}; Go would read it literally.
			b.WriteString("{0,")
			i++
		case c == '{':
			// RE2 allows repeat counts up to 1000; larger bounds are loosened
			// to open-ended ones (accepting more than PVE does).
			if m := reRepeat.FindStringSubmatch(p[i:]); m != nil && (atoiMax(m[1]) > 1000 || atoiMax(m[2]) > 1000) {
				b.WriteString("{" + strconv.Itoa(min(atoiMax(m[1]), 1000)) + ",}")
				i += len(m[0]) - 1
				continue
			}
			b.WriteByte(c)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteString("$")
	return b.String()
}

// perlMatch matches like Perl's m/^...$/: "$" also matches before a final
// newline.
func perlMatch(re interface{ MatchString(string) bool }, s string) bool {
	if re.MatchString(s) {
		return true
	}
	if t, ok := strings.CutSuffix(s, "\n"); ok {
		return re.MatchString(t)
	}
	return false
}
