package pve

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pveschema"
)

// Int, Float and Flag read the numbers and booleans of Proxmox answers,
// which come as JSON numbers or as strings holding them (numbers pass
// through Perl scalars: /cluster/nextid answers "101"; older releases send
// many fields quoted). null and "" read as zero. Anything else is an error
// rather than a silent zero, so a broken answer is not taken for a real 0.
type (
	Int   int64
	Float float64
	// Flag is a Proxmox boolean: 0/1 (number or string), JSON true/false,
	// or the words Proxmox's own parser accepts (yes/no, on/off, true/false).
	Flag bool
)

// numberText returns the text of a JSON number or of a string holding one;
// ok is false for null and "".
func numberText(b []byte) (s string, ok bool, err error) {
	b = bytes.TrimSpace(b)
	switch {
	case len(b) == 0 || string(b) == "null":
		return "", false, nil
	case b[0] == '"':
		if err := json.Unmarshal(b, &s); err != nil {
			return "", false, err
		}
		s = strings.TrimSpace(s)
		return s, s != "", nil
	case b[0] == '-' || (b[0] >= '0' && b[0] <= '9'):
		return string(b), true, nil
	}
	return "", false, fmt.Errorf("want a number, got %s", truncate(string(b), 60))
}

func (n *Int) UnmarshalJSON(b []byte) error {
	s, ok, err := numberText(b)
	if err != nil || !ok {
		*n = 0
		return err
	}
	if v, err := strconv.ParseInt(s, 10, 64); err == nil {
		*n = Int(v)
		return nil
	}
	// 1e3 or 100.0 are integers written as floats.
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f != math.Trunc(f) || math.Abs(f) > 1<<53 {
		return fmt.Errorf("want an integer, got %s", truncate(strconv.Quote(s), 60))
	}
	*n = Int(f)
	return nil
}

func (f *Float) UnmarshalJSON(b []byte) error {
	s, ok, err := numberText(b)
	if err != nil || !ok {
		*f = 0
		return err
	}
	v, err := strconv.ParseFloat(s, 64)
	// ParseFloat also reads "NaN" and "Inf", which JSON cannot carry on.
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return fmt.Errorf("want a number, got %s", truncate(strconv.Quote(s), 60))
	}
	*f = Float(v)
	return nil
}

func (f *Flag) UnmarshalJSON(b []byte) error {
	switch t := string(bytes.TrimSpace(b)); t {
	case "true", "false":
		*f = t == "true"
		return nil
	}
	s, ok, err := numberText(b)
	if err != nil || !ok {
		*f = false
		if err != nil {
			return fmt.Errorf("want a boolean, got %s", truncate(string(b), 60))
		}
		return nil
	}
	if v, ok := pveschema.ParseBool(s); ok {
		*f = Flag(v)
		return nil
	}
	// Some fields are counts used as booleans; any other number is true.
	if v, err := strconv.ParseFloat(s, 64); err == nil {
		*f = v != 0
		return nil
	}
	return fmt.Errorf("want a boolean, got %s", truncate(strconv.Quote(s), 60))
}

var (
	_ json.Unmarshaler = (*Int)(nil)
	_ json.Unmarshaler = (*Float)(nil)
	_ json.Unmarshaler = (*Flag)(nil)
)
