// This file reads secret references: {env: NAME} and {file: PATH}. A secret
// is never written inline in the configuration, so that the file can be
// versioned, reviewed and shown without leaking a credential.

package inventory

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"gopkg.in/yaml.v3"
)

// secret reads a secret reference. It never puts a value in a problem: an
// inline secret is refused without being echoed, and so is whatever is
// written as an environment variable's name or a file's path when it turns
// out not to be one (no such variable, no such file, not a valid name),
// since an operator may have typed the secret itself there. given is false when the
// value is null (the key is then as good as absent).
func (d *decoder) secret(v *yaml.Node, p fpath) (s Secret, given bool) {
	return d.secretRef(v, p), !isNull(d.deref(v))
}

func isNull(n *yaml.Node) bool { return n.Kind == yaml.ScalarNode && n.Tag == "!!null" }

func (d *decoder) secretRef(v *yaml.Node, p fpath) Secret {
	line := v.Line
	n := d.deref(v)
	if n.Kind == yaml.ScalarNode {
		if n.Tag == "!!null" {
			return Secret{}
		}
		d.errf(line, p, "inline secrets are refused (the file would leak them): reference it as {env: VIGIE_SNMP_SECRET} or {file: secrets/name} (path relative to this file, mode 600)")
		return Secret{}
	}
	var env, file string
	var hasEnv, hasFile bool
	var envLine, fileLine int
	if !d.fields(n, p, "a secret reference", func(key string, k, v *yaml.Node) {
		switch key {
		case "env":
			env, hasEnv = d.name(v, p.k(key), "environment variable name")
			envLine = v.Line
		case "file":
			file, hasFile = d.name(v, p.k(key), "secret file path")
			fileLine = v.Line
		default:
			// The key is not echoed either: a secret typed as a key
			// ({s3cret: x}) would be printed in the field path.
			d.errf(k.Line, p, "a secret reference has one key, env or file: write {env: NAME} or {file: PATH}")
		}
	}) {
		return Secret{}
	}
	switch {
	case hasEnv && hasFile:
		d.errf(line, p, "a secret comes from env or from file, not both: keep one")
		return Secret{}
	case hasEnv:
		if !validEnvName(env) {
			d.errf(envLine, p.k("env"), "this is not an environment variable name (letters, digits and _, not starting with a digit; it is not repeated here in case it is the secret itself): put the secret in vigie's environment and its name here, e.g. {env: VIGIE_SNMP_COMMUNITY}")
			return Secret{}
		}
		return d.resolveEnv(env, envLine, p.k("env"))
	case hasFile:
		return d.resolveFile(file, fileLine, p.k("file"))
	}
	if !hasEnv && !hasFile && len(n.Content) == 0 {
		d.errf(line, p, "empty secret reference: write {env: NAME} or {file: PATH}")
	}
	return Secret{}
}

func validEnvName(s string) bool {
	for i, c := range s {
		switch {
		case c == '_', c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z':
		case c >= '0' && c <= '9' && i > 0:
		default:
			return false
		}
	}
	return s != ""
}

func (d *decoder) resolveEnv(name string, line int, p fpath) Secret {
	ref := "env:" + name
	if !d.opts.ResolveSecrets {
		return NewSecret("", ref)
	}
	lookup := d.opts.LookupEnv
	if lookup == nil {
		lookup = os.LookupEnv
	}
	v, ok := lookup(name)
	switch {
	case !ok:
		d.errf(line, p, "the environment variable named at this line is not set: export it in vigie's environment (systemd: Environment= or EnvironmentFile=), or fix the name (not repeated here, in case the secret itself was typed in its place)")
	case v == "":
		d.errf(line, p, "the environment variable named at this line is empty: set it to the secret")
	}
	return NewSecret(v, ref)
}

func (d *decoder) resolveFile(path string, line int, p fpath) Secret {
	ref := "file:" + path
	if !d.opts.ResolveSecrets {
		return NewSecret("", ref)
	}
	full := path
	if !filepath.IsAbs(full) {
		full = filepath.Join(d.dir, full)
	}
	st, err := os.Stat(full)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		// The path is not echoed: it may be the secret itself, typed where
		// its file's name belongs. A file that exists is a path, and the
		// messages below name it.
		d.errf(line, p, "the secret file named at this line does not exist: create it (chmod 600) or fix the path, which is relative to %s (the directory of %s)", d.dir, d.file)
		return NewSecret("", ref)
	case err != nil:
		d.errf(line, p, "cannot read secret file %s: %v", full, err)
		return NewSecret("", ref)
	case !st.Mode().IsRegular():
		d.errf(line, p, "secret file %s is not a regular file: point at the file holding the secret", full)
		return NewSecret("", ref)
	case st.Mode().Perm()&0o077 != 0:
		d.errf(line, p, "secret file %s is readable by group or others (mode %04o): chmod 600 %s", full, st.Mode().Perm(), full)
		return NewSecret("", ref)
	}
	b, err := readBounded(full, MaxSecretSize)
	switch {
	case errors.Is(err, errTooLarge):
		d.errf(line, p, "secret file %s is larger than %d KiB, the limit of a secret: point at the file that holds only the secret", full, MaxSecretSize>>10)
		return NewSecret("", ref)
	case err != nil:
		d.errf(line, p, "cannot read secret file %s: %v (vigie's user must own it)", full, err)
		return NewSecret("", ref)
	}
	v := string(b)
	if strings.HasSuffix(v, "\n") {
		v = strings.TrimSuffix(strings.TrimSuffix(v, "\n"), "\r")
	}
	if v == "" {
		d.errf(line, p, "secret file %s is empty: write the secret in it", full)
	}
	return NewSecret(v, ref)
}
