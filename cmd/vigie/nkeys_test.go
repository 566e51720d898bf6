package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nkeys"

	"github.com/vigie-rie/vigie/internal/natstest"
)

// TestNKeyCollectors: NATS over TLS where every client logs in with its
// own NKey, the server knowing public keys only. The overseas collector's
// key is made by `vigie nkey-gen` as an operator would, the others by the
// nkeys package; the central's seed comes from {env:}, the collectors'
// from {file:}. A collector whose seed the server does not know is
// refused and publishes nothing; with its own seed it publishes, and that
// seed cannot publish on another collector's subject.
func TestNKeyCollectors(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary, runs nats-server and five vigie processes")
	}
	natstest.Require(t)
	bin := buildVigie(t)
	dir := t.TempDir()
	seedFiles := map[string]string{}
	pubs := map[string]string{}
	newKey := func(name string) {
		kp, err := nkeys.CreateUser()
		if err != nil {
			t.Fatal(err)
		}
		seed, _ := kp.Seed()
		pubs[name], _ = kp.PublicKey()
		seedFiles[name] = filepath.Join(dir, name+".nk")
		if err := os.WriteFile(seedFiles[name], append(seed, '\n'), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	for _, n := range []string{"central", "mainland-a", "mainland-b", "late"} {
		newKey(n)
	}
	seedFiles["overseas"] = filepath.Join(dir, "overseas.nk")
	out, err := exec.Command(bin, "nkey-gen", seedFiles["overseas"]).Output()
	if err != nil {
		t.Fatalf("vigie nkey-gen: %v", err)
	}
	pubs["overseas"] = strings.TrimSpace(string(out))
	if !nkeys.IsValidPublicUserKey(pubs["overseas"]) {
		t.Fatalf("vigie nkey-gen printed %q, not a user public key", out)
	}
	if st, err := os.Stat(seedFiles["overseas"]); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("vigie nkey-gen's seed file: %v, mode %v, want 0600", err, st.Mode().Perm())
	}

	ca, cert, key := natstest.TLSFiles(t)
	users := fmt.Sprintf(`  {nkey: %s, permissions: {publish: [">"], subscribe: [">"]}}`+"\n", pubs["central"])
	for _, n := range distCollectors {
		users += fmt.Sprintf(`  {nkey: %s, permissions: {publish: {allow: ["vigie.obs.%s.>"]}, subscribe: {allow: ["_INBOX.>"]}}}`+"\n", pubs[n], n)
	}
	serverConf := func(users string) string {
		return fmt.Sprintf("tls {\n  cert_file: %q\n  key_file: %q\n}\nauthorization {\n users = [\n%s ]\n}\n", cert, key, users)
	}
	f := newDistFleet(t, 24, 21, natstest.Options{Config: serverConf(users)})
	f.bin = bin
	centralSeed, err := os.ReadFile(seedFiles["central"])
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("VIGIE_NATS_NKEY", strings.TrimSpace(string(centralSeed)))
	_, url := f.run(t, "central-a", "--observations.nkey", "{env:VIGIE_NATS_NKEY}", "--observations.tls.ca", ca)

	// overseas with a seed the server does not know yet: refused, retried,
	// logged once; the seed added to the server's users and the server
	// reloaded, it gets in without a restart.
	late, lateURL := f.collect(t, "overseas", "--observations.nkey", "{file:"+seedFiles["late"]+"}", "--observations.tls.ca", ca)
	const refusal = "NATS refuses this client's credentials"
	late.waitFor(30*time.Second, "the server refuses twice a collector with an unknown seed", func() bool {
		b, _ := os.ReadFile(f.nats.Log)
		return strings.Count(string(b), "authentication error") >= 2 && strings.Contains(late.logs(), refusal)
	})
	if v, ok := seriesWith(scrape(lateURL), "vigie_observations_nats_connected"); !ok || v != 0 {
		t.Errorf("a collector with an unknown seed: vigie_observations_nats_connected = %v (served: %v), want 0", v, ok)
	}
	users += fmt.Sprintf(`  {nkey: %s, permissions: {publish: {allow: ["vigie.obs.overseas.>"]}, subscribe: {allow: ["_INBOX.>"]}}}`+"\n", pubs["late"])
	f.nats.Reload(serverConf(users))
	late.waitFor(30*time.Second, "the refused collector connected once the server knows its key", func() bool {
		v, _ := seriesWith(scrape(lateURL), "vigie_observations_nats_connected")
		return v == 1
	})
	if n := strings.Count(late.logs(), refusal); n != 1 {
		t.Errorf("the refusal logged %d times, want once:\n%s", n, late.logs())
	}
	if _, err := late.stop(10 * time.Second); err != nil {
		t.Errorf("stopping the late collector: %v", err)
	}

	var coll *vigieProc
	for _, n := range distCollectors {
		coll, _ = f.collect(t, n, "--observations.nkey", "{file:"+seedFiles[n]+"}", "--observations.tls.ca", ca)
	}
	coll.waitFor(60*time.Second, "every device reachable at the central, each collector logged in with its own NKey", func() bool {
		m := scrape(url)
		v, _ := seriesWith(m, "vigie_topology_devices", `state="reachable"`)
		for _, n := range distCollectors {
			if up, _ := seriesWith(m, "vigie_observations_collector_up", fmt.Sprintf("collector=%q", n)); up != 1 {
				return false
			}
		}
		return v == float64(len(f.inv.Devices))
	})

	// The overseas seed, on mainland-a's subject then on its own.
	seed, err := os.ReadFile(seedFiles["overseas"])
	if err != nil {
		t.Fatal(err)
	}
	kp, err := nkeys.ParseDecoratedUserNKey(seed)
	if err != nil {
		t.Fatal(err)
	}
	assertOwnSubjectOnly(t, f.nats.URL(), url, coll, "seed", nats.Nkey(pubs["overseas"], kp.Sign), nats.RootCAs(ca))
}

// TestNKeyRefusals: the NKey flags' mistakes stop `vigie collect` before
// anything starts, with one line that says where the seed was looked for
// and what to do, and never the seed itself.
func TestNKeyRefusals(t *testing.T) {
	bin := buildVigie(t)
	dir := t.TempDir()
	kp, err := nkeys.CreateUser()
	if err != nil {
		t.Fatal(err)
	}
	seed, _ := kp.Seed()
	write := func(name string, content []byte, mode os.FileMode) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, content, mode); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := write("good.nk", append(seed, '\n'), 0o600)
	open := write("open.nk", append(seed, '\n'), 0o644)
	broken := slices.Clone(seed)
	broken[10] ^= 1 // one character changed: the checksum fails
	bad := write("bad.nk", broken, 0o600)
	garbage := write("garbage.nk", []byte("not a key at all\n"), 0o600)
	acct, _ := nkeys.CreateAccount()
	acctSeed, _ := acct.Seed()
	account := write("account.nk", acctSeed, 0o600)
	creds := write("user.creds", append(append([]byte("-----BEGIN NATS USER JWT-----\neyJhbGciOi.eyJqdGki.sig\n------END NATS USER JWT------\n\n-----BEGIN USER NKEY SEED-----\n"), seed...), "\n------END USER NKEY SEED------\n"...), 0o600)
	exists := write("exists.nk", []byte("keep me\n"), 0o600)

	for _, tc := range []struct {
		name string
		args []string
		env  string
		want []string // each in the one line
	}{
		{"user and nkey", []string{"--observations.user", "overseas", "--observations.nkey", "{file:" + good + "}"}, "",
			[]string{"--observations.nkey and --observations.user/--observations.password are two ways to log in"}},
		{"password and nkey", []string{"--observations.password", "{file:" + good + "}", "--observations.nkey", "{file:" + good + "}"}, "",
			[]string{"two ways to log in"}},
		{"seed on the command line", []string{"--observations.nkey", string(seed)}, "",
			[]string{"--observations.nkey: give {env:NAME} or {file:PATH}"}},
		{"seed file readable by others", []string{"--observations.nkey", "{file:" + open + "}"}, "",
			[]string{open, "chmod 600"}},
		{"seed with a wrong checksum", []string{"--observations.nkey", "{file:" + bad + "}"}, "",
			[]string{"the file " + bad + " holds no valid NATS user seed", "vigie nkey-gen"}},
		{"not a seed", []string{"--observations.nkey", "{file:" + garbage + "}"}, "",
			[]string{"the file " + garbage + " holds no valid NATS user seed"}},
		{"an account's seed", []string{"--observations.nkey", "{file:" + account + "}"}, "",
			[]string{"the file " + account + " holds no valid NATS user seed but an account's"}},
		{"a credentials file", []string{"--observations.nkey", "{file:" + creds + "}"}, "",
			[]string{"the file " + creds + " is a NATS credentials file", "vigie nkey-gen FILE"}},
		{"broken seed from the environment", []string{"--observations.nkey", "{env:VIGIE_TEST_NKEY}"}, string(broken),
			[]string{"the environment variable VIGIE_TEST_NKEY holds no valid NATS user seed"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cmd := exec.Command(bin, append([]string{"collect", "--config", filepath.Join(dir, "none.yml"), "--collector", "overseas",
				"--observations", "nats://127.0.0.1:4222"}, tc.args...)...)
			cmd.Env = append(os.Environ(), "VIGIE_TEST_NKEY="+tc.env)
			out, err := cmd.CombinedOutput()
			text := strings.TrimSpace(string(out))
			if exitCode(err) != 1 || strings.Count(text, "\n") != 0 {
				t.Fatalf("exit %d, want 1 and one line; output:\n%s", exitCode(err), out)
			}
			for _, w := range tc.want {
				if !strings.Contains(text, w) {
					t.Errorf("output lacks %q:\n%s", w, text)
				}
			}
			for _, secret := range [][]byte{seed, broken, acctSeed} {
				if strings.Contains(text, string(secret[2:20])) {
					t.Errorf("the output shows a seed:\n%s", text)
				}
			}
		})
	}

	// nkey-gen never overwrites.
	out, err := exec.Command(bin, "nkey-gen", exists).CombinedOutput()
	if exitCode(err) != 1 || !strings.Contains(string(out), exists+" exists") {
		t.Errorf("vigie nkey-gen on an existing file: exit %d, output:\n%s", exitCode(err), out)
	}
	if b, _ := os.ReadFile(exists); string(b) != "keep me\n" {
		t.Errorf("vigie nkey-gen overwrote %s", exists)
	}
}
