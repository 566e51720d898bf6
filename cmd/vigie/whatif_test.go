package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/vigie-rie/vigie/topology/store"
)

const whatIfSlice = "../../topology/resilience/testdata/slices/rie-small.yml"

func TestWhatIfJSON(t *testing.T) {
	var out, errb bytes.Buffer
	err := cmdWhatIf(context.Background(), []string{"--config", whatIfSlice, "--fail", "internet", "--format", "json"}, &out, &errb)
	if err != nil {
		t.Fatalf("cmdWhatIf: %v\n%s", err, errb.String())
	}
	var got whatIfJSON
	if err := json.Unmarshal(out.Bytes(), &got); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, out.String())
	}
	if !slices.Equal(got.Failed, []string{"internet"}) {
		t.Errorf("failed %v", got.Failed)
	}
	// The two single accesses tunnelled over the internet are cut off.
	if !slices.Equal(got.IsolatedSites, []string{"S-0005", "S-0007"}) {
		t.Errorf("isolated %v, want [S-0005 S-0007]", got.IsolatedSites)
	}
	for _, ic := range []string{"partner-1", "renater-1", "testa-1"} {
		if !slices.Contains(got.SurvivingInterconnects, ic) {
			t.Errorf("%s should survive the internet cut: %v", ic, got.SurvivingInterconnects)
		}
	}
	if !slices.Equal(got.LostInterconnects, []string{"inet-lyon-1", "inet-paris-1"}) {
		t.Errorf("lost %v", got.LostInterconnects)
	}
	// One cause for both, the internet: one page, not one per tunnel.
	if len(got.Causes) != 1 || !slices.Equal(got.Causes[0].Cause, []string{"internet"}) || len(got.Causes[0].Sites) != 2 {
		t.Errorf("causes %+v, want the two sites under [internet]", got.Causes)
	}
	if got.DegradedSites == nil || got.Overseas == nil || len(got.Overseas) != 1 {
		t.Errorf("degraded %v overseas %v", got.DegradedSites, got.Overseas)
	}
}

// TestWhatIfCableLink: the overseas cable failed as a link (as the live
// state sees it) is named by its SRLG, the cable.
func TestWhatIfCableLink(t *testing.T) {
	var out, errb bytes.Buffer
	err := cmdWhatIf(context.Background(), []string{"--config", whatIfSlice, "--fail", "link:agg-reunion-1--pe-paris-1", "--format", "json"}, &out, &errb)
	if err != nil {
		t.Fatalf("cmdWhatIf: %v\n%s", err, errb.String())
	}
	var got whatIfJSON
	if err := json.Unmarshal(out.Bytes(), &got); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, out.String())
	}
	if len(got.Causes) != 1 || !slices.Equal(got.Causes[0].Cause, []string{"srlg:cable-safe"}) {
		t.Errorf("causes %+v, want one, [srlg:cable-safe]", got.Causes)
	}
}

func TestWhatIfText(t *testing.T) {
	var out, errb bytes.Buffer
	err := cmdWhatIf(context.Background(), []string{"--config", whatIfSlice, "--fail", "device:p-lyon-1", "--fail", "srlg:cable-safe"}, &out, &errb)
	if err != nil {
		t.Fatalf("cmdWhatIf: %v\n%s", err, errb.String())
	}
	text := out.String()
	for _, want := range []string{
		"What if device:p-lyon-1 + srlg:cable-safe failed?",
		"5 of 8 sites would be cut off",
		"Auvergne-Rhône-Alpes",
		"4 sites  device:p-lyon-1",
		"1 sites  srlg:cable-safe",
		"S-0006",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("report lacks %q:\n%s", want, text)
		}
	}
}

func TestWhatIfErrors(t *testing.T) {
	for _, tt := range []struct {
		name  string
		args  []string
		usage bool
		words string
	}{
		{"no failure", []string{"--config", whatIfSlice}, true, "at least one --fail"},
		{"no config", []string{"--fail", "internet"}, true, "--config"},
		{"bad kind", []string{"--config", whatIfSlice, "--fail", "router:p-lyon-1"}, true, "unknown kind"},
		{"bad format", []string{"--config", whatIfSlice, "--fail", "internet", "--format", "xml"}, true, "text or json"},
		{"unknown device", []string{"--config", whatIfSlice, "--fail", "device:p-nantes-1"}, false, "device:p-nantes-1"},
		{"missing file", []string{"--config", "testdata/nope.yml", "--fail", "internet"}, false, "nope.yml"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			err := cmdWhatIf(context.Background(), tt.args, &out, &errb)
			if err == nil {
				t.Fatal("no error")
			}
			if errors.Is(err, errUsage) != tt.usage {
				t.Errorf("error %v: usage=%v, want %v", err, errors.Is(err, errUsage), tt.usage)
			}
			if msg := err.Error() + errb.String(); !strings.Contains(msg, tt.words) {
				t.Errorf("message %q lacks %q", msg, tt.words)
			}
		})
	}
	var out, errb bytes.Buffer
	if err := cmdWhatIf(context.Background(), []string{"--help"}, &out, &errb); !errors.Is(err, flag.ErrHelp) {
		t.Errorf("--help: %v", err)
	}
	if !strings.Contains(errb.String(), "vigie whatif --config vigie.yml --fail internet") {
		t.Errorf("usage has no example:\n%s", errb.String())
	}
}

// TestWhatIfOnStoredTopology starts from what a stopped vigie stored: a
// dead aggregation router already isolates S-0004, and the internet cut
// adds the two tunnelled sites.
func TestWhatIfOnStoredTopology(t *testing.T) {
	db := filepath.Join(t.TempDir(), "vigie.db")
	st, err := store.Open(db, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	st.PutDevice(store.Device{Name: "agg-lyon-2", State: "unreachable"})
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	err = cmdWhatIf(context.Background(), []string{"--config", whatIfSlice, "--db", db, "--fail", "internet", "--format", "json"}, &out, &errb)
	if err != nil {
		t.Fatalf("cmdWhatIf: %v\n%s", err, errb.String())
	}
	var got whatIfJSON
	if err := json.Unmarshal(out.Bytes(), &got); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, out.String())
	}
	if !slices.Equal(got.IsolatedSites, []string{"S-0004", "S-0005", "S-0007"}) {
		t.Errorf("isolated %v, want [S-0004 S-0005 S-0007]", got.IsolatedSites)
	}
	if !slices.Equal(got.NewlyIsolatedSites, []string{"S-0005", "S-0007"}) {
		t.Errorf("newly isolated %v, want [S-0005 S-0007] (S-0004 already was)", got.NewlyIsolatedSites)
	}

	// A missing file is an error, never a new store.
	missing := filepath.Join(t.TempDir(), "none.db")
	err = cmdWhatIf(context.Background(), []string{"--config", whatIfSlice, "--db", missing, "--fail", "internet"}, &out, &errb)
	if err == nil || !strings.Contains(err.Error(), "none.db") {
		t.Errorf("--db on a missing file: %v, want an error naming it", err)
	}
	if _, serr := os.Stat(missing); serr == nil {
		t.Errorf("whatif created %s", missing)
	}
}
