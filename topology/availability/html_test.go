package availability_test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/vigie-rie/vigie/sim"
	"github.com/vigie-rie/vigie/topology/availability"
)

const chromiumPath = "/usr/bin/chromium"

// chromium returns Debian's chromium, skipping the test on a developer's
// machine without it and failing it in CI (CI=true), where scripts/deps.sh
// installs it.
func chromium(t *testing.T) string {
	t.Helper()
	if _, err := os.Stat(chromiumPath); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is missing in CI: run scripts/deps.sh (Debian package chromium): %v", chromiumPath, err)
		}
		t.Skipf("%s is missing: run scripts/deps.sh (Debian package chromium)", chromiumPath)
	}
	return chromiumPath
}

// TestHTMLReportInChromium renders a month's report by region, as a
// manager would print it, in headless Chromium: the DOM it builds holds the
// summary table with one row per region and the total, and one section with
// a table per region listing its sites; the page loads nothing from
// outside; printed, it gives a PDF. The screenshot and the PDF are left in
// $TEST_ARTIFACTS (or the test's temporary directory) and their paths logged.
func TestHTMLReportInChromium(t *testing.T) {
	bin := chromium(t)
	inv := sim.Generate(sim.GenerateOptions{Sites: 40, Seed: 9})
	from := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	to := from.AddDate(0, 1, 0)
	c := makeChurn(inv, from, to, 9)
	clock := from
	dir := t.TempDir()
	st := openAt(t, filepath.Join(dir, "v.db"), &clock)
	defer st.Close()
	if err := c.write(st, &clock, 6*time.Hour, to); err != nil {
		t.Fatal(err)
	}
	q, err := availability.ParseQuery("2026-11-01", "2026-12-01", "region", "html")
	if err != nil {
		t.Fatal(err)
	}
	rep, err := availability.Compute(st, inv, q, to)
	if err != nil {
		t.Fatal(err)
	}
	var page bytes.Buffer
	if err := availability.Write(&page, rep, "html"); err != nil {
		t.Fatal(err)
	}
	if m := regexp.MustCompile(`(?i)(src|href)=|<script|@import|url\(`).FindString(page.String()); m != "" {
		t.Errorf("the page loads something (%q): it must be self-contained", m)
	}
	html := filepath.Join(dir, "report.html")
	if err := os.WriteFile(html, page.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	out := os.Getenv("TEST_ARTIFACTS")
	if out == "" {
		out = t.TempDir()
	}
	shot, pdf := filepath.Join(out, "availability-report.png"), filepath.Join(out, "availability-report.pdf")
	profile := t.TempDir()
	browse := func(args ...string) []byte {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		args = append([]string{"--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--user-data-dir=" + profile,
			"--window-size=1280,1600"}, args...)
		cmd := exec.CommandContext(ctx, bin, append(args, "file://"+html)...)
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Run(); err != nil {
			t.Fatalf("chromium %v: %v\n%s", args, err, stderr.String())
		}
		return stdout.Bytes()
	}
	dom := string(browse("--dump-dom"))
	summary, _, ok := strings.Cut(dom[strings.Index(dom, `<table id="summary">`)+1:], "</table>")
	if !ok {
		t.Fatalf("no summary table in the DOM:\n%s", dom)
	}
	if rows := strings.Count(summary, "<tr"); rows != len(rep.Groups)+2 { // header, groups, total
		t.Errorf("summary table has %d rows, want a header, %d regions and the total", rows, len(rep.Groups))
	}
	if !strings.Contains(summary, `<tr class="total"><td>total</td><td>40</td>`) {
		t.Errorf("no total row over the 40 sites in the summary")
	}
	if n := strings.Count(dom, `<section class="group">`); n != len(rep.Groups) {
		t.Errorf("%d group sections, want one per region (%d)", n, len(rep.Groups))
	}
	for _, s := range inv.Sites {
		if !strings.Contains(dom, "<td>"+s.ID+" (") {
			t.Errorf("site %s is in no group table", s.ID)
		}
	}
	browse("--screenshot=" + shot)
	browse("--print-to-pdf="+pdf, "--no-pdf-header-footer")
	for _, f := range []string{shot, pdf} {
		fi, err := os.Stat(f)
		if err != nil || fi.Size() == 0 {
			t.Fatalf("chromium left no %s: %v", f, err)
		}
	}
	b, _ := os.ReadFile(pdf)
	if !bytes.HasPrefix(b, []byte("%PDF")) {
		t.Errorf("%s is not a PDF", pdf)
	}
	t.Logf("screenshot %s, printed %s (%d bytes)", shot, pdf, len(b))
}
