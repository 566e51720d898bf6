package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestCheckConfigThroughBinary runs `vigie check-config` as an operator
// does, on inventories that must be refused with one line naming the file,
// the line and the field, and on inputs that are not inventories at all.
func TestCheckConfigThroughBinary(t *testing.T) {
	bin := buildVigie(t)
	dir := t.TempDir()

	// A secret file far larger than any secret, referenced by an otherwise
	// valid inventory (an operator pointing at a log or a key store).
	big := filepath.Join(dir, "big-secret")
	if err := os.WriteFile(big, bytes.Repeat([]byte("x"), 100<<10), 0o600); err != nil {
		t.Fatal(err)
	}
	bigSecret := filepath.Join(dir, "big-secret.yml")
	if err := os.WriteFile(bigSecret, []byte(`snmp_profiles:
  - {name: default, version: 2c, community: {file: big-secret}}
regions:
  - {id: ara}
pops:
  - {id: pop-lyon, region: ara}
devices:
  - {name: agg-lyon-1, role: collection, pop: pop-lyon, address: 192.0.2.1}
`), 0o644); err != nil {
		t.Fatal(err)
	}
	// A sparse file over the inventory limit: refused from its size, unread.
	huge := filepath.Join(dir, "huge.yml")
	if err := os.WriteFile(huge, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(huge, 100<<20); err != nil {
		t.Fatal(err)
	}

	const addresses = "../../inventory/testdata/bad/addresses.yml"
	const typed = "../../inventory/testdata/bad/typed_secrets.yml"
	const vrfs = "../../inventory/testdata/bad/vrfs.yml"
	const witnesses = "../../inventory/testdata/bad/witnesses.yml"
	tests := []struct {
		name string
		args []string
		want []string // lines (or parts of lines) the output must hold
		// never lists what the output must not contain.
		never []string
	}{
		{"unspecified address", []string{addresses}, []string{
			addresses + ":9: devices[0].address: 0.0.0.0 cannot be polled: it is the unspecified address",
			addresses + ":10: devices[1].address: :: cannot be polled",
			addresses + ":12: devices[3].address: 255.255.255.255 cannot be polled: it is the limited broadcast address",
			addresses + ":13: devices[4].address: 224.0.0.5 cannot be polled: it is a multicast address",
			addresses + ":14: devices[5].address: ff02::1 cannot be polled: it is a multicast address",
		}, []string{"natted", "sim-1"}},
		{"bad vrfs section", []string{vrfs}, []string{
			vrfs + `:13: vrfs[1].rd[0]: route distinguisher 65000:100 is already VRF "testa"'s: an RD belongs to one VRF; remove it from one of them`,
			vrfs + `:14: vrfs[2].name: duplicate VRF "testa" (first declared at line 12): merge their rd lists`,
			vrfs + `:15: vrfs[3].rd[1]: invalid route distinguisher "192.0.2.1:70000": the number of an address RD is 0..65535`,
			vrfs + `:17: vrfs[5].rd: missing rd: list the route distinguishers of VRF "nord"'s routes`,
			vrfs + `:19: interconnects[0].vrf: interconnect in unknown VRF "tesla" (did you mean "testa"?)`,
			vrfs + `:20: interconnects[1].bgp_peer: interconnect "partner-1" names bgp_peer 192.0.2.99, which is not one of vigie's sessions`,
			vrfs + `:22: interconnects[2].prefixes: interconnect "partner-2" expects 2001:db8::/32, judged from vigie's session 192.0.2.51 with pfs-2, which does not carry l3vpn-ipv6-unicast`,
		}, nil},
		{"bad witnesses of collectors", []string{witnesses}, []string{
			witnesses + `:11: collectors[0].witnesses[0]: collector "mainland" is its own witness`,
			witnesses + `:12: collectors[1].witnesses[1]: unknown witness "reunoin-b": name a collector declared under collectors:`,
			witnesses + `:12: collectors[1].witnesses[2]: witness "reunion-b" listed twice for collector "reunion": list it once`,
		}, []string{"collectors[2]"}},
		{"two devices on one agent", []string{addresses}, []string{
			addresses + `:16: devices[7].address: device "agg-lyon-2" has the address 192.0.2.1:161 of device "agg-lyon-1" (line 15)`,
			addresses + `:18: devices[9].address: device "agg-lyon-4" has the address 192.0.2.3:161 of device "agg-lyon-3" (line 17)`,
			addresses + `:19: devices[10].address: device "agg-lyon-5" has the address 192.0.2.3:161 of device "agg-lyon-3" (line 17)`,
		}, nil},
		{"secret typed as a variable name or path", []string{"--secrets", typed}, []string{
			typed + ":6: snmp_profiles[0].auth_password.env: this is not an environment variable name",
			typed + ":7: snmp_profiles[0].priv_password.env: the environment variable named at this line is not set",
			typed + ":10: snmp_profiles[1].auth_password.file: the secret file named at this line does not exist",
			typed + ":11: snmp_profiles[1].priv_password: a secret reference has one key, env or file",
		}, []string{"typed secret", "typedsecretunset", "typed-secret-as-path", "typed-secret-as-key"}},
		{"secret file too large", []string{"--secrets", bigSecret}, []string{
			bigSecret + ":2: snmp_profiles[0].community.file: secret file " + big + " is larger than 64 KiB, the limit of a secret",
		}, []string{"xxxxxxxx"}},
		{"inventory over the size limit", []string{huge}, []string{
			"inventory: " + huge + " is larger than 64 MiB, the limit of a configuration",
		}, nil},
		{"/dev/zero", []string{"/dev/zero"}, []string{
			"inventory: /dev/zero is larger than 64 MiB, the limit of a configuration (a 14,000-site RIE takes about 8 MiB): check that it is vigie's inventory",
			"vigie check-config: /dev/zero: 1 error(s)",
		}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			// The bound is a safety net against a hang, not a timing
			// assertion: the test fails on the exit code and the text.
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, bin, append([]string{"check-config"}, tc.args...)...)
			cmd.Env = []string{"PATH=" + os.Getenv("PATH")} // no VIGIE_* variable
			var out bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &out
			err := cmd.Run()
			code := cmd.ProcessState.ExitCode()
			if code != 1 {
				t.Fatalf("vigie check-config %v: exit %d (%v), want 1\n%s", tc.args, code, err, out.String())
			}
			text := out.String()
			if strings.Contains(text, "panic") || strings.Contains(text, "goroutine ") {
				t.Errorf("output has a stack trace:\n%s", text)
			}
			for _, w := range tc.want {
				if !strings.Contains(text, w) {
					t.Errorf("output lacks %q:\n%s", w, text)
				}
			}
			for _, n := range tc.never {
				if strings.Contains(text, n) {
					t.Errorf("output contains %q:\n%s", n, text)
				}
			}
			// Bounded reading: /dev/zero used to take 3 GB before dying.
			if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok && ru.Maxrss > 512<<10 {
				t.Errorf("vigie check-config used %d MiB of memory, want a bounded read (< 512 MiB)", ru.Maxrss>>10)
			}
		})
	}
}
