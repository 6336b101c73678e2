package pveschema

import (
	"sort"
	"strings"
)

// Suggest returns the names closest to an unknown parameter name, best first
// (at most 5), for "unknown parameter, did you mean ..." messages. Names may
// be schema names such as "net[n]"; for those the index typed by the user is
// kept ("nte3" suggests "net3").
func Suggest(names []string, bad string) []string {
	type cand struct {
		name string
		dist int
	}
	badBase, badDigits := splitDigits(bad)
	lb := strings.ToLower(bad)
	var out []cand
	seen := map[string]bool{}
	for _, n := range names {
		target, shown := n, n
		input := lb
		if prefix, ok := strings.CutSuffix(n, "[n]"); ok {
			target, input = prefix, strings.ToLower(badBase)
			if badDigits != "" {
				shown = prefix + badDigits
			}
		}
		lt := strings.ToLower(target)
		d := editDistance(input, lt)
		if normaliseName(input) == normaliseName(lt) {
			d = 0
		}
		limit := max(1, len(input)/3)
		close := d <= limit ||
			(len(input) >= 3 && (strings.HasPrefix(lt, input) || strings.HasPrefix(input, lt)) && len(lt) >= 3)
		if !close || seen[shown] || shown == bad {
			continue
		}
		seen[shown] = true
		out = append(out, cand{shown, d})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].dist != out[j].dist {
			return out[i].dist < out[j].dist
		}
		return out[i].name < out[j].name
	})
	res := make([]string, 0, min(len(out), 5))
	for i := 0; i < len(out) && i < 5; i++ {
		res = append(res, out[i].name)
	}
	return res
}

func splitDigits(s string) (string, string) {
	i := len(s)
	for i > 0 && s[i-1] >= '0' && s[i-1] <= '9' {
		i--
	}
	return s[:i], s[i:]
}

// normaliseName folds "-" and "_" so "with_local_disks" meets "with-local-disks".
func normaliseName(s string) string {
	return strings.NewReplacer("-", "", "_", "").Replace(s)
}

// editDistance is the optimal-string-alignment distance (Levenshtein plus
// adjacent transpositions).
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev2 := make([]int, len(rb)+1)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(rb)]
}
