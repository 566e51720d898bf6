package snmpagent

import (
	"fmt"
	"maps"
	"slices"
	"strings"
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
	// Missing lists IF-MIB columns the device does not implement, by MIB
	// name, comma-separated ("ifHCInOctets,ifCounterDiscontinuityTime"):
	// they are absent from its ifTable and ifXTable, as on devices with a
	// partial IF-MIB. MissingColumns lists the names accepted.
	Missing string `json:"missing,omitempty"`
}

// MissingColumns are the IF-MIB columns a Missing fault can remove.
var MissingColumns = []string{"ifSpeed", "ifAdminStatus", "ifOperStatus", "ifInDiscards", "ifInErrors", "ifOutDiscards",
	"ifOutErrors", "ifHCInOctets", "ifHCOutOctets", "ifHighSpeed", "ifCounterDiscontinuityTime"}

// missingOIDs are MissingColumns' OIDs, in the same order.
var missingOIDs = [][]uint32{sub(oidIfEntry, 5), sub(oidIfEntry, 7), sub(oidIfEntry, 8), sub(oidIfEntry, 13),
	sub(oidIfEntry, 14), sub(oidIfEntry, 19), sub(oidIfEntry, 20), sub(oidIfXEntry, 6), sub(oidIfXEntry, 10),
	sub(oidIfXEntry, 15), sub(oidIfXEntry, 19)}

// missingMask parses a Missing fault into a bit per MissingColumns entry.
func missingMask(list string) (uint32, error) {
	var mask uint32
	for _, name := range strings.Split(list, ",") {
		name = strings.TrimSpace(name)
		if name == "" {
			continue
		}
		i := slices.Index(MissingColumns, name)
		if i < 0 {
			return 0, fmt.Errorf("snmpagent: missing: unknown column %q (use any of %s)", name, strings.Join(MissingColumns, ", "))
		}
		mask |= 1 << i
	}
	return mask, nil
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
	if _, err := missingMask(f.Missing); err != nil {
		return err
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
	// clears holds, per interface, its last `clear counters`. The map is
	// never modified in place (ClearCounters replaces it), so clone may
	// share it.
	clears map[int32]clearMark
}

// clearMark is one interface's last counter clear.
type clearMark struct {
	// boots is the boot the clear belongs to: a reboot voids it.
	boots int32
	at    time.Time
	// upSeconds is how long the interface had carried traffic then.
	upSeconds float64
}

func (s *state) clone() *state {
	c := *s
	c.links = maps.Clone(s.links)
	return &c
}

// link returns the state of interface i (the zero value: up all along).
func (s *state) link(i int32) linkState { return s.links[i] }
