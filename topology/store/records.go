package store

import "time"

// Device is the last known state of one inventory device, as the topology
// model saw it. It is what vigie serves at once after a restart, before the
// first poll of that device has come back.
type Device struct {
	Name string `json:"name"`
	// State is "unknown", "reachable" or "unreachable".
	State   string    `json:"state"`
	SysName string    `json:"sys_name,omitempty"`
	Uptime  int64     `json:"uptime_ns,omitempty"`
	Reason  string    `json:"reason,omitempty"`
	Polls   uint64    `json:"polls"`
	Seen    time.Time `json:"last_poll,omitzero"`
	Since   time.Time `json:"since,omitzero"`
}

// Endpoint is one end of a link with what its device last said about the
// interface: "up", "down" or "unknown".
type Endpoint struct {
	Device    string `json:"device"`
	Interface string `json:"interface,omitempty"`
	Status    string `json:"status,omitempty"`
}

// Link is one link of the live topology: declared by the inventory,
// observed by LLDP, or both, with the sources that vouch for it and its
// current state. Each record is self-sufficient (the per-end interface
// status is in it) so that the state can be recomputed after a restart when
// only one end has been polled again.
type Link struct {
	ID   string `json:"id"`
	Kind string `json:"kind"`
	// Site is the site of an access link ("" otherwise).
	Site string   `json:"site,omitempty"`
	A    Endpoint `json:"a"`
	B    Endpoint `json:"b"`
	// Sources lists who says the link exists or what state it is in:
	// any of "declared", "lldp", "ifmib", "bgp".
	Sources []string `json:"sources"`
	// State is "up", "down" or "unknown".
	State string    `json:"state"`
	Since time.Time `json:"since,omitzero"`
	// LLDPMissed counts the LLDP polls of its ends that did not see it.
	LLDPMissed int `json:"lldp_missed,omitempty"`
	// Disagreement names the conflict between sources ("" = none).
	Disagreement string `json:"disagreement,omitempty"`
}

// Event is one change of the live topology: a link up or down, a device
// reachable or not, a reboot, an LLDP neighbour appearing or vanishing, a
// disagreement between sources.
type Event struct {
	Time    time.Time `json:"time"`
	Kind    string    `json:"kind"`
	Subject string    `json:"subject"`
	From    string    `json:"from,omitempty"`
	To      string    `json:"to,omitempty"`
	Detail  string    `json:"detail,omitempty"`
}

// Snapshot is the whole persisted topology, read once at start.
type Snapshot struct {
	Devices []Device
	Links   []Link
}
