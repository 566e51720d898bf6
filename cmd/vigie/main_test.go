package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

func TestCommandLine(t *testing.T) {
	tests := []struct {
		args       []string
		wantCode   int
		wantStdout string
		wantStderr string
	}{
		{[]string{"--help"}, 0, "Commands:", ""},
		{nil, 2, "Usage:", ""},
		{[]string{"frobnicate"}, 2, "", `unknown command "frobnicate"`},
		{[]string{"version"}, 0, "vigie dev", ""},
		{[]string{"version", "--nope"}, 2, "", "flag provided but not defined"},
		{[]string{"run", "--help"}, 0, "", "SIGHUP reloads"},
		{[]string{"run"}, 2, "", "--config FILE"},
		{[]string{"demo", "--collector.interface-metrics", "collection=some"}, 1, "", "want ROLE=all|up|none"},
		{[]string{"demo", "--collector.interface-metrics", "core=up"}, 1, "", "ROLE one of collection"},
		{[]string{"run", "--config", "testdata/bad-site.yml"}, 1, "", "vigie check-config --secrets"},
	}
	for _, tc := range tests {
		var out, errOut bytes.Buffer
		code := run(context.Background(), tc.args, &out, &errOut)
		if code != tc.wantCode || !strings.Contains(out.String(), tc.wantStdout) || !strings.Contains(errOut.String(), tc.wantStderr) {
			t.Errorf("vigie %v = %d\nstdout %q\nstderr %q\nwant %d, stdout containing %q, stderr containing %q",
				tc.args, code, out.String(), errOut.String(), tc.wantCode, tc.wantStdout, tc.wantStderr)
		}
	}
}
