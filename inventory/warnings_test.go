package inventory

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestWarningsDoNotFailUnlessStrict(t *testing.T) {
	const f = "testdata/bad/warnings_strict.yml"
	var got []Problem
	inv, err := Load(f, LoadOptions{OnWarning: func(p Problem) { got = append(got, p) }})
	if err != nil {
		t.Fatalf("non-strict Load failed: %v", err)
	}
	if inv == nil || len(inv.Sites) != 2 {
		t.Fatalf("inventory not returned: %+v", inv)
	}
	if len(got) != 9 {
		t.Fatalf("got %d warnings, want 9: %v", len(got), got)
	}
	for _, p := range got {
		if !p.Warning || p.File != f {
			t.Errorf("warning %+v not marked as such", p)
		}
	}
	if !strings.Contains(got[1].String(), "warnings_strict.yml:2: snmp_profiles[0].version: warning: v2c sends the community in clear; prefer version 3 authPriv") {
		t.Errorf("v2c warning = %q", got[1])
	}

	_, err = Load(f, LoadOptions{Strict: true})
	if errs, warns := CheckReport(err); errs != 9 || warns != 0 {
		t.Errorf("strict: CheckReport = %d errors, %d warnings; want 9, 0 (%v)", errs, warns, err)
	}
}

func TestCheckReport(t *testing.T) {
	if e, w := CheckReport(nil); e != 0 || w != 0 {
		t.Errorf("nil: %d %d", e, w)
	}
	if e, w := CheckReport(errors.New("read failed")); e != 1 || w != 0 {
		t.Errorf("plain error: %d %d", e, w)
	}
	_, err := Load("testdata/bad/secrets.yml", LoadOptions{})
	wrapped := fmt.Errorf("vigie: %w", err)
	if e, w := CheckReport(wrapped); e != 7 || w != 1 {
		t.Errorf("secrets.yml without resolution: %d errors, %d warnings; want 7 (3 inline secrets, 4 malformed references), 1 v2c warning\n%v", e, w, err)
	}
	_, err = Load("testdata/no-such-file.yml", LoadOptions{})
	if e, _ := CheckReport(err); e != 1 || !strings.Contains(err.Error(), "cannot read the configuration") {
		t.Errorf("missing file: %v", err)
	}
}

// TestAliasBomb feeds a "billion laughs" document shaped like the schema, so
// that the walker itself would expand it: 300 sites x 300 accesses x 300
// SRLGs, 27 million nodes from a 10 KB file. It must stop with the alias
// budget problem instead.
func TestAliasBomb(t *testing.T) {
	const w = 300
	aliases := func(name string) string {
		return "[" + strings.TrimSuffix(strings.Repeat("*"+name+", ", w), ", ") + "]"
	}
	src := "x-g: &g [" + strings.TrimSuffix(strings.Repeat("duct, ", w), ", ") + "]\n" +
		"x-acc: &acc {technology: fibre, router: ce, device: agg, srlgs: *g}\n" +
		"x-accs: &accs " + aliases("acc") + "\n" +
		"x-site: &site {id: S1, region: r, protection: dual, access: *accs}\n" +
		"snmp_profiles: [{name: default, username: u, auth_password: {env: A}, priv_password: {env: P}}]\n" +
		"regions: [{id: r}]\npops: [{id: p, region: r}]\n" +
		"devices: [{name: agg, role: collection, pop: p, address: 192.0.2.1}, {name: ce, role: collection, site: S1, address: 192.0.2.2}]\n" +
		"sites: " + aliases("site") + "\n"
	start := time.Now()
	_, err := Parse("bomb.yml", []byte(src), LoadOptions{})
	if took := time.Since(start); took > 20*time.Second {
		t.Errorf("took %v", took) // a guard against hanging, not a speed assertion
	}
	if err == nil || !strings.Contains(err.Error(), "aliases expand to more than") {
		t.Fatalf("want the alias budget problem, got %v", err)
	}
	var ce *ConfigError
	errors.As(err, &ce)
	if len(ce.Problems) > 50 {
		t.Errorf("%d problems: the walk should stop at the budget", len(ce.Problems))
	}
}

func TestMergeKeys(t *testing.T) {
	src := `
x-agg: &agg {role: collection, pop: p, snmp_profile: default}
x-more: &more {address: 192.0.2.99, role: backbone}
snmp_profiles: [{name: default, username: u, auth_password: {env: A}, priv_password: {env: P}}]
regions: [{id: r}]
pops: [{id: p, region: r}]
devices:
  - {<<: *agg, name: agg-1, address: 192.0.2.1}
  - {<<: [*agg, *more], name: agg-2}
  - {name: ce, role: collection, site: S1, address: 192.0.2.2}
sites:
  - {id: S1, region: r, protection: single, access: [{technology: fibre, router: ce, device: agg-1}]}
`
	inv, err := Parse("merge.yml", []byte(src), LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	a1, a2 := inv.Device("agg-1"), inv.Device("agg-2")
	if a1.Role != RoleCollection || a1.PoP != "p" || a1.Address.String() != "192.0.2.1:161" {
		t.Errorf("agg-1 = %+v", a1)
	}
	// The first mapping of a merge list wins: role comes from *agg.
	if a2.Role != RoleCollection || a2.Address.String() != "192.0.2.99:161" {
		t.Errorf("agg-2 = %+v", a2)
	}
}

func TestProblemString(t *testing.T) {
	for _, c := range []struct {
		p    Problem
		want string
	}{
		{Problem{File: "v.yml", Line: 412, Field: "sites[41].access[1].device", Msg: "m"}, "v.yml:412: sites[41].access[1].device: m"},
		{Problem{File: "v.yml", Msg: "m"}, "v.yml: m"},
		{Problem{File: "v.yml", Line: 3, Msg: "m", Warning: true}, "v.yml:3: warning: m"},
	} {
		if got := c.p.String(); got != c.want {
			t.Errorf("%+v: got %q, want %q", c.p, got, c.want)
		}
	}
}
