package kubernetes

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"testing"
)

// The server's own source is read, not imported: importing it would bring
// the server's dependencies into this module (and this module's into its).
const repoRoot = "../.."

// serverVars returns the environment variable names listed in
// internal/config/vars.go's Vars: the first string of each entry.
func serverVars(t *testing.T) map[string]bool {
	t.Helper()
	f := parse(t, filepath.Join(repoRoot, "internal/config/vars.go"))
	names := map[string]bool{}
	for _, d := range f.Decls {
		fn, ok := d.(*ast.FuncDecl)
		if !ok || fn.Name.Name != "Vars" {
			continue
		}
		ast.Inspect(fn, func(n ast.Node) bool {
			cl, ok := n.(*ast.CompositeLit)
			if !ok || cl.Type != nil || len(cl.Elts) != 3 {
				return true
			}
			if s, ok := stringLit(cl.Elts[0]); ok {
				names[s] = true
			}
			return true
		})
	}
	if len(names) < 20 || !names["PROXMOX_HOST"] {
		t.Fatalf("read %d variables from vars.go; has its layout changed?", len(names))
	}
	return names
}

// serverConsts returns the string constants declared in the Go files given
// (relative to the repository).
func serverConsts(t *testing.T, files ...string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, file := range files {
		f := parse(t, filepath.Join(repoRoot, file))
		for _, d := range f.Decls {
			gd, ok := d.(*ast.GenDecl)
			if !ok || gd.Tok != token.CONST {
				continue
			}
			for _, spec := range gd.Specs {
				vs := spec.(*ast.ValueSpec)
				for i, name := range vs.Names {
					if i < len(vs.Values) {
						if s, ok := stringLit(vs.Values[i]); ok {
							out[name.Name] = s
						}
					}
				}
			}
		}
	}
	return out
}

func parse(t *testing.T, path string) *ast.File {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), path, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func stringLit(e ast.Expr) (string, bool) {
	bl, ok := e.(*ast.BasicLit)
	if !ok || bl.Kind != token.STRING {
		return "", false
	}
	s, err := strconv.Unquote(bl.Value)
	return s, err == nil
}
