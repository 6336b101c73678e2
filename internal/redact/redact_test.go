package redact

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strconv"
	"strings"
	"testing"
)

const (
	tokenSecret = "0f4b7f9e-aaaa-bbbb-cccc-444455556666"
	password    = `pa"ss wörd/&<x>?+1234`
	bearer      = "Zq8Vt3kLm9xRb4Wc7Yd2Fh6Jn1Pq5Ts0"
)

// leaked reports any form or 8-character piece of secret in text.
func leaked(text, secret string) string {
	for _, f := range escapes(secret) {
		if strings.Contains(text, f) {
			return f
		}
		for i := 0; i+minPiece <= len(f); i++ {
			if strings.Contains(text, f[i:i+minPiece]) {
				return f[i : i+minPiece]
			}
		}
	}
	return ""
}

func TestStringMasksEveryForm(t *testing.T) {
	s := New(tokenSecret, password, bearer, "", "abc")
	q := strconv.Quote(password)
	j, _ := json.Marshal(password)
	for _, in := range []string{
		"secret " + tokenSecret + " end",
		"quoted " + q,
		"json " + string(j),
		"go-quoted json " + strconv.Quote(string(j)),
		"query ?p=" + url.QueryEscape(password),
		"path /" + url.PathEscape(password),
		"truncated " + tokenSecret[:12] + "...",
		"tail ..." + tokenSecret[len(tokenSecret)-9:],
		"middle " + password[3:13],
		"twice " + bearer + bearer[:10],
	} {
		out := s.String(in)
		for _, secret := range []string{tokenSecret, password, bearer} {
			if l := leaked(out, secret); l != "" {
				t.Errorf("%q -> %q still shows %q", in, out, l)
			}
		}
		if !strings.Contains(out, Mask) {
			t.Errorf("%q -> %q: nothing masked", in, out)
		}
	}
	if out := s.String("abc and ordinary words stay"); out != "abc and ordinary words stay" {
		t.Errorf("ordinary text changed: %q", out)
	}
}

func TestStringMasksShapes(t *testing.T) {
	s := New()
	ticket := "PVE:root@pam:4EEC61E2::rsKoApxDTLYPn6H3NNT6iP2mv/AoH6SxR6dlvnGE4o5l+Ew0f2UCDUzn4YsNIw=="
	for _, in := range []string{
		"ticket " + ticket,
		"Cookie: PVEAuthCookie=" + url.QueryEscape(ticket),
		"cookie " + url.QueryEscape(ticket),
		"CSRFPreventionToken: 4EEC61E2:lwk7od06fa1+DcPUwBTXCcndyAY/3mKxQp5vR8sL0aA",
		"Authorization: PVEAPIToken=root@pam!mcp=" + tokenSecret,
		"Authorization: Bearer " + bearer,
	} {
		out := s.String(in)
		if !strings.Contains(out, Mask) || strings.Contains(out, "rsKoApx") || strings.Contains(out, tokenSecret) ||
			strings.Contains(out, bearer) || strings.Contains(out, "lwk7od06") {
			t.Errorf("%q -> %q", in, out)
		}
	}
	for _, in := range []string{
		"missing bearer token", "drop the PVEAPIToken= prefix", "UPID:pve1:0000ABCD:00112233:65A0B0C0:qmstart:100:root@pam!mcp:",
	} {
		if out := s.String(in); out != in {
			t.Errorf("harmless %q -> %q", in, out)
		}
	}
}

func TestStringKeepsValidUTF8(t *testing.T) {
	s := New("ééééééééé")
	out := s.String("x" + "éééé" + "y")
	if !strings.Contains(out, Mask) || !strings.HasPrefix(out, "x") || !strings.HasSuffix(out, "y") || strings.ContainsRune(out, '\uFFFD') {
		t.Errorf("%q", out)
	}
	if !utf8Valid(out) {
		t.Errorf("invalid UTF-8: %q", out)
	}
}

func utf8Valid(s string) bool { return strings.ToValidUTF8(s, "\uFFFD") == s }

type stringer struct{ v string }

func (s stringer) String() string { return "stringer " + s.v }

type hidden struct {
	Name   string
	secret string
}

type nilStringer struct{ v string }

func (n *nilStringer) String() string { return n.v }

func TestHandlerMasksRecords(t *testing.T) {
	for _, newHandler := range []func(*bytes.Buffer) slog.Handler{
		func(b *bytes.Buffer) slog.Handler { return slog.NewTextHandler(b, nil) },
		func(b *bytes.Buffer) slog.Handler { return slog.NewJSONHandler(b, nil) },
	} {
		var buf bytes.Buffer
		log := slog.New(Handler(newHandler(&buf), New(tokenSecret, password, bearer)))
		log = log.With("preset", "p="+password).WithGroup("g")
		log.Info("login with "+tokenSecret,
			"str", strconv.Quote(password),
			"err", fmt.Errorf("wrap: %w", errors.New("body {\"t\":\""+bearer[:20]+"\"}")),
			slog.Group("nested", slog.Group("deeper", "v", url.QueryEscape(password))),
			"stringer", stringer{tokenSecret},
			"struct", hidden{Name: "n", secret: tokenSecret},
			"bytes", []byte(bearer),
			"nilptr", (*nilStringer)(nil),
			"n", 42,
			tokenSecret, "as a key",
		)
		out := buf.String()
		for _, secret := range []string{tokenSecret, password, bearer} {
			if l := leaked(out, secret); l != "" {
				t.Errorf("log shows %q:\n%s", l, out)
			}
		}
		for _, want := range []string{"login with " + Mask, "42", "deeper"} {
			if !strings.Contains(out, want) {
				t.Errorf("missing %q in:\n%s", want, out)
			}
		}
	}
}

func TestHandlerKeepsCleanValues(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(Handler(slog.NewJSONHandler(&buf, nil), New(tokenSecret)))
	log.Info("ok", "obj", map[string]int{"a": 1}, "err", errors.New("plain"))
	if !strings.Contains(buf.String(), `"obj":{"a":1}`) || !strings.Contains(buf.String(), `"err":"plain"`) {
		t.Errorf("clean values changed: %s", buf.String())
	}
	if !slog.New(Handler(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelWarn}), New())).Handler().Enabled(t.Context(), slog.LevelWarn) {
		t.Error("Enabled not passed through")
	}
}
