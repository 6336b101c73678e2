package doctor

import (
	"fmt"
	"io"
	"strings"
)

// Text writes the report for a person at a terminal.
func Text(w io.Writer, r Report) {
	steps(w, r)
	for _, c := range r.Clusters {
		def := ""
		if c.Default {
			def = " (default)"
		}
		fmt.Fprintf(w, "cluster %s%s:\n", c.Name, def)
		steps(w, c.Report)
	}
	if r.OK {
		fmt.Fprintln(w, "everything the enabled tools need is in place")
	} else {
		fmt.Fprintln(w, "not ready: fix the FAIL lines above, then run doctor again")
	}
}

// steps writes one report's checks and tool access.
func steps(w io.Writer, r Report) {
	for _, c := range r.Checks {
		fmt.Fprintf(w, "%-5s %-14s %s\n", strings.ToUpper(c.Status), c.Name, c.Detail)
		for _, f := range c.Fix {
			fmt.Fprintf(w, "      %s\n", f)
		}
	}
	if r.Tools != nil {
		for _, a := range r.Tools.Refused {
			fmt.Fprintf(w, "      refused: %s needs %s\n", a.Tool, a.Needs)
		}
		for _, a := range r.Tools.Limited {
			only := ""
			if len(a.Only) > 0 {
				only = " (held only on " + strings.Join(a.Only, ", ") + ")"
			}
			fmt.Fprintf(w, "      limited: %s needs %s%s\n", a.Tool, a.Needs, only)
		}
		if len(r.Tools.Unknown) > 0 {
			fmt.Fprintf(w, "      not checked (privileges unknown): %s\n", strings.Join(r.Tools.Unknown, ", "))
		}
	}
}
