package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nkeys"
)

const nkeyGenUsage = `Usage: vigie nkey-gen FILE

Writes a new NATS user seed (NKey) to FILE, readable by its owner only, and
prints its public key: the seed is for one collector's (or central's)
--observations.nkey {file:FILE}, the public key for the nats-server
configuration's users (docs/distributed.md). An existing FILE is never
overwritten. Debian ships no nk tool; nk -gen user -pubout does the same.

Example:
  vigie nkey-gen /etc/vigie/nats-reunion.nk
`

// cmdNkeyGen writes a new user seed. The file is created exclusively with
// mode 0600, so that a seed never exists readable by others, not even for
// an instant, and an existing key is never lost.
func cmdNkeyGen(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("nkey-gen", nkeyGenUsage, stderr)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return errUsage
	}
	path := fs.Arg(0)
	kp, err := nkeys.CreateUser()
	if err != nil {
		return err
	}
	defer kp.Wipe()
	seed, err := kp.Seed()
	if err != nil {
		return err
	}
	pub, err := kp.PublicKey()
	if err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, os.ErrExist) {
		return fmt.Errorf("%s exists: vigie nkey-gen never overwrites a seed (the server may know its public key); name another file or remove it first", path)
	}
	if err != nil {
		return err
	}
	_, err = f.Write(append(seed, '\n'))
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path) // half a seed is no key
		return fmt.Errorf("%s: %w", path, err)
	}
	fmt.Fprintf(stdout, "%s\n", pub)
	fmt.Fprintf(stderr, "wrote the seed to %s (mode 0600); give the public key above to nats-server: {nkey: %s, permissions: {...}}\n", path, pub)
	return nil
}

// nkeyOption reads a user seed given as {file:PATH} or {env:NAME} and
// returns the option that answers the server's challenge with it. A
// problem names where the seed was looked for, never the seed.
func nkeyOption(ref string) (nats.Option, error) {
	seed, err := resolveSecretFlag("--observations.nkey", ref)
	if err != nil {
		return nil, err
	}
	where := strings.Trim(ref, "{}")
	if kind, val, ok := strings.Cut(where, ":"); ok {
		where = map[string]string{"file": "the file ", "env": "the environment variable "}[strings.TrimSpace(kind)] + strings.TrimSpace(val)
	}
	if strings.Contains(seed, "BEGIN NATS USER JWT") {
		return nil, fmt.Errorf("--observations.nkey: %s is a NATS credentials file (a JWT and a seed, for the operator mode of nats-server), which vigie does not use: give a file holding the user's seed alone (vigie nkey-gen FILE)", where)
	}
	kp, err := nkeys.ParseDecoratedUserNKey([]byte(strings.TrimSpace(seed)))
	if errors.Is(err, nkeys.ErrInvalidUserSeed) {
		return nil, fmt.Errorf("--observations.nkey: %s holds no valid NATS user seed but an account's or operator's (SA..., SO...): give the user's seed SU... that nk -gen user or vigie nkey-gen FILE wrote", where)
	}
	if err != nil {
		// nkeys' errors never quote the key.
		return nil, fmt.Errorf("--observations.nkey: %s holds no valid NATS user seed (%v): give the seed line SU... that nk -gen user or vigie nkey-gen FILE wrote", where, err)
	}
	pub, err := kp.PublicKey()
	if err != nil {
		return nil, fmt.Errorf("--observations.nkey: %s: %w", where, err)
	}
	// The key pair stays in memory: the option signs the server's nonce
	// at every reconnection, and an {env:} seed cannot be read again.
	return nats.Nkey(pub, kp.Sign), nil
}
