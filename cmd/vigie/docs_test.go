package main

import (
	"bytes"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// docCommand matches a vigie command line quoted in a document: "vigie"
// at the start of a line, a code span or after a shell separator, then
// its arguments up to the end of the span or line. "vigie-lab" and
// "vigie.yml" do not match: a space must follow.
var docCommand = regexp.MustCompile("(?m)(?:^|[`\\s(])vigie ((?:-|[a-z])[^`\\n]*)")

// TestDocumentedCommands runs `vigie COMMAND --help` for every command the
// project's documents, example configuration and usage texts quote, and
// checks that each command exists and each flag quoted with it is one the
// binary accepts, written --name. An operator copies these lines: `vigie
// -config FILE` (no command) or a flag the binary lost must not survive in
// a README.
func TestDocumentedCommands(t *testing.T) {
	bin := buildVigie(t)
	flagLine := regexp.MustCompile(`(?m)^\s+-([a-z0-9.-]+)`)
	known := map[string]map[string]bool{}
	for _, c := range commands() {
		var errOut bytes.Buffer
		cmd := exec.Command(bin, c.name, "--help")
		cmd.Stdout, cmd.Stderr = &errOut, &errOut
		if err := cmd.Run(); err != nil {
			t.Fatalf("vigie %s --help: %v\n%s", c.name, err, errOut.String())
		}
		flags := map[string]bool{"help": true, "h": true}
		for _, m := range flagLine.FindAllStringSubmatch(errOut.String(), -1) {
			flags[m[1]] = true
		}
		known[c.name] = flags
	}

	root := filepath.Join("..", "..")
	checked := 0
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			switch d.Name() {
			case ".git", "bin", "testdata", "node_modules":
				return filepath.SkipDir
			}
			return nil
		}
		ext := filepath.Ext(path)
		if ext != ".md" && ext != ".yml" && ext != ".yaml" && (ext != ".go" || strings.HasSuffix(path, "_test.go")) {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		for _, m := range docCommand.FindAllSubmatchIndex(b, -1) {
			line := 1 + bytes.Count(b[:m[0]], []byte("\n"))
			// "snmpwalk -u vigie -a SHA": vigie is a flag's value there.
			if before := bytes.Fields(b[max(0, m[0]-40) : m[0]+1]); len(before) > 0 && bytes.HasPrefix(before[len(before)-1], []byte("-")) {
				continue
			}
			args := string(b[m[2]:m[3]])
			// A shell pipe, list, comment or redirection ends the command.
			if i := strings.IndexAny(args, "|;#>&\"'"); i >= 0 {
				args = args[:i]
			}
			words := strings.Fields(args)
			if len(words) == 0 {
				continue
			}
			name := words[0]
			flags, ok := known[name]
			switch {
			case strings.HasPrefix(name, "-") && name != "--help" && name != "-h":
				t.Errorf("%s:%d: `vigie %s`: vigie takes a command first (vigie run --config FILE, vigie check-config FILE); see vigie --help", rel, line, strings.TrimSpace(args))
				continue
			case !ok:
				continue // prose: "vigie polls ...", "vigie demo:" output
			}
			checked++
			for _, w := range words[1:] {
				w = strings.Trim(w, "[]()")
				if !strings.HasPrefix(w, "-") || w == "-" || w == "--" {
					continue
				}
				f, _, _ := strings.Cut(strings.TrimLeft(w, "-"), "=")
				switch {
				case !flags[f]:
					t.Errorf("%s:%d: `vigie %s`: vigie %s has no flag %s (vigie %s --help lists them)", rel, line, strings.TrimSpace(args), name, w, name)
				case !strings.HasPrefix(w, "--") && f != "h":
					t.Errorf("%s:%d: `vigie %s`: write the flag as --%s, as everywhere else", rel, line, strings.TrimSpace(args), f)
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if checked < 20 {
		t.Fatalf("checked only %d documented vigie commands: the pattern no longer finds them", checked)
	}
	t.Logf("%d documented vigie commands checked", checked)
}
