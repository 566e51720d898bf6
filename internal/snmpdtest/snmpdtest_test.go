package snmpdtest

import (
	"context"
	"testing"
	"time"

	"github.com/gosnmp/gosnmp"
)

// TestStartV2cAndV3 checks that the agent answers the community and the
// authPriv user it was configured with, and refuses a wrong password.
func TestStartV2cAndV3(t *testing.T) {
	a := Start(t, Options{})
	if err := a.ping(); err != nil {
		t.Fatalf("v2c: %v", err)
	}
	get := func(auth string) error {
		g := &gosnmp.GoSNMP{
			Target: a.Addr.Addr().String(), Port: a.Addr.Port(), Version: gosnmp.Version3,
			Timeout: time.Second, Retries: 0, Context: context.Background(),
			SecurityModel: gosnmp.UserSecurityModel, MsgFlags: gosnmp.AuthPriv,
			SecurityParameters: &gosnmp.UsmSecurityParameters{
				UserName: a.User, AuthenticationProtocol: gosnmp.SHA, AuthenticationPassphrase: auth,
				PrivacyProtocol: gosnmp.AES, PrivacyPassphrase: a.PrivPassword,
			},
		}
		if err := g.Connect(); err != nil {
			return err
		}
		defer g.Close()
		_, err := g.Get([]string{".1.3.6.1.2.1.1.5.0"})
		return err
	}
	if err := get(a.AuthPassword); err != nil {
		t.Fatalf("v3 authPriv: %v", err)
	}
	if err := get("not-the-password"); err == nil {
		t.Fatal("v3 with a wrong password succeeded")
	}
	pid := a.PID()
	a.Stop()
	if a.PID() != 0 || pid == 0 {
		t.Fatalf("pid before %d after %d", pid, a.PID())
	}
}
