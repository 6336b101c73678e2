package pve

import (
	"math"
	"time"
)

// With nothing known of a task's end the plan assumes what the waits it
// serves mostly are: tasks that end evenly anywhere over 2-60 s. For that
// spread the polls of least lag per poll have density k/sqrt(S(t)), S the
// share of tasks still running (taskspread.go): polls at 60-u*u for u
// stepping down evenly, about 1.25 s apart at first and closing in as
// fewer tasks are left. Lag is 1/(3k), a third less per poll than a
// constant gap's. Before 2 s a fast start of two polls catches the short
// tasks; past a minute nothing is assumed and the gap grows with the age.
//
// k = 0.71: over tasks of 2-60 s the mean lag is 0.47 s at 0.98 status
// polls a second, fast start and final poll included, where a 1 s gap
// gives 0.5 s at 1.05 (TestReplayFigures).
const (
	priorFrom  = 2 * time.Second
	priorUntil = 60 * time.Second
	priorStep  = 0.0925 // sqrt seconds between polls: 1/(2k*sqrt(58))
	priorMin   = 200 * time.Millisecond
	lateMin    = 1500 * time.Millisecond
)

// fastStart are the polls, as task ages, before the spread begins.
var fastStart = [...]time.Duration{firstPoll, 700 * time.Millisecond}

// priorDelay is the delay after a poll at a task age to the next poll
// when nothing else is known of the end.
func priorDelay(age time.Duration) time.Duration {
	for _, at := range fastStart {
		if age < at-priorMin/2 {
			return at - age
		}
	}
	if age >= priorUntil {
		return min(max(age/40, lateMin), sparsePoll)
	}
	span := (priorUntil - priorFrom).Seconds()
	u0 := math.Sqrt(span) - priorStep/2 // the first poll half a step in
	u := math.Sqrt((priorUntil - age).Seconds())
	j := math.Floor((u0-u)/priorStep) + 1 // the next grid poll after age
	if j < 0 {
		j = 0
	}
	for {
		v := u0 - j*priorStep
		if v <= 0 {
			return max(priorUntil-age, priorMin)
		}
		if d := priorUntil - seconds(v*v) - age; d >= priorMin {
			return d
		}
		j++
	}
}
