package selftest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"
)

// Step is one row of the report.
type Step struct {
	Name    string
	Tool    string
	Status  string // ok, fail or skipped
	Seconds float64
	Note    string
}

const (
	statusOK      = "ok"
	statusFail    = "fail"
	statusSkipped = "skipped"
)

// The notes of steps not run; a skip on purpose has its own note.
const (
	noteAfterFailure = "an earlier step failed"
	noteInterrupted  = "interrupted"
)

// errSkip makes a step skipped rather than failed; its text is the note.
type errSkip string

func (e errSkip) Error() string { return string(e) }

// undo removes one thing the sweep made; it must be safe to run when the
// thing is already gone.
type undo struct {
	name, tool string
	run        func(ctx context.Context) (string, error)
}

// runner runs steps in order until one fails, then only records the rest
// as skipped, and keeps the undo stack.
type runner struct {
	progress io.Writer
	steps    []Step
	undos    []undo
	failed   bool
}

// step runs f unless an earlier step failed or ctx is done.
func (r *runner) step(ctx context.Context, name, tool string, f func(ctx context.Context) (string, error)) bool {
	if r.failed || ctx.Err() != nil {
		note := noteAfterFailure
		if !r.failed {
			note = noteInterrupted
		}
		r.add(Step{Name: name, Tool: tool, Status: statusSkipped, Note: note})
		return false
	}
	r.add(run(ctx, name, tool, f))
	if r.steps[len(r.steps)-1].Status == statusFail {
		r.failed = true
		return false
	}
	return true
}

func run(ctx context.Context, name, tool string, f func(ctx context.Context) (string, error)) Step {
	start := time.Now()
	note, err := f(ctx)
	st := Step{Name: name, Tool: tool, Status: statusOK, Seconds: time.Since(start).Seconds(), Note: note}
	var skip errSkip
	switch {
	case errors.As(err, &skip):
		st.Status, st.Note = statusSkipped, skip.Error()
	case err != nil:
		st.Status, st.Note = statusFail, err.Error()
	}
	return st
}

func (r *runner) add(s Step) {
	r.steps = append(r.steps, s)
	if r.progress != nil {
		fmt.Fprintf(r.progress, "%-7s %s (%.1fs)\n", s.Status, s.Name, s.Seconds)
	}
}

// made registers the undo of something just made.
func (r *runner) made(u undo) { r.undos = append(r.undos, u) }

// cleanup runs every undo, newest first, each whatever the others did.
func (r *runner) cleanup(ctx context.Context) {
	for i := len(r.undos) - 1; i >= 0; i-- {
		u := r.undos[i]
		r.add(run(ctx, "cleanup: "+u.name, u.tool, u.run))
	}
}

// ok tells whether every step passed or was skipped on purpose (not after a
// failure or an interrupt).
func (r *runner) ok() bool {
	for _, s := range r.steps {
		if s.Status == statusFail || s.Status == statusSkipped && (s.Note == noteAfterFailure || s.Note == noteInterrupted) {
			return false
		}
	}
	return true
}

// Table prints the steps as an aligned table.
func Table(w io.Writer, steps []Step) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "STEP\tTOOL\tRESULT\tSECONDS\tNOTE")
	for _, s := range steps {
		note := strings.Join(strings.Fields(s.Note), " ")
		if len(note) > 160 {
			note = note[:157] + "..."
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%.1f\t%s\n", s.Name, s.Tool, s.Status, s.Seconds, note)
	}
	tw.Flush()
}
