package executor

import (
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

type calls struct {
	mu sync.Mutex
	l  []string
}

func (c *calls) add(s string) func() {
	return func() {
		c.mu.Lock()
		c.l = append(c.l, s)
		c.mu.Unlock()
	}
}

func (c *calls) get() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.l)
}

func TestEscalation(t *testing.T) {
	t.Run("term, then kill after grace; a later Stop shortens it", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			var e Escalation
			var c calls
			e.Stop(30*time.Second, c.add("term"), c.add("kill"))
			e.Stop(time.Hour, c.add("term2"), c.add("kill-late"))
			time.Sleep(5 * time.Second)
			e.Stop(time.Second, c.add("term3"), c.add("kill-soon"))
			time.Sleep(2 * time.Second)
			synctest.Wait()
			if got := c.get(); !slices.Equal(got, []string{"term", "kill-soon"}) {
				t.Fatalf("calls %q", got)
			}
		})
	})
	t.Run("nothing after End", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			var e Escalation
			var c calls
			e.Stop(time.Second, c.add("term"), c.add("kill"))
			e.End(c.add("last"))
			e.End(c.add("last-again"))
			time.Sleep(time.Minute)
			e.Stop(0, c.add("term-after"), c.add("kill-after"))
			e.Kill(c.add("kill-now"))
			synctest.Wait()
			if got := c.get(); !slices.Equal(got, []string{"term", "last"}) || !e.Ended() || !e.Termed() {
				t.Fatalf("calls %q", got)
			}
		})
	})
}

func TestRuneCut(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int
	}{{"abc", 3}, {"ab\xc3", 2}, {"a€", 4}, {"a\xe2\x82", 1}, {"", 0}} {
		if got := RuneCut([]byte(tc.in)); got != tc.want {
			t.Errorf("RuneCut(%q) = %d, want %d", tc.in, got, tc.want)
		}
	}
}
