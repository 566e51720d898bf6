package main

import (
	"bytes"
	"strings"
	"testing"
)

// TestRunErrors checks the answers that need no lab and no root: usage,
// unknown commands and cuts, and a lab that is not up.
func TestRunErrors(t *testing.T) {
	state := t.TempDir()
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{nil, 2, "usage: vigie-lab"},
		{[]string{"up"}, 2, "usage: vigie-lab"},
		{[]string{"-state", state, "frob", "../../lab/mini/mini.clab.yml"}, 1, `unknown command "frob"`},
		{[]string{"-state", state, "status", "../../lab/mini/mini.clab.yml"}, 1, "lab mini is not up"},
		{[]string{"-state", state, "cut", "../../lab/mini/mini.clab.yml", "link"}, 1, "is not up"},
		{[]string{"-state", state, "status", "nowhere.clab.yml"}, 1, "cannot read the topology"},
		{[]string{"-state", state, "down", "nowhere.clab.yml"}, 1, "give the lab's name instead"},
		{[]string{"-state", state, "down", "bad name!"}, 1, "is not a lab name"},
		{[]string{"-state", state, "reach", "../../lab/mini/mini.clab.yml", "site1"}, 1, "is not up"},
		// Flags after the command and its arguments are flags too.
		{[]string{"cut", "../../lab/mini/mini.clab.yml", "internet", "-mode"}, 2, "flag needs an argument: -mode"},
		{[]string{"cut", "../../lab/mini/mini.clab.yml", "internet", "-state", state, "-mode", "loss"}, 1, "lab mini is not up (no " + state},
		{[]string{"status", "../../lab/mini/mini.clab.yml", "-frob"}, 2, "flag provided but not defined: -frob"},
	} {
		var out, errb bytes.Buffer
		code := run(tc.args, &out, &errb)
		if code != tc.code || !strings.Contains(out.String()+errb.String(), tc.want) {
			t.Errorf("vigie-lab %v: exit %d, output %q; want exit %d and %q", tc.args, code, out.String()+errb.String(), tc.code, tc.want)
		}
	}
}
