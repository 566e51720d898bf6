package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/vigie-rie/vigie/internal/freeport"
	"github.com/vigie-rie/vigie/internal/logbuf"
	"github.com/vigie-rie/vigie/internal/simtest"
	"github.com/vigie-rie/vigie/inventory"
	"github.com/vigie-rie/vigie/sim"
	"github.com/vigie-rie/vigie/sim/snmpagent"
)

// The test secrets: distinctive values that appear nowhere else, so that
// finding one in an output can only be a leak.
const (
	testAuth      = "T-auth-Kx7Qp2v9"
	testPriv      = "T-priv-Wm4Zr8s1"
	testWrongAuth = "T-wrong-Hd3Jn6b5"
	testCommunity = "T-community-Fy2Lc7t4"
	testBGP       = "T-bgp-md5-Vq9Ge3x8"
	testWebUser   = "operator"
	testWebPass   = "T-web-Rb5Ns2k7"
)

// leakForms returns every secret in the forms a careless line could print
// it in: as is, hex, base64 (an Authorization header), and the web
// password's bcrypt hash.
func leakForms(webHash string) map[string]string {
	forms := map[string]string{"web password bcrypt hash": webHash,
		"basic-auth header": base64.StdEncoding.EncodeToString([]byte(testWebUser + ":" + testWebPass))}
	for name, v := range map[string]string{"SNMPv3 auth key": testAuth, "SNMPv3 priv key": testPriv,
		"wrong SNMPv3 auth key": testWrongAuth, "v2c community": testCommunity, "BGP MD5 password": testBGP,
		"web password": testWebPass} {
		forms[name] = v
		forms[name+" (hex)"] = hex.EncodeToString([]byte(v))
		forms[name+" (base64)"] = base64.StdEncoding.EncodeToString([]byte(v))
	}
	return forms
}

// buildVigie compiles the real binary, so that the test sees exactly what
// an operator's terminal, journal and scraper would.
func buildVigie(t testing.TB) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "vigie")
	goBin := filepath.Join(runtime.GOROOT(), "bin", "go")
	out, err := exec.Command(goBin, "build", "-tags", "gosnmp_nodebug", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// secretFleet serves a small simulated RIE whose v3 user has the test keys
// and writes an inventory that references every kind of secret: SNMPv3
// auth (env) and priv (file) keys, a v2c community (file), a BGP MD5
// password (env), and one device whose profile has a wrong auth key. It
// returns the inventory path, the environment, the device with the wrong
// key and the number of devices.
func secretFleet(t *testing.T, dir string) (config string, env []string, wrong string, devices int) {
	t.Helper()
	inv := sim.Generate(sim.GenerateOptions{Sites: 4, Seed: 3, V3Fraction: 0.5})
	simtest.Serve(t, inv, snmpagent.Options{Seed: 3, Community: testCommunity,
		Users: []snmpagent.User{{Name: sim.DefaultUser, AuthProtocol: "SHA", AuthPassword: testAuth, PrivPassword: testPriv}}})

	for i := range inv.Profiles {
		p := &inv.Profiles[i]
		switch p.Version {
		case inventory.SNMPv3:
			p.AuthPassword = inventory.NewSecret("", "env:VIGIE_T_AUTH")
			p.PrivPassword = inventory.NewSecret("", "file:secrets/priv")
		default:
			p.Community = inventory.NewSecret("", "file:secrets/community")
		}
	}
	bad := inv.Profiles[0]
	bad.Name = "wrong-key"
	bad.AuthPassword = inventory.NewSecret("", "env:VIGIE_T_WRONG_AUTH")
	inv.Profiles = append(inv.Profiles, bad)
	for i := range inv.Devices {
		if strings.HasPrefix(inv.Devices[i].Name, "ce-") {
			inv.Devices[i].Profile = bad.Name
			wrong = inv.Devices[i].Name
			break
		}
	}
	for r := range inv.Polling.Intervals {
		inv.Polling.Intervals[r] = inventory.MinInterval
	}
	// A BGP peer with a TCP-MD5 key on a loopback port nobody listens on:
	// the monitor configures the key, fails to connect and says so.
	inv.BGP = inventory.BGP{LocalAS: 64600, RouterID: netip.MustParseAddr("127.0.0.1"), Peers: []inventory.BGPPeer{{
		Device: inv.Devices[0].Name, Address: netip.MustParseAddr("127.0.0.1"), Port: freeport.TCP(t), RemoteAS: 64601,
		Password: inventory.NewSecret("", "env:VIGIE_T_BGP")}}}

	if err := os.Mkdir(filepath.Join(dir, "secrets"), 0o700); err != nil {
		t.Fatal(err)
	}
	for name, v := range map[string]string{"secrets/priv": testPriv + "\n", "secrets/community": testCommunity} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(v), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	config = writeConfig(t, dir, inv)
	env = append(os.Environ(), "VIGIE_T_AUTH="+testAuth, "VIGIE_T_WRONG_AUTH="+testWrongAuth, "VIGIE_T_BGP="+testBGP)
	return config, env, wrong, len(inv.Devices)
}

// output is one thing the test captured and greps.
type output struct {
	what string
	data []byte
}

// TestSecretsNeverLeak runs the real binary the ways an operator does and
// greps everything it produces (--help of every command, check-config with
// and without --secrets, what-if, the daemon's stdout and stderr at debug
// level, /metrics, every /api/v1 endpoint, the landing page, the store file)
// for every test secret, in clear, hex and base64. It also checks that it
// really saw the outputs it greps: the wrong-key error was logged, polls
// succeeded, the API answered.
func TestSecretsNeverLeak(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs the daemon for a few polls")
	}
	bin := buildVigie(t)
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	config, env, wrongDevice, devices := secretFleet(t, dir)
	hash, err := bcrypt.GenerateFromPassword([]byte(testWebPass), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	webConfig := filepath.Join(dir, "web.yml")
	if err := os.WriteFile(webConfig, []byte(fmt.Sprintf("basic_auth_users:\n  %s: %s\n", testWebUser, hash)), 0o600); err != nil {
		t.Fatal(err)
	}
	var outs []output
	runCmd := func(args ...string) (string, string) {
		t.Helper()
		cctx, ccancel := context.WithTimeout(ctx, 60*time.Second)
		defer ccancel()
		cmd := exec.CommandContext(cctx, bin, args...)
		cmd.Env, cmd.Dir = env, dir
		var so, se bytes.Buffer
		cmd.Stdout, cmd.Stderr = &so, &se
		_ = cmd.Run() // exit statuses are other tests' business
		outs = append(outs, output{"vigie " + strings.Join(args, " ") + " (stdout)", so.Bytes()},
			output{"vigie " + strings.Join(args, " ") + " (stderr)", se.Bytes()})
		return so.String(), se.String()
	}

	runCmd("--help")
	for _, c := range commands() {
		runCmd(c.name, "--help")
	}
	if so, _ := runCmd("check-config", "--secrets", config); !strings.Contains(so, "valid") {
		t.Errorf("check-config --secrets did not validate the test inventory:\n%s", so)
	}
	runCmd("check-config", config)
	runCmd("whatif", "--config", config, "--fail", "internet")

	// The daemon, at debug level, behind basic auth.
	port := freeport.TCP(t)
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	var stdout, stderr logbuf.Buffer
	vigie := startVigie(t, bin, dir, env, &stdout, &stderr, stderr.String,
		"run", "--config", config, "--db", filepath.Join(dir, "vigie.db"),
		"--web.listen-address", fmt.Sprintf("127.0.0.1:%d", port), "--web.config.file", webConfig, "--log.level", "debug")
	get := func(method, path, body string, auth bool) (int, []byte) {
		t.Helper()
		req, err := http.NewRequestWithContext(ctx, method, base+path, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		if auth {
			req.SetBasicAuth(testWebUser, testWebPass)
		}
		resp, err := (&http.Client{Timeout: 30 * time.Second}).Do(req)
		if err != nil {
			return 0, []byte(err.Error())
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		outs = append(outs, output{fmt.Sprintf("%s %s (%d)", method, path, resp.StatusCode), b})
		return resp.StatusCode, b
	}
	// Two full rounds of polls, the wrong key refused and logged, the BGP
	// session with its MD5 key attempted.
	vigie.waitFor(60*time.Second, "two poll rounds of every device with the right keys", func() bool {
		code, b := get("GET", "/metrics", "", true)
		return code == 200 && sumMetric(string(b), `vigie_collector_polls_total{result="success"`) >= float64(2*(devices-1))
	})
	vigie.waitFor(60*time.Second, "the wrong key's error logged for "+wrongDevice, func() bool {
		return strings.Contains(stderr.String(), "device="+wrongDevice+" role=collection address=")
	})
	// GoBGP retries every ConnectRetry (30 s); the monitor hints at the key
	// after the second failed attempt.
	vigie.waitFor(100*time.Second, "the BGP session with its MD5 key attempted and reported", func() bool {
		return strings.Contains(stderr.String(), "reason=md5_suspect")
	})
	if code, _ := get("GET", "/metrics", "", false); code != http.StatusUnauthorized {
		t.Errorf("/metrics without credentials = %d, want 401 (basic auth not enforced: the grep would prove little)", code)
	}
	req, _ := http.NewRequestWithContext(ctx, "GET", base+"/metrics", nil)
	req.SetBasicAuth(testWebUser, testWebPass+"x")
	if resp, err := http.DefaultClient.Do(req); err == nil {
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("/metrics with a wrong password = %d, want 401", resp.StatusCode)
		}
	}
	for _, p := range []string{"/", "/-/healthy", "/-/ready", "/api/v1/topology", "/api/v1/events?limit=1000",
		"/api/v1/sites/s00001", "/api/v1/nope", "/metrics"} {
		if code, b := get("GET", p, "", true); code == 0 {
			t.Errorf("GET %s: %s", p, b)
		}
	}
	if code, b := get("POST", "/api/v1/whatif", `{"fail":["internet","device:`+wrongDevice+`"]}`, true); code != 200 {
		t.Errorf("POST /api/v1/whatif = %d: %s", code, b)
	}
	get("POST", "/api/v1/whatif", `{"fail":["device:no-such"]}`, true)
	if code, b := get("GET", "/api/v1/topology", "", true); code != 200 || !strings.Contains(string(b), wrongDevice) {
		t.Errorf("GET /api/v1/topology = %d and lacks %s: the API answers are not what the grep should see", code, wrongDevice)
	}

	if _, err := vigie.stop(30 * time.Second); err != nil {
		t.Errorf("vigie run after SIGTERM: %v\nstderr:\n%s", err, stderr.String())
	}
	outs = append(outs, output{"vigie run (stdout)", []byte(stdout.String())}, output{"vigie run (stderr)", []byte(stderr.String())})
	db, err := os.ReadFile(filepath.Join(dir, "vigie.db"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(db, []byte(wrongDevice)) {
		t.Errorf("the store file does not hold device %s: the grep of it would prove nothing", wrongDevice)
	}
	outs = append(outs, output{"store file", db})

	logs := stderr.String()
	for _, want := range []string{"vigie started", "vigie stopped", "md5=true", "SNMPv3 authentication failed"} {
		if !strings.Contains(logs, want) {
			t.Errorf("the daemon's log lacks %q: the grep did not see the outputs it should", want)
		}
	}
	for what, secret := range leakForms(string(hash)) {
		for _, o := range outs {
			if i := bytes.Index(o.data, []byte(secret)); i >= 0 {
				lo, hi := max(0, i-80), min(len(o.data), i+len(secret)+40)
				t.Errorf("%s leaks the %s: ...%q...", o.what, what, o.data[lo:hi])
			}
		}
	}
	t.Logf("grepped %d outputs (%d bytes) for %d forms of the secrets", len(outs), totalLen(outs), len(leakForms(string(hash))))
}

func totalLen(outs []output) int {
	n := 0
	for _, o := range outs {
		n += len(o.data)
	}
	return n
}

// sumMetric adds up every sample whose line starts with prefix.
func sumMetric(text, prefix string) float64 {
	var sum float64
	for _, line := range strings.Split(text, "\n") {
		if !strings.HasPrefix(line, prefix) {
			continue
		}
		var v float64
		if _, err := fmt.Sscan(line[strings.LastIndexByte(line, ' ')+1:], &v); err == nil {
			sum += v
		}
	}
	return sum
}
