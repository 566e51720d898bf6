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

var secretKeys = []string{"env", "file"}

// secret reads a secret reference. It never puts a value in a problem: an
// inline secret is refused without being echoed. given is false when the
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
			d.unknown(k, p, secretKeys)
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
			d.errf(envLine, p.k("env"), "invalid environment variable name %q: use letters, digits and _, not starting with a digit", env)
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
		d.errf(line, p, "environment variable %s is not set: export it in vigie's environment (systemd: Environment= or EnvironmentFile=)", name)
	case v == "":
		d.errf(line, p, "environment variable %s is empty: set it to the secret", name)
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
		d.errf(line, p, "secret file %s does not exist: create it (chmod 600) or fix the path, which is relative to %s", full, d.file)
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
	b, err := os.ReadFile(full)
	if err != nil {
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
