// Package lazyre is a regexp compiled on first use. Package-level
// regexp.MustCompile runs at process start in every binary that imports the
// package, whether or not the pattern is ever used; the server's packages
// hold over a hundred, a tenth of its start-up CPU.
package lazyre

import (
	"regexp"
	"sync"
)

// Regexp has the methods of regexp.Regexp that callers use; each compiles
// the expression once, on the first call. A bad expression panics then, as
// regexp.MustCompile would have at start-up (tests cover every pattern's use).
//
// A package-level New(expr) is static data: it runs no code at start-up
// (a sync.OnceValue here made every importing package's init allocate and
// touch its pages).
type Regexp struct {
	expr string
	once sync.Once
	re   *regexp.Regexp
}

// New returns a Regexp for expr, not yet compiled.
func New(expr string) *Regexp { return &Regexp{expr: expr} }

func (r *Regexp) get() *regexp.Regexp {
	r.once.Do(func() { r.re = regexp.MustCompile(r.expr) })
	return r.re
}

// Compiled is the compiled expression, for APIs that want a *regexp.Regexp.
func (r *Regexp) Compiled() *regexp.Regexp { return r.get() }

func (r *Regexp) String() string                         { return r.get().String() }
func (r *Regexp) MatchString(s string) bool              { return r.get().MatchString(s) }
func (r *Regexp) Match(b []byte) bool                    { return r.get().Match(b) }
func (r *Regexp) FindString(s string) string             { return r.get().FindString(s) }
func (r *Regexp) FindStringIndex(s string) []int         { return r.get().FindStringIndex(s) }
func (r *Regexp) FindStringSubmatch(s string) []string   { return r.get().FindStringSubmatch(s) }
func (r *Regexp) FindStringSubmatchIndex(s string) []int { return r.get().FindStringSubmatchIndex(s) }
func (r *Regexp) FindAllString(s string, n int) []string { return r.get().FindAllString(s, n) }
func (r *Regexp) FindAllStringSubmatch(s string, n int) [][]string {
	return r.get().FindAllStringSubmatch(s, n)
}
func (r *Regexp) FindAllStringSubmatchIndex(s string, n int) [][]int {
	return r.get().FindAllStringSubmatchIndex(s, n)
}
func (r *Regexp) ReplaceAllString(s, repl string) string { return r.get().ReplaceAllString(s, repl) }
func (r *Regexp) ReplaceAllStringFunc(s string, f func(string) string) string {
	return r.get().ReplaceAllStringFunc(s, f)
}
func (r *Regexp) Split(s string, n int) []string { return r.get().Split(s, n) }
func (r *Regexp) SubexpNames() []string          { return r.get().SubexpNames() }
func (r *Regexp) SubexpIndex(name string) int    { return r.get().SubexpIndex(name) }
