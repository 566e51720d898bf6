package inventory

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// secretConfig is a small valid configuration whose secrets come from the
// environment variables and files named.
const secretConfig = `
snmp_profiles:
  - {name: default, username: vigie, auth_password: {env: VIGIE_T_AUTH}, priv_password: {file: secrets/priv}}
  - {name: legacy, version: 2c, community: {file: /ABS/community}}
regions: [{id: r}]
pops: [{id: p, region: r}]
devices:
  - {name: agg, role: collection, pop: p, address: 192.0.2.1}
  - {name: ce, role: collection, site: S1, address: 192.0.2.2, snmp_profile: legacy}
sites:
  - {id: S1, region: r, protection: single, access: [{technology: fibre, router: ce, device: agg}]}
bgp:
  local_as: 65001
  router_id: 192.0.2.9
  peers: [{device: agg, address: 192.0.2.1, remote_as: 65000, password: {env: VIGIE_T_BGP}}]
`

const (
	authValue      = "auth-VALUE-7f3a"
	privValue      = "priv-VALUE-91bc"
	communityValue = "community-VALUE-c0de"
	bgpValue       = "bgp-VALUE-beef"
)

// secretDir writes the configuration and its secret files (with the given
// mode for the private key) into a temporary directory.
func secretDir(t *testing.T, privMode os.FileMode) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "secrets"), 0o700); err != nil {
		t.Fatal(err)
	}
	write := func(name, content string, mode os.FileMode) {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, mode); err != nil { // umask may have narrowed it
			t.Fatal(err)
		}
	}
	write("secrets/priv", privValue+"\n", privMode)
	write("community", communityValue, 0o600)
	write("vigie.yml", strings.ReplaceAll(secretConfig, "/ABS/community", filepath.Join(dir, "community")), 0o644)
	return dir
}

func env(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

var secretEnv = env(map[string]string{"VIGIE_T_AUTH": authValue, "VIGIE_T_BGP": bgpValue})

func TestSecretsResolved(t *testing.T) {
	dir := secretDir(t, 0o600)
	inv, err := Load(filepath.Join(dir, "vigie.yml"), LoadOptions{ResolveSecrets: true, LookupEnv: secretEnv})
	if err != nil {
		t.Fatal(err)
	}
	p := inv.Profile("default")
	if p.AuthPassword.Value() != authValue || p.AuthPassword.Ref != "env:VIGIE_T_AUTH" {
		t.Errorf("auth = %q (%s)", p.AuthPassword.Value(), p.AuthPassword.Ref)
	}
	if p.PrivPassword.Value() != privValue || p.PrivPassword.Ref != "file:secrets/priv" {
		t.Errorf("priv = %q (%s), want the file's content without its trailing newline", p.PrivPassword.Value(), p.PrivPassword.Ref)
	}
	if c := inv.Profile("legacy").Community; c.Value() != communityValue {
		t.Errorf("community = %q, want the absolute file's content", c.Value())
	}
	if pw := inv.BGP.Peers[0].Password; pw.Value() != bgpValue {
		t.Errorf("bgp password = %q", pw.Value())
	}
}

func TestSecretsUnresolvedKeepRefs(t *testing.T) {
	dir := secretDir(t, 0o644) // the mode is not checked when secrets are not read
	inv, err := Load(filepath.Join(dir, "vigie.yml"), LoadOptions{LookupEnv: secretEnv})
	if err != nil {
		t.Fatal(err)
	}
	p := inv.Profile("default")
	if p.AuthPassword.IsSet() || p.PrivPassword.IsSet() || p.AuthPassword.Ref != "env:VIGIE_T_AUTH" {
		t.Errorf("unresolved secrets = %q/%q refs %s %s", p.AuthPassword.Value(), p.PrivPassword.Value(), p.AuthPassword.Ref, p.PrivPassword.Ref)
	}
}

func TestSecretFileMode(t *testing.T) {
	for _, mode := range []os.FileMode{0o640, 0o604, 0o644, 0o660} {
		t.Run(mode.String(), func(t *testing.T) {
			dir := secretDir(t, mode)
			path := filepath.Join(dir, "vigie.yml")
			_, err := Load(path, LoadOptions{ResolveSecrets: true, LookupEnv: secretEnv})
			var ce *ConfigError
			if !errors.As(err, &ce) || ce.Errors() != 1 {
				t.Fatalf("want exactly one error, got %v", err)
			}
			p := ce.Problems[0]
			want := "chmod 600 " + filepath.Join(dir, "secrets/priv")
			if p.Line != 3 || p.Field != "snmp_profiles[0].priv_password.file" || !strings.Contains(p.Msg, want) {
				t.Errorf("problem = %+v, want line 3 saying %q", p, want)
			}
			if strings.Contains(err.Error(), privValue) {
				t.Error("the error shows the secret")
			}
		})
	}
}

func TestSecretMissingEnv(t *testing.T) {
	dir := secretDir(t, 0o600)
	_, err := Load(filepath.Join(dir, "vigie.yml"), LoadOptions{ResolveSecrets: true, LookupEnv: env(nil)})
	if errs, _ := CheckReport(err); errs != 2 {
		t.Fatalf("want 2 errors (two env variables unset), got %v", err)
	}
	for _, want := range []string{"vigie.yml:3: snmp_profiles[0].auth_password.env: the environment variable named at this line is not set", "vigie.yml:15: bgp.peers[0].password.env: the environment variable named at this line is not set"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
}

func TestInlineSecretNotEchoed(t *testing.T) {
	t.Setenv("VIGIE_TEST_SET", "value-from-env")
	_, err := Load("testdata/bad/secrets.yml", LoadOptions{ResolveSecrets: true})
	if err == nil {
		t.Fatal("want problems")
	}
	for _, v := range []string{"hunter2-inline", "public-inline", "md5-inline-key", "value-from-env"} {
		if strings.Contains(err.Error(), v) {
			t.Errorf("error text contains the secret %q", v)
		}
	}
}

// TestTypedSecretNotEchoed: a secret written where its environment
// variable's name or its file's path belongs (or as a reference's key) is
// located by the problems, never repeated in them.
func TestTypedSecretNotEchoed(t *testing.T) {
	for _, resolve := range []bool{false, true} {
		_, err := Load("testdata/bad/typed_secrets.yml", LoadOptions{ResolveSecrets: resolve, LookupEnv: env(nil)})
		if err == nil {
			t.Fatal("want problems")
		}
		for _, v := range []string{"typed secret", "typedsecretunset", "typed-secret-as-path", "typed-secret-as-key"} {
			if strings.Contains(err.Error(), v) {
				t.Errorf("ResolveSecrets=%v: the problems repeat %q:\n%v", resolve, v, err)
			}
		}
		want := []string{"typed_secrets.yml:6: snmp_profiles[0].auth_password.env: this is not an environment variable name",
			"typed_secrets.yml:11: snmp_profiles[1].priv_password: a secret reference has one key, env or file"}
		if resolve {
			want = append(want, "typed_secrets.yml:7: snmp_profiles[0].priv_password.env: the environment variable named at this line is not set",
				"typed_secrets.yml:10: snmp_profiles[1].auth_password.file: the secret file named at this line does not exist")
		}
		for _, w := range want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("ResolveSecrets=%v: no problem %q in:\n%v", resolve, w, err)
			}
		}
	}
}

// TestSecretsNeverPrinted resolves real values, then prints the inventory
// every way a program might, and looks for them.
func TestSecretsNeverPrinted(t *testing.T) {
	dir := secretDir(t, 0o600)
	inv, err := Load(filepath.Join(dir, "vigie.yml"), LoadOptions{ResolveSecrets: true, LookupEnv: secretEnv})
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x"} {
		fmt.Fprintf(&out, verb+"\n", inv)
		fmt.Fprintf(&out, verb+"\n", *inv)
		fmt.Fprintf(&out, verb+"\n", inv.Profiles)
		fmt.Fprintf(&out, verb+"\n", inv.BGP.Peers[0])
	}
	js, err := json.Marshal(inv)
	if err != nil {
		t.Fatal(err)
	}
	out.Write(js)
	for _, h := range []slog.Handler{slog.NewJSONHandler(&out, nil), slog.NewTextHandler(&out, nil)} {
		l := slog.New(h)
		l.Info("loaded", "inventory", inv, "profile", inv.Profiles[0], "peer", inv.BGP.Peers[0], "auth", inv.Profiles[0].AuthPassword)
	}
	if err := Write(&out, inv); err != nil {
		t.Fatal(err)
	}
	for _, v := range []string{authValue, privValue, communityValue, bgpValue} {
		if bytes.Contains(out.Bytes(), []byte(v)) {
			t.Errorf("secret %q printed", v)
		}
	}
	if !bytes.Contains(out.Bytes(), []byte("<secret>")) || !bytes.Contains(out.Bytes(), []byte("{env: VIGIE_T_AUTH}")) {
		t.Error("expected <secret> placeholders and written references in the output")
	}
}

func TestWriteRefusesSecretWithoutRef(t *testing.T) {
	inv, err := Load("../configs/vigie.example.yml", LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	inv.Profiles[0].AuthPassword = NewSecret("leak-me", "")
	var out bytes.Buffer
	err = Write(&out, inv)
	if err == nil || !strings.Contains(err.Error(), "auth_password has a value but no reference") {
		t.Fatalf("Write = %v, want a refusal", err)
	}
	if strings.Contains(out.String()+err.Error(), "leak-me") {
		t.Error("the value leaked")
	}
	inv.Profiles[0].AuthPassword = NewSecret("", "vault:x")
	if err := Write(&out, inv); err == nil {
		t.Error("Write accepted a reference that is neither env: nor file:")
	}
}
