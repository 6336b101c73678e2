package redact

import (
	"context"
	"encoding"
	"encoding/json"
	"fmt"
	"log/slog"
)

// Handler wraps next so that every record's message, attribute keys and
// values (strings, errors, Stringers and other values as they would be
// printed, inside groups too) pass through s first.
func Handler(next slog.Handler, s *Secrets) slog.Handler {
	return &handler{next: next, s: s}
}

type handler struct {
	next slog.Handler
	s    *Secrets
}

func (h *handler) Enabled(ctx context.Context, l slog.Level) bool { return h.next.Enabled(ctx, l) }

func (h *handler) Handle(ctx context.Context, r slog.Record) error {
	out := slog.NewRecord(r.Time, r.Level, h.s.String(r.Message), r.PC)
	r.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(h.attr(a))
		return true
	})
	return h.next.Handle(ctx, out)
}

func (h *handler) WithAttrs(attrs []slog.Attr) slog.Handler {
	clean := make([]slog.Attr, len(attrs))
	for i, a := range attrs {
		clean[i] = h.attr(a)
	}
	return &handler{next: h.next.WithAttrs(clean), s: h.s}
}

func (h *handler) WithGroup(name string) slog.Handler {
	return &handler{next: h.next.WithGroup(h.s.String(name)), s: h.s}
}

func (h *handler) attr(a slog.Attr) slog.Attr {
	a.Key = h.s.String(a.Key)
	v := a.Value.Resolve()
	switch v.Kind() {
	case slog.KindString:
		a.Value = slog.StringValue(h.s.String(v.String()))
	case slog.KindGroup:
		group := v.Group()
		clean := make([]slog.Attr, len(group))
		for i, g := range group {
			clean[i] = h.attr(g)
		}
		a.Value = slog.GroupValue(clean...)
	case slog.KindAny:
		a.Value = h.any(v)
	default:
		a.Value = v // numbers, booleans, times, durations hold no text
	}
	return a
}

// any checks a value in every form handlers print it (Error, MarshalText,
// String, %+v, JSON); if one shows a secret, the value is logged as the
// masked text of the first form instead.
func (h *handler) any(v slog.Value) (clean slog.Value) {
	x := v.Any()
	defer func() {
		if recover() != nil { // a nil receiver, say; fmt copes with those
			clean = slog.StringValue(h.s.String(fmt.Sprintf("%+v", x)))
		}
	}()
	var forms []string
	switch t := x.(type) {
	case error:
		forms = append(forms, t.Error())
	case []byte:
		forms = append(forms, string(t))
	}
	if t, ok := x.(encoding.TextMarshaler); ok {
		if b, err := t.MarshalText(); err == nil {
			forms = append(forms, string(b))
		}
	}
	if t, ok := x.(fmt.Stringer); ok {
		forms = append(forms, t.String())
	}
	forms = append(forms, fmt.Sprintf("%+v", x))
	if j, err := json.Marshal(x); err == nil {
		forms = append(forms, string(j))
	}
	for _, f := range forms {
		if h.s.String(f) != f {
			return slog.StringValue(h.s.String(forms[0]))
		}
	}
	return v
}
