package tools

import (
	"cmp"
	"encoding/json"
	"slices"
)

// generatedSchema is one tool's advertised schemas as JSON, inferred from
// its Go types by TestGeneratedSchemasGolden, which fails when they no longer
// match and rewrites schemas_gen.go with UPDATE_GOLDEN=1.
type generatedSchema struct {
	name, inType string // the tool and its input type: a read form shares the name
	in, out      string // "" out: none
}

func compareGenerated(a generatedSchema, name, inType string) int {
	return cmp.Or(cmp.Compare(a.name, name), cmp.Compare(a.inType, inType))
}

// generatedSchemas is the generated copy of a tool's advertised input and
// output schemas; false when there is none (a new tool before the file is
// regenerated).
func generatedSchemas(name, inType string) (in, out any, ok bool) {
	i, found := slices.BinarySearchFunc(generated[:], name, func(g generatedSchema, name string) int {
		return compareGenerated(g, name, inType)
	})
	if !found {
		return nil, nil, false
	}
	g := generated[i]
	in = json.RawMessage(g.in)
	if g.out != "" {
		out = json.RawMessage(g.out)
	}
	return in, out, true
}
