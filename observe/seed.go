package observe

// seed.go: what a central learns of the collectors when it starts. Its
// durable consumer resumes after the last observation it acknowledged, so
// a collector silent since before the start sends it nothing: counted
// neither up nor lost, it would drop out of
// vigie_observations_collector_up (VigieCollectorLost resolving while the
// collector is still lost) and its witnesses' reports would wait for ever.
// The stream still holds each collector's last heartbeat (StreamMaxAge):
// the central starts from it, as if it had heard it when it was stored.

import (
	"context"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// seedHeartbeats notes, for each collector not heard yet, the last
// heartbeat the stream holds: one silent for two of its periods is then
// counted lost at the next watch. Best effort: a stream that cannot say
// leaves the collectors unknown until they speak, as before.
func (c *Consumer) seedHeartbeats(ctx context.Context, js jetstream.JetStream) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	s, err := js.Stream(ctx, StreamName)
	if err != nil {
		return
	}
	info, err := s.Info(ctx, jetstream.WithSubjectFilter(HeartbeatSubject("*")))
	if err != nil {
		c.log.Debug("cannot list the collectors' last heartbeats", "err", err)
		return
	}
	seeded := 0
	for subject := range info.State.Subjects {
		name, kind, ok := collectorOf(subject)
		if !ok || kind != "hb" {
			continue
		}
		c.mu.Lock()
		known := c.seen[name] != nil
		c.mu.Unlock()
		if known {
			continue
		}
		m, err := s.GetLastMsgForSubject(ctx, subject)
		if err != nil {
			continue
		}
		h, err := DecodeHeartbeat(m.Data)
		if err != nil || h.Interval <= 0 {
			continue
		}
		at := m.Time // stored by the server: what arrival would have been
		if now := time.Now(); at.After(now) {
			at = now
		}
		c.mu.Lock()
		if c.seen[name] == nil {
			c.seen[name] = &seenCollector{at: at, interval: h.Interval}
			c.heartbeats[name] = h
			c.m.heartbeat.WithLabelValues(name).Set(float64(h.Time.UnixNano()) / 1e9)
			c.m.devices.WithLabelValues(name).Set(float64(h.Devices))
			if time.Since(at) <= lostAfter*h.Interval {
				c.m.up.WithLabelValues(name).Set(1) // else watch sets 0 at its next tick
			}
			seeded++
		}
		c.mu.Unlock()
	}
	if seeded > 0 {
		c.log.Info("collectors' last heartbeats read from the stream: one silent for two of its periods is counted lost", "collectors", seeded)
	}
}
