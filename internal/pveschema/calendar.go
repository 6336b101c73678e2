package pveschema

import (
	"strconv"
	"strings"
)

// verifyCalendarEvent checks a systemd-like calendar event as PVE's parser
// (proxmox-time) accepts it: [weekdays] [[year-]month-day] [[hour:]minute[:second]] [UTC],
// or one of the keywords (daily, weekly, ...). The detailed parser error of
// the Rust code is not reproduced; the message names the event.
func verifyCalendarEvent(v string) string {
	text := strings.TrimSpace(v)
	if text == "" {
		return "invalid calendar event '" + v + "' - unable to parse calendar event - event is empty\n"
	}
	if !calendarOK(text) {
		return "invalid calendar event '" + v + "' - unable to parse calendar event"
	}
	return ""
}

var calendarKeywords = map[string]bool{
	"minutely": true, "hourly": true, "daily": true, "weekly": true, "monthly": true,
	"yearly": true, "annually": true, "quarterly": true, "semiannually": true, "semi-annually": true,
}

var weekdayNames = map[string]bool{
	"mon": true, "tue": true, "wed": true, "thu": true, "fri": true, "sat": true, "sun": true,
	"monday": true, "tuesday": true, "wednesday": true, "thursday": true, "friday": true,
	"saturday": true, "sunday": true,
}

func calendarOK(s string) bool {
	if t, ok := strings.CutSuffix(s, "UTC"); ok {
		s = strings.TrimRight(t, " ")
	}
	if calendarKeywords[s] {
		return true
	}
	has := false
	if s != "" && isAlpha(s[0]) {
		end := strings.IndexByte(s, ' ')
		if end < 0 {
			end = len(s)
		}
		for _, r := range strings.Split(s[:end], ",") {
			from, to, isRange := strings.Cut(r, "..")
			if !weekdayNames[from] || (isRange && !weekdayNames[to]) {
				return false
			}
		}
		s = strings.TrimLeft(s[end:], " ")
		has = true
	}
	// A date spec contains '-' before any ':' (time) part.
	if s != "" {
		fields := strings.Fields(s)
		if len(fields) > 2 {
			return false
		}
		if strings.Contains(fields[0], "-") {
			if !dateSpecOK(fields[0]) {
				return false
			}
			has = true
			fields = fields[1:]
		}
		if len(fields) == 1 {
			if !timeSpecOK(fields[0]) {
				return false
			}
			has = true
		} else if len(fields) > 1 {
			return false
		}
	}
	return has
}

func isAlpha(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

func dateSpecOK(s string) bool {
	parts := strings.Split(s, "-")
	switch len(parts) {
	case 3:
		return compListOK(parts[0], 2200) && compListOK(parts[1], 13) && compListOK(parts[2], 32)
	case 2:
		return compListOK(parts[0], 13) && compListOK(parts[1], 32)
	}
	return false
}

func timeSpecOK(s string) bool {
	parts := strings.Split(s, ":")
	switch len(parts) {
	case 1:
		return compListOK(parts[0], 60)
	case 2:
		return compListOK(parts[0], 24) && compListOK(parts[1], 60)
	case 3:
		return compListOK(parts[0], 24) && compListOK(parts[1], 60) && compListOK(parts[2], 60)
	}
	return false
}

// compListOK checks "*", "*/n" or a comma list of n, a..b, n/r, a..b/r with
// every number below max.
func compListOK(s string, maxV int) bool {
	if rest, ok := strings.CutPrefix(s, "*"); ok {
		if rest == "" {
			return true
		}
		r, ok := strings.CutPrefix(rest, "/")
		return ok && numBelow(r, maxV)
	}
	for _, item := range strings.Split(s, ",") {
		base, rep, hasRep := strings.Cut(item, "/")
		if hasRep && !numBelow(rep, maxV) {
			return false
		}
		from, to, isRange := strings.Cut(base, "..")
		if !numBelow(from, maxV) {
			return false
		}
		if isRange {
			if !numBelow(to, maxV) {
				return false
			}
			a, _ := strconv.Atoi(from)
			b, _ := strconv.Atoi(to)
			if a > b {
				return false
			}
		}
	}
	return true
}

func numBelow(s string, maxV int) bool {
	if s == "" || len(s) > 4 {
		return false
	}
	n, err := strconv.Atoi(s)
	return err == nil && n >= 0 && n < maxV && s[0] != '+'
}
