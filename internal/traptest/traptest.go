// Package traptest sends real SNMP notifications with net-snmp's snmptrap
// and snmpinform (Debian package snmp) to a receiver under test, from a
// chosen loopback source address, as a device would.
package traptest

import (
	"context"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"testing"
	"time"
)

// Require skips the test when snmptrap or snmpinform is missing, except
// under CI=true where it fails.
func Require(t testing.TB) {
	t.Helper()
	for _, b := range []string{"snmptrap", "snmpinform"} {
		if _, err := exec.LookPath(b); err != nil {
			if os.Getenv("CI") == "true" {
				t.Fatalf("traptest: %s is missing but CI=true: install the Debian package snmp", b)
			}
			t.Skipf("traptest: %s is missing: install the Debian package snmp", b)
		}
	}
}

// Sender sends notifications to one receiver address.
type Sender struct {
	t    testing.TB
	To   string // host:port
	home string
}

// New returns a sender to to (host:port) whose net-snmp state (v3 engine
// boots, persistent files) lives in a temporary directory of the test.
func New(t testing.TB, to string) *Sender {
	t.Helper()
	Require(t)
	return &Sender{t: t, To: to, home: t.TempDir()}
}

// Notification is one notification to send.
type Notification struct {
	// From is the source address (a device's management address).
	From string
	// Inform sends an inform (snmpinform: waits for the acknowledgement)
	// rather than a trap.
	Inform bool
	// Auth is the command line's version and credentials, such as
	// {"-v", "2c", "-c", "public"} or the -v 3 -u -l -a -A -x -X set.
	Auth []string
	// TrapOID and Varbinds (OID, type letter, value triples) follow
	// snmptrap's syntax; the uptime is left to the tool. For -v 1, TrapOID
	// is the enterprise and Varbinds start with the agent address, generic
	// and specific trap numbers and uptime.
	TrapOID  string
	Varbinds []string
}

// Send runs the tool and returns its combined output and error (an
// inform that is not acknowledged makes snmpinform exit non-zero).
func (s *Sender) Send(n Notification) ([]byte, error) {
	s.t.Helper()
	bin := "snmptrap"
	if n.Inform {
		bin = "snmpinform"
	}
	args := []string{"-m", "", "-t", "1", "-r", "1", "--clientaddr=" + n.From}
	args = append(args, n.Auth...)
	args = append(args, s.To)
	if !slices.Contains(n.Auth, "1") {
		args = append(args, "") // the uptime: the tool's own
	}
	args = append(args, n.TrapOID)
	args = append(args, n.Varbinds...)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = append(os.Environ(), "SNMP_PERSISTENT_DIR="+s.home, "SNMPCONFPATH="+s.home, "HOME="+s.home, "MIBS=")
	return cmd.CombinedOutput()
}

// LinkDown is IF-MIB linkDown for ifIndex i (with ifAdminStatus up and
// ifOperStatus down, as devices send it).
func LinkDown(i int) (string, []string) {
	idx := strconv.Itoa(i)
	return "1.3.6.1.6.3.1.1.5.3", []string{"1.3.6.1.2.1.2.2.1.1." + idx, "i", idx,
		"1.3.6.1.2.1.2.2.1.7." + idx, "i", "1", "1.3.6.1.2.1.2.2.1.8." + idx, "i", "2"}
}
