// Package alerting holds vigie's Prometheus alerting and recording rules
// (rules/), their promtool unit tests (tests/), an example Alertmanager
// configuration (alertmanager.yml), one runbook per alert (runbooks/) and
// the list of metrics they may use (metrics.txt). The Go code here only
// reads the rule files, for the tests that check them and for the
// end-to-end check against a running vigie (e2e.sh).
package alerting

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"gopkg.in/yaml.v3"
)

// RuleFile is one Prometheus rule file.
type RuleFile struct {
	Path   string
	Groups []Group `yaml:"groups"`
}

// Group is a rule group.
type Group struct {
	Name     string `yaml:"name"`
	Interval string `yaml:"interval"`
	Rules    []Rule `yaml:"rules"`
}

// Rule is an alerting rule (Alert set) or a recording rule (Record set).
type Rule struct {
	Alert       string            `yaml:"alert"`
	Record      string            `yaml:"record"`
	Expr        string            `yaml:"expr"`
	For         string            `yaml:"for"`
	Labels      map[string]string `yaml:"labels"`
	Annotations map[string]string `yaml:"annotations"`
}

// LoadRules reads every *.rules.yml file of dir, in name order. It does not
// validate PromQL: promtool does (see the tests).
func LoadRules(dir string) ([]RuleFile, error) {
	paths, err := filepath.Glob(filepath.Join(dir, "*.rules.yml"))
	if err != nil {
		return nil, fmt.Errorf("alerting: list rule files in %s: %w", dir, err)
	}
	if len(paths) == 0 {
		return nil, fmt.Errorf("alerting: no *.rules.yml file in %s", dir)
	}
	sort.Strings(paths)
	files := make([]RuleFile, 0, len(paths))
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			return nil, fmt.Errorf("alerting: read rule file: %w", err)
		}
		rf := RuleFile{Path: p}
		if err := yaml.Unmarshal(b, &rf); err != nil {
			return nil, fmt.Errorf("alerting: %s: %w", p, err)
		}
		files = append(files, rf)
	}
	return files, nil
}

// Alerts returns the alerting rules of the files, in file order.
func Alerts(files []RuleFile) []Rule {
	var out []Rule
	for _, f := range files {
		for _, g := range f.Groups {
			for _, r := range g.Rules {
				if r.Alert != "" {
					out = append(out, r)
				}
			}
		}
	}
	return out
}

// Records returns the recording rules of the files, in file order.
func Records(files []RuleFile) []Rule {
	var out []Rule
	for _, f := range files {
		for _, g := range f.Groups {
			for _, r := range g.Rules {
				if r.Record != "" {
					out = append(out, r)
				}
			}
		}
	}
	return out
}
