package pve

import (
	"math"
	"time"
)

// When earlier durations of a task kind disagree, they still tell how
// likely the end is at each moment. With end density f and survival S, the
// poll gap g(t) = c*sqrt(S(t)/f(t)) gives the least lag for a number of
// polls (the sum over time of f*g/2 + lambda*S/g is least there): sparse
// where few runs ended, dense where many did. For lengths spread evenly
// over 2-60 s that is lag times rate 0.42 where a constant gap gives 0.5.
const (
	spreadMin  = 6    // durations a spread needs
	spreadRate = 0.95 // status polls a second it aims at, over the durations seen
	spreadStep = 0.25 // seconds, the grid c is found on
)

// spread is the end's distribution from earlier durations, as seconds
// since the wait began, smoothed by a Gaussian kernel.
type spread struct {
	d      []float64
	bw, c  float64
	maxEnd float64 // past it the durations say nothing
}

func newSpread(all []historySample, age0 time.Duration) *spread {
	if len(all) < spreadMin {
		return nil
	}
	s := &spread{}
	var sum, sq float64
	for _, h := range all {
		v := (h.dur - age0).Seconds()
		s.d = append(s.d, v)
		sum += v
		sq += v * v
		s.maxEnd = max(s.maxEnd, v)
	}
	n := float64(len(s.d))
	sd := math.Sqrt(max(sq/n-(sum/n)*(sum/n), 0))
	s.bw = max(1, 1.06*sd*math.Pow(n, -0.2)) // Silverman's rule, at least a second
	s.maxEnd += 2 * s.bw
	var i1, i2 float64
	for t := 0.0; t < s.maxEnd; t += spreadStep {
		f, surv := s.at(t)
		i1 += math.Sqrt(surv * f)
		i2 += surv
	}
	if i1 <= 0 || i2 <= 0 {
		return nil
	}
	s.c = i1 / (spreadRate * i2)
	return s
}

// at is the density and survival at t seconds.
func (s *spread) at(t float64) (f, surv float64) {
	for _, d := range s.d {
		z := (t - d) / s.bw
		f += math.Exp(-z*z/2) / (s.bw * math.Sqrt(2*math.Pi))
		surv += 0.5 * math.Erfc(z/math.Sqrt2)
	}
	n := float64(len(s.d))
	return f / n, surv / n
}

// gap is the delay after a poll at t; ok is false past the durations seen.
func (s *spread) gap(t time.Duration) (time.Duration, bool) {
	if s == nil || t.Seconds() >= s.maxEnd {
		return 0, false
	}
	f, surv := s.at(t.Seconds())
	if f <= 0 {
		return sparsePoll, true
	}
	return seconds(s.c * math.Sqrt(surv/f)), true
}
