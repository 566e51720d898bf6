package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/vigie-rie/vigie/inventory"
)

// profileWithSecrets is what a careless line would print: a whole profile
// (or peer) holding secrets, as a value, a pointer and inside an error.
func profileWithSecrets() (inventory.SNMPProfile, inventory.BGPPeer) {
	p := inventory.DefaultProfile()
	p.Name, p.Username = "default", "vigie"
	p.AuthPassword = inventory.NewSecret(testAuth, "env:VIGIE_T_AUTH")
	p.PrivPassword = inventory.NewSecret(testPriv, "file:secrets/priv")
	p.Community = inventory.NewSecret(testCommunity, "file:secrets/community")
	return p, inventory.BGPPeer{Device: "pfai-1", Password: inventory.NewSecret(testBGP, "env:VIGIE_T_BGP")}
}

// TestSecretFormatting: every way vigie's code could turn a secret, or a
// struct holding one, into text prints "<secret>" and never the value.
func TestSecretFormatting(t *testing.T) {
	p, peer := profileWithSecrets()
	s := p.AuthPassword
	wrapped := fmt.Errorf("profile %v: %w", p, errors.New("timeout"))
	var logText, logJSON bytes.Buffer
	slog.New(slog.NewTextHandler(&logText, nil)).Error("poll", "secret", s, "profile", p, "peer", peer, "ptr", &p, "err", wrapped)
	slog.New(slog.NewJSONHandler(&logJSON, nil)).Error("poll", "secret", s, "profile", p, "peer", peer, "ptr", &p, "err", wrapped)
	js, err := json.Marshal(map[string]any{"secret": s, "profile": p, "peer": peer})
	if err != nil {
		t.Fatal(err)
	}
	cases := map[string]string{
		"slog text":   logText.String(),
		"slog json":   logJSON.String(),
		"json":        string(js),
		"error":       wrapped.Error(),
		"errors.Join": errors.Join(fmt.Errorf("auth %s", s), fmt.Errorf("priv %q", p.PrivPassword)).Error(),
	}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%T %v", "%10s", "%-8v"} {
		for name, v := range map[string]any{"secret": s, "profile": p, "&profile": &p, "peer": peer,
			"[]secret": []inventory.Secret{s}, "map": map[string]inventory.Secret{"k": s}, "any": any(s)} {
			cases[verb+" "+name] = fmt.Sprintf(verb, v)
		}
	}
	for name, out := range cases {
		for _, v := range []string{testAuth, testPriv, testCommunity, testBGP} {
			if strings.Contains(out, v) || strings.Contains(strings.ToLower(out), fmt.Sprintf("%x", v)) {
				t.Errorf("%s leaks a secret: %s", name, out)
			}
		}
	}
	// The checks above must see the secret's place: "<secret>" is printed.
	cases["json"] = strings.ReplaceAll(cases["json"], `\u003csecret\u003e`, "<secret>") // encoding/json escapes < and >
	for _, name := range []string{"%v secret", "%+v profile", "%#v peer", "slog json", "json", "error"} {
		if !strings.Contains(cases[name], "<secret>") {
			t.Errorf("%s = %s, want <secret> where the secret is", name, cases[name])
		}
	}
}

const panicChildEnv = "VIGIE_T_PANIC_CHILD"

// TestPanicChild is the child half of TestPanicDoesNotLeak: it panics with
// the value named in the environment, and the Go runtime prints it.
func TestPanicChild(t *testing.T) {
	what := os.Getenv(panicChildEnv)
	if what == "" {
		t.Skip("child of TestPanicDoesNotLeak only")
	}
	p, peer := profileWithSecrets()
	switch what {
	case "secret":
		panic(p.AuthPassword)
	case "profile":
		panic(p)
	case "pointer":
		panic(&peer)
	case "error":
		panic(fmt.Errorf("poll with %v failed: %w", p, errors.New("timeout")))
	case "sprintf":
		panic(fmt.Sprintf("unexpected peer %+v", peer))
	case "goroutine":
		// A panic in another goroutine prints its argument frames too.
		// The test goroutine must not return meanwhile: a deferred
		// close(done) ran before the runtime printed the panic, and the
		// child sometimes exited 0 first. The sleep is only a bound.
		go func(p inventory.SNMPProfile, s inventory.Secret) {
			panic(s)
		}(p, p.PrivPassword)
		time.Sleep(time.Minute)
	}
}

// TestPanicDoesNotLeak runs a child that panics with secrets in every
// shape, with GOTRACEBACK=all (the runtime then prints every goroutine and
// the argument words of each frame), and greps what the runtime printed.
func TestPanicDoesNotLeak(t *testing.T) {
	if os.Getenv(panicChildEnv) != "" {
		t.Skip("in the child")
	}
	for _, what := range []string{"secret", "profile", "pointer", "error", "sprintf", "goroutine"} {
		t.Run(what, func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-test.run=^TestPanicChild$", "-test.count=1")
			cmd.Env = append(os.Environ(), panicChildEnv+"="+what, "GOTRACEBACK=all")
			out, err := cmd.CombinedOutput()
			if err == nil || !strings.Contains(string(out), "panic: ") || !strings.Contains(string(out), "goroutine ") {
				t.Fatalf("the child did not panic with a traceback (%v):\n%s", err, out)
			}
			// A struct or pointer panic value prints as its type and
			// address only; the others print their text.
			if what != "pointer" && what != "profile" && !strings.Contains(string(out), "<secret>") {
				t.Errorf("the panic value does not show <secret> where the secret is:\n%s", out)
			}
			for _, v := range []string{testAuth, testPriv, testCommunity, testBGP} {
				if strings.Contains(string(out), v) || strings.Contains(string(out), fmt.Sprintf("%x", v)) {
					t.Errorf("the runtime's panic output leaks %q:\n%s", v, out)
				}
			}
		})
	}
}
