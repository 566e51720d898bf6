package lab

import (
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestImageHasLabPackages checks the containerlab node image (lab/image)
// against the runner: the image installs every Debian package whose
// programs vigie-lab runs, so that a lab behaves the same under
// containerlab. (No container builder runs on this project's machines:
// the image itself is not built here; docs/lab.md.)
func TestImageHasLabPackages(t *testing.T) {
	b, err := os.ReadFile("image/Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	// The RUN line's continuation lines joined, then the words after
	// "apt-get install" up to the next shell operator.
	text := strings.ReplaceAll(string(b), "\\\n", " ")
	m := regexp.MustCompile(`apt-get install([^&;|]*)`).FindStringSubmatch(text)
	if m == nil {
		t.Fatal("image/Dockerfile installs no package (no apt-get install)")
	}
	var pkgs []string
	for _, w := range strings.Fields(m[1]) {
		if !strings.HasPrefix(w, "-") {
			pkgs = append(pkgs, w)
		}
	}
	for bin, pkg := range binaries {
		if !slices.Contains(pkgs, pkg) {
			t.Errorf("the image does not install %s, which ships %s that vigie-lab runs: add it to image/Dockerfile", pkg, bin)
		}
	}
	// The entry point reads lldpd's and snmpd's bound files where the
	// topologies bind them.
	start, err := os.ReadFile("image/start.sh")
	if err != nil {
		t.Fatal(err)
	}
	for _, bind := range []string{bindSnmpd, bindLldpd, bindFRRDaemons} {
		if !strings.Contains(string(start), bind) {
			t.Errorf("image/start.sh never reads %s, which the topologies bind", bind)
		}
	}
}

// TestImageStartScriptParses checks the entry point's shell syntax with
// the shell that runs it in the image (Debian's /bin/sh, dash).
func TestImageStartScriptParses(t *testing.T) {
	sh, err := exec.LookPath("dash")
	if err != nil {
		needed(t, "dash (Debian's /bin/sh) is needed to check image/start.sh: %v", err)
	}
	if out, err := exec.Command(sh, "-n", "image/start.sh").CombinedOutput(); err != nil {
		t.Errorf("image/start.sh: %v\n%s", err, out)
	}
}
