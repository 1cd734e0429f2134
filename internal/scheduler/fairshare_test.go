package scheduler

import (
	"math"
	"testing"
	"time"

	"batchd/internal/batch"
)

// weightFactor: exact identifiers, prefixes weighed by the active
// identifiers they cover, 1 for the rest (FairsharePolicy,
// ShareAttributes).
func TestWeight(t *testing.T) {
	p := &batch.FairsharePolicy{ShareDistribution: []batch.ShareAttributes{
		{ShareIdentifier: "gold", WeightFactor: ptr(0.125)},
		{ShareIdentifier: "UserA*", WeightFactor: ptr(1.0)},
		{ShareIdentifier: "nofactor"},
	}}
	active := []string{"UserA1", "UserA2", "gold", "other"}
	for _, tc := range []struct {
		share string
		want  float64
	}{
		{"gold", 0.125},
		{"UserA1", 2}, // two active identifiers begin with UserA
		{"UserA9", 2},
		{"other", 1},
		{"nofactor", 1},
	} {
		if got := weight(p, tc.share, active); got != tc.want {
			t.Errorf("weight(%s) = %v, want %v", tc.share, got, tc.want)
		}
	}
}

// computeReservation/100 to the power of the active shares.
func TestReserved(t *testing.T) {
	for _, tc := range []struct {
		cr, active int32
		want       float64
	}{
		{50, 1, 0.5}, {50, 2, 0.25}, {50, 3, 0.125}, {25, 2, 0.0625}, {0, 3, 0}, {99, 0, 0},
	} {
		p := &batch.FairsharePolicy{ComputeReservation: ptr(tc.cr)}
		if got := reserved(p, int(tc.active)); math.Abs(got-tc.want) > 1e-12 {
			t.Errorf("reserved(%d, %d) = %v, want %v", tc.cr, tc.active, got, tc.want)
		}
	}
}

// Usage decays toward the running vCPUs with time constant
// shareDecaySeconds; 0 means AWS's default minimum window, 600 seconds.
func TestDecayShares(t *testing.T) {
	s := New(Config{})
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	s.decayShares(t0)
	decaying := s.shareUsage(shareKey{"q", "a"}, &batch.FairsharePolicy{ShareDecaySeconds: ptr(int32(100))})
	dflt := s.shareUsage(shareKey{"q", "b"}, &batch.FairsharePolicy{})
	decaying.running, dflt.running = 4, 4
	s.decayShares(t0.Add(100 * time.Second))
	if want := 4 * (1 - math.Exp(-1)); math.Abs(decaying.decayed-want) > 1e-9 || decaying.usage() != 4 {
		t.Errorf("after one time constant: decayed %v (want %v), usage %v", decaying.decayed, want, decaying.usage())
	}
	if want := 4 * (1 - math.Exp(-100.0/600)); math.Abs(dflt.decayed-want) > 1e-9 || dflt.usage() != 4 {
		t.Errorf("shareDecaySeconds 0 (600 s): decayed %v (want %v), usage %v", dflt.decayed, want, dflt.usage())
	}
	// The jobs end: the shares keep weight for a while, then are forgotten.
	decaying.running, dflt.running = 0, 0
	s.decayShares(t0.Add(200 * time.Second))
	if decaying.usage() < 0.5 || dflt.usage() <= 0 {
		t.Errorf("usage %v and %v after the jobs ended", decaying.usage(), dflt.usage())
	}
	s.decayShares(t0.Add(5000 * time.Second))
	if _, ok := s.shares[shareKey{"q", "a"}]; ok {
		t.Error("a share whose usage decayed away is kept")
	}
}
