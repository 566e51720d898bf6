package collector

import (
	"hash/fnv"
	"time"
)

// Scheduling arithmetic, kept free of goroutines and clocks so that it is
// tested directly.

// firstDue spreads first polls evenly over the interval: a device's offset
// is its name's hash modulo the interval, so it is deterministic (a restart
// keeps the same pattern) and 20,000 devices never start at once.
func firstDue(start time.Time, name string, interval time.Duration) time.Time {
	if interval <= 0 {
		return start
	}
	h := fnv.New64a()
	_, _ = h.Write([]byte(name))
	return start.Add(time.Duration(h.Sum64() % uint64(interval)))
}

// retryDelay is how long to wait after a poll that ended with the given
// number of consecutive failures. One lost poll is retried at the normal
// interval; from the second failure on, the device backs off exponentially
// (interval*2, *4, *8 ...) up to maxBackoff, so dead devices cost little.
func retryDelay(interval, maxBackoff time.Duration, failures int) time.Duration {
	if failures < 2 {
		return interval
	}
	d := interval
	for i := 1; i < failures; i++ {
		d *= 2
		if maxBackoff > 0 && d >= maxBackoff {
			return max(maxBackoff, interval)
		}
	}
	return d
}

// nextSlot returns the first time after now on the device's grid
// (due + k*interval), used when polls were skipped so that the spread of
// the fleet is kept rather than every late device piling up at once.
func nextSlot(due, now time.Time, interval time.Duration) time.Time {
	if interval <= 0 || due.After(now) {
		return due
	}
	k := now.Sub(due)/interval + 1
	return due.Add(k * interval)
}

// deviceHeap orders devices by due time (a min-heap for container/heap).
type deviceHeap []*device

func (h deviceHeap) Len() int { return len(h) }
func (h deviceHeap) Less(i, j int) bool {
	if h[i].due.Equal(h[j].due) {
		return h[i].idx < h[j].idx
	}
	return h[i].due.Before(h[j].due)
}
func (h deviceHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].heapIdx = i
	h[j].heapIdx = j
}
func (h *deviceHeap) Push(x any) {
	d := x.(*device)
	d.heapIdx = len(*h)
	*h = append(*h, d)
}
func (h *deviceHeap) Pop() any {
	old := *h
	n := len(old)
	d := old[n-1]
	old[n-1] = nil
	d.heapIdx = -1
	*h = old[:n-1]
	return d
}

// dispatchTick is the tick poll starts are grouped on: the asked one
// (0: DefaultOptions'; negative means none), capped at 1% of the
// shortest interval so that fast-polled devices are never held back much.
func dispatchTick(asked time.Duration, devices []*device) time.Duration {
	if asked < 0 {
		return 0
	}
	if asked == 0 {
		asked = DefaultOptions().DispatchTick
	}
	for _, d := range devices {
		asked = min(asked, d.interval/100)
	}
	return max(asked, 0)
}

// tickAtOrBefore returns the last tick (start + k*tick, k >= 0) at or
// before now: devices due by then may start. With no tick it is now.
func tickAtOrBefore(start, now time.Time, tick time.Duration) time.Time {
	if tick <= 0 || !now.After(start) {
		return now
	}
	return start.Add(now.Sub(start) / tick * tick)
}

// tickAtOrAfter returns the first tick at or after t: when a device due at
// t will start. With no tick it is t.
func tickAtOrAfter(start, t time.Time, tick time.Duration) time.Time {
	if tick <= 0 || !t.After(start) {
		return t
	}
	return start.Add((t.Sub(start) + tick - 1) / tick * tick)
}
