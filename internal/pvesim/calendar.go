package pvesim

import (
	"strconv"
	"strings"
	"time"
)

// Calendar events as proxmox-time computes their next time (the next-run
// of backup jobs): [weekdays] [[year-]month-day] [hour:]minute[:second]
// [UTC], or a keyword. A lone time component is the minute ("*/15"); a
// missing time is 00:00. Seconds are taken as 0.

var calendarKeywordSpec = map[string]string{
	"minutely": "*:*", "hourly": "*:00", "daily": "00:00", "weekly": "mon 00:00", "monthly": "*-*-01 00:00",
	"yearly": "*-01-01 00:00", "annually": "*-01-01 00:00", "quarterly": "*-01,04,07,10-01 00:00",
	"semiannually": "*-01,07-01 00:00", "semi-annually": "*-01,07-01 00:00",
}

var weekdayIndex = map[string]int{"sun": 0, "mon": 1, "tue": 2, "wed": 3, "thu": 4, "fri": 5, "sat": 6,
	"sunday": 0, "monday": 1, "tuesday": 2, "wednesday": 3, "thursday": 4, "friday": 5, "saturday": 6}

// calSpec is a parsed event: the values each component matches (nil: any).
type calSpec struct {
	days                 map[int]bool // weekdays
	years, months, mdays func(int) bool
	hours, minutes       []int // sorted
	utc                  bool
}

// compSet reads "*", "*/r", "a", "a..b", "a/r", "a..b/r" lists into a
// predicate over 0..max-1.
func compSet(s string, maxV int) (func(int) bool, bool) {
	all := make([]bool, maxV)
	for _, item := range strings.Split(s, ",") {
		base, rep, hasRep := strings.Cut(item, "/")
		step := 1
		if hasRep {
			n, err := strconv.Atoi(rep)
			if err != nil || n <= 0 {
				return nil, false
			}
			step = n
		}
		from, to := 0, maxV-1
		if base != "*" {
			a, b, isRange := strings.Cut(base, "..")
			x, err := strconv.Atoi(a)
			if err != nil || x < 0 || x >= maxV {
				return nil, false
			}
			from = x
			if !hasRep {
				to = x
			}
			if isRange {
				y, err := strconv.Atoi(b)
				if err != nil || y < x || y >= maxV {
					return nil, false
				}
				to = y
			}
		}
		for v := from; v <= to; v += step {
			all[v] = true
		}
	}
	return func(v int) bool { return v >= 0 && v < maxV && all[v] }, true
}

func listOf(f func(int) bool, maxV int) []int {
	var out []int
	for v := 0; v < maxV; v++ {
		if f(v) {
			out = append(out, v)
		}
	}
	return out
}

func parseCalendar(text string) (*calSpec, bool) {
	text = strings.TrimSpace(text)
	sp := &calSpec{}
	if t, ok := strings.CutSuffix(text, "UTC"); ok {
		text, sp.utc = strings.TrimSpace(t), true
	}
	if k, ok := calendarKeywordSpec[text]; ok {
		text = k
	}
	fields := strings.Fields(text)
	if len(fields) > 0 && fields[0] != "" && (fields[0][0] >= 'a' && fields[0][0] <= 'z') {
		sp.days = map[int]bool{}
		for _, r := range strings.Split(fields[0], ",") {
			a, b, isRange := strings.Cut(r, "..")
			x, ok := weekdayIndex[a]
			if !ok {
				return nil, false
			}
			y := x
			if isRange {
				if y, ok = weekdayIndex[b]; !ok {
					return nil, false
				}
			}
			for d := x; ; d = (d + 1) % 7 {
				sp.days[d] = true
				if d == y {
					break
				}
			}
		}
		fields = fields[1:]
	}
	anyV := func(int) bool { return true }
	sp.years, sp.months, sp.mdays = anyV, anyV, anyV
	if len(fields) > 0 && strings.Contains(fields[0], "-") {
		parts := strings.Split(fields[0], "-")
		var ok1, ok2, ok3 bool
		switch len(parts) {
		case 3:
			sp.years, ok1 = compSet(parts[0], 2200)
			sp.months, ok2 = compSet(parts[1], 13)
			sp.mdays, ok3 = compSet(parts[2], 32)
		case 2:
			ok1 = true
			sp.months, ok2 = compSet(parts[0], 13)
			sp.mdays, ok3 = compSet(parts[1], 32)
		}
		if !ok1 || !ok2 || !ok3 {
			return nil, false
		}
		fields = fields[1:]
	}
	hours, minutes := "0", "0"
	switch {
	case len(fields) > 1:
		return nil, false
	case len(fields) == 1:
		parts := strings.Split(fields[0], ":")
		switch len(parts) {
		case 1:
			hours, minutes = "*", parts[0]
		case 2, 3:
			hours, minutes = parts[0], parts[1]
		default:
			return nil, false
		}
	}
	h, ok := compSet(hours, 24)
	m, ok2 := compSet(minutes, 60)
	if !ok || !ok2 {
		return nil, false
	}
	sp.hours, sp.minutes = listOf(h, 24), listOf(m, 60)
	return sp, len(sp.hours) > 0 && len(sp.minutes) > 0
}

// nextCalendarEvent is the first time after now that the event matches,
// looking up to eight years ahead (29 February on a weekday).
func nextCalendarEvent(schedule string, now time.Time) (time.Time, bool) {
	sp, ok := parseCalendar(schedule)
	if !ok || schedule == "" {
		return time.Time{}, false
	}
	loc := time.Local
	if sp.utc {
		loc = time.UTC
	}
	now = now.In(loc)
	day := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, loc)
	for i := 0; i < 8*366; i++ {
		d := day.AddDate(0, 0, i)
		if !sp.years(d.Year()) || !sp.months(int(d.Month())) || !sp.mdays(d.Day()) || (sp.days != nil && !sp.days[int(d.Weekday())]) {
			continue
		}
		for _, h := range sp.hours {
			for _, m := range sp.minutes {
				t := time.Date(d.Year(), d.Month(), d.Day(), h, m, 0, 0, loc)
				if t.After(now) {
					return t, true
				}
			}
		}
	}
	return time.Time{}, false
}
