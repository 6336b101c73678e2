package tools

import (
	"fmt"
	"testing"
	"time"
)

// TestPlansClaim: a plan runs once at a time and only for whoever made
// it; a claim given back can be taken again; expiry and the per-person cap
// hold.
func TestPlansClaim(t *testing.T) {
	p := NewPlans()
	now := time.Now()
	p.now = func() time.Time { return now }
	p.add(&planRecord{id: "a", principal: "local:me", expires: now.Add(time.Minute)})
	p.add(&planRecord{id: "b", principal: "http:anonymous", session: "s1", expires: now.Add(time.Minute)})
	if _, ok := p.claim("a", "http:bob", ""); ok {
		t.Error("someone else claimed a plan")
	}
	if _, ok := p.claim("b", "http:anonymous", "s2"); ok {
		t.Error("another anonymous session claimed a plan")
	}
	if _, ok := p.claim("a", "local:me", ""); !ok {
		t.Fatal("the planner could not claim the plan")
	}
	if _, ok := p.claim("a", "local:me", ""); ok {
		t.Error("a plan was claimed twice at once")
	}
	p.release("a")
	if _, ok := p.claim("a", "local:me", ""); !ok {
		t.Error("a plan given back could not be claimed")
	}
	p.take("a")
	if _, ok := p.claim("a", "local:me", ""); ok {
		t.Error("an applied plan was claimed")
	}
	now = now.Add(2 * time.Minute)
	if _, ok := p.claim("b", "http:anonymous", "s1"); ok {
		t.Error("an expired plan was claimed")
	}
	for i := range maxPlans + 10 {
		p.add(&planRecord{id: fmt.Sprint("m", i), principal: "http:mallory", expires: now.Add(time.Minute)})
	}
	p.add(&planRecord{id: "c", principal: "local:me", expires: now.Add(time.Minute)})
	for i := range maxPlans {
		p.add(&planRecord{id: fmt.Sprint("n", i), principal: "http:mallory", expires: now.Add(time.Minute)})
	}
	if _, ok := p.claim("c", "local:me", ""); !ok {
		t.Error("one person's plans pushed out another's")
	}
	if len(p.order) > maxPlans {
		t.Errorf("%d plans kept, at most %d", len(p.order), maxPlans)
	}
}
