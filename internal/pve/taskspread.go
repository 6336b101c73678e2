package pve

import (
	"math"
	"sort"
	"time"
)

// When earlier durations of a task kind disagree, they still tell how
// likely the end is at each moment. With end density f and survival S, a
// poll density n(t) = sqrt(f/S)/c gives the least lag for a number of
// polls (the sum over time of f/(2n) + lambda*S*n is least there): sparse
// where few runs ended, dense where many did. The polls sit where the
// running sum of n crosses a half: n's own grid, as taskprior.go does for
// the even 2-60 s spread.
const (
	spreadMin  = 6    // durations a spread needs
	spreadRate = 0.9  // status polls a second it aims at, over the durations seen
	spreadStep = 0.25 // seconds, the grid the sums are taken on
	// A few durations are a rough sample: the prior counts as this many.
	spreadPrior = 40
)

// spread is the end's distribution from earlier durations, as seconds
// since the wait began, smoothed by a Gaussian kernel, and the running sum
// of its poll density on the grid.
type spread struct {
	d      []float64
	bw     float64
	age0   float64
	w      float64   // the durations' weight against the even 2-60 s prior
	maxEnd float64   // past it the durations say nothing
	sum    []float64 // sum[i]: polls due by i*spreadStep
}

func newSpread(all []historySample, age0 time.Duration) *spread {
	if len(all) < spreadMin {
		return nil
	}
	s := &spread{age0: age0.Seconds()}
	var total, sq float64
	for _, h := range all {
		v := (h.dur - age0).Seconds()
		s.d = append(s.d, v)
		total += v
		sq += v * v
		s.maxEnd = max(s.maxEnd, v)
	}
	n := float64(len(s.d))
	sd := math.Sqrt(max(sq/n-(total/n)*(total/n), 0))
	s.bw = max(1, 1.06*sd*math.Pow(n, -0.2)) // Silverman's rule, at least a second
	s.maxEnd += 2 * s.bw
	// The prior counts only as far as the durations fall in its range:
	// runs of minutes must not pull the polls into the first minute.
	in := 0.0
	for _, h := range all {
		if h.dur >= priorFrom && h.dur <= priorUntil {
			in++
		}
	}
	s.w = 1 - spreadPrior/(n+spreadPrior)*(in/n)
	var i1, i2 float64
	dens := make([]float64, 0, int(s.maxEnd/spreadStep)+1)
	for t := 0.0; t < s.maxEnd; t += spreadStep {
		f, surv := s.at(t)
		i1 += math.Sqrt(surv * f)
		i2 += surv
		dens = append(dens, math.Sqrt(f/max(surv, 1e-9)))
	}
	if i1 <= 0 || i2 <= 0 {
		return nil
	}
	c := i1 / (spreadRate * i2) // the polls per second of task come to spreadRate
	s.sum = make([]float64, len(dens)+1)
	for i, v := range dens {
		s.sum[i+1] = s.sum[i] + v*spreadStep/c
	}
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
	pf, ps := 0.0, 1.0 // the prior's, even over 2-60 s of the task's age
	span := (priorUntil - priorFrom).Seconds()
	switch age := t + s.age0; {
	case age >= priorUntil.Seconds():
		ps = 0
	case age >= priorFrom.Seconds():
		pf, ps = 1/span, (priorUntil.Seconds()-age)/span
	}
	return s.w*f/n + (1-s.w)*pf, s.w*surv/n + (1-s.w)*ps
}

// polls is the running sum at t seconds, between grid points linearly.
func (s *spread) polls(t float64) float64 {
	x := t / spreadStep
	i := int(x)
	if i >= len(s.sum)-1 {
		return s.sum[len(s.sum)-1]
	}
	return s.sum[i] + (x-float64(i))*(s.sum[i+1]-s.sum[i])
}

// gap is the delay after a poll at t to the next poll on the grid, at
// least priorMin; ok is false past the durations seen.
func (s *spread) gap(t time.Duration) (time.Duration, bool) {
	if s == nil || t.Seconds() >= s.maxEnd {
		return 0, false
	}
	now := t.Seconds()
	for j := math.Floor(s.polls(now)-0.5) + 1; ; j++ {
		target := j + 0.5
		if target > s.sum[len(s.sum)-1] {
			return 0, false
		}
		i := sort.SearchFloat64s(s.sum, target) // first grid point at or past it
		lo, hi := s.sum[i-1], s.sum[i]
		at := (float64(i-1) + (target-lo)/(hi-lo)) * spreadStep
		if d := seconds(at - now); d >= priorMin {
			return d, true
		}
	}
}
