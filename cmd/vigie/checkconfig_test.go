package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

func TestCheckConfig(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		wantCode int
		want     string // a line the output must contain
	}{
		{"valid example", []string{"check-config", "../../configs/vigie.example.yml"}, 0, "valid: 3 regions"},
		{"dangling device", []string{"check-config", "testdata/bad-site.yml"}, 1,
			`testdata/bad-site.yml:20: sites[0].access[0].device: `},
		{"no file given", []string{"check-config"}, 2, ""},
		{"missing file", []string{"check-config", "testdata/nope.yml"}, 1, "nope.yml"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			code := run(context.Background(), tc.args, &out, &errOut)
			all := out.String() + errOut.String()
			if code != tc.wantCode || !strings.Contains(all, tc.want) {
				t.Errorf("exit %d, want %d; output:\n%s\nwant it to contain %q", code, tc.wantCode, all, tc.want)
			}
		})
	}
}
