package snmpagent

import (
	"fmt"
	"maps"
	"time"
)

// Malformation is a way of corrupting a device's answers.
type Malformation string

// Malformations a device can be asked to produce.
const (
	MalformNone Malformation = ""
	// MalformTruncate sends only the first half of each answer.
	MalformTruncate Malformation = "truncate"
	// MalformGarbage sends bytes that start like a message and are not BER.
	MalformGarbage Malformation = "garbage"
	// MalformRequestID answers with another request-id than the request's.
	MalformRequestID Malformation = "wrong-request-id"
)

// Faults is what is wrong with one device. It is a value: setting it
// replaces the previous one and never touches another device. The zero
// value is a healthy device. Reboots and link failures are actions, not
// faults (see Agent.Reboot and Agent.SetLink).
type Faults struct {
	// Timeout drops every request: the device looks unreachable.
	Timeout bool `json:"timeout,omitempty"`
	// Slow delays every answer by this long.
	Slow time.Duration `json:"slow,omitempty"`
	// Malformed corrupts every answer.
	Malformed Malformation `json:"malformed,omitempty"`
	// OIDLoop makes GetNext and GetBulk in tables return a non-increasing
	// OID (the first row of the table again), as buggy agents do.
	OIDLoop bool `json:"oid_loop,omitempty"`
	// Flood makes ifTable and ifXTable claim this many rows (generated
	// lazily, named floodN), to test a poller's row bound.
	Flood int `json:"flood,omitempty"`
	// WrapIn makes the Counter32 error counters wrap this long after the
	// fault is set (and advance fast enough to be seen doing it).
	WrapIn time.Duration `json:"wrap_in,omitempty"`
	// LLDPChurn adds this many LLDP neighbours the inventory does not know,
	// one per extra local port (churnN), all renamed every second: a
	// device whose neighbours change at every poll.
	LLDPChurn int `json:"lldp_churn,omitempty"`
}

// Validate reports what is wrong with f, in words an operator can act on.
func (f Faults) Validate() error {
	switch f.Malformed {
	case MalformNone, MalformTruncate, MalformGarbage, MalformRequestID:
	default:
		return fmt.Errorf("snmpagent: unknown malformation %q (use %q, %q or %q)",
			f.Malformed, MalformTruncate, MalformGarbage, MalformRequestID)
	}
	if f.Slow < 0 || f.Slow > time.Minute {
		return fmt.Errorf("snmpagent: slow %v out of range (0 to 1m)", f.Slow)
	}
	if f.Flood < 0 || f.Flood > 100_000_000 {
		return fmt.Errorf("snmpagent: flood %d out of range (0 to 100,000,000 rows)", f.Flood)
	}
	if f.LLDPChurn < 0 || f.LLDPChurn > 100_000 {
		return fmt.Errorf("snmpagent: lldp_churn %d out of range (0 to 100,000 neighbours)", f.LLDPChurn)
	}
	if f.WrapIn < 0 {
		return fmt.Errorf("snmpagent: wrap_in %v is negative", f.WrapIn)
	}
	return nil
}

// linkState is the life of one interface's link since the device booted.
type linkState struct {
	down bool
	// since is when the link last changed state.
	since time.Time
	// downTotal is how long the link was down before since.
	downTotal time.Duration
	// ups counts the times the link came back up (BGP re-established).
	ups uint32
}

// state is one device's mutable life, replaced as a whole (copy on write)
// under the agent's control lock and read without locks by the server.
type state struct {
	faults   Faults
	faultsAt time.Time
	boot     time.Time
	boots    int32
	rebooted bool
	// off is a powered-off device: silent, its links down, its BGP peers idle.
	off   bool
	links map[int32]linkState
}

func (s *state) clone() *state {
	c := *s
	c.links = maps.Clone(s.links)
	return &c
}

// link returns the state of interface i (the zero value: up all along).
func (s *state) link(i int32) linkState { return s.links[i] }
