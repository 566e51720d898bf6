package inventory

import (
	"cmp"
	"errors"
	"slices"
	"strconv"
	"strings"
)

// LoadOptions says how Load and Parse treat a configuration.
type LoadOptions struct {
	// Strict turns every warning into an error: Load then fails on them.
	Strict bool
	// ResolveSecrets reads every {env: NAME} and {file: PATH} secret now, and
	// reports a missing variable, a missing file or a file readable by others
	// as a problem. Without it, secrets keep only their reference, which is
	// enough to check or rewrite a configuration on a machine that does not
	// hold the credentials.
	ResolveSecrets bool
	// OnWarning, if set, receives each warning of a configuration that loads.
	// The Inventory type carries no warnings of its own: a caller that wants
	// them (vigie check-config, the daemon's start-up log) passes this hook.
	// When Load fails, warnings are in the returned *ConfigError instead.
	OnWarning func(Problem)
	// LookupEnv replaces os.LookupEnv when resolving {env: NAME} secrets
	// (tests, or a daemon that reads its environment from elsewhere).
	LookupEnv func(name string) (string, bool)
}

// Problem is one thing wrong with a configuration, located precisely enough
// for an operator to fix it without searching.
type Problem struct {
	// File is the configuration file's name as given to Load or Parse.
	File string
	// Line is 1-based; 0 when the problem has no single place (a read error).
	Line int
	// Field is the path of the offending value, e.g.
	// "sites[41].access[1].device" (indexes are 0-based, in file order).
	Field string
	// Msg says what is wrong and what to do about it.
	Msg string
	// Warning marks a problem that does not stop vigie (unless LoadOptions.Strict).
	Warning bool
}

// String formats the problem as FILE:LINE: FIELD: MESSAGE, the form editors
// and CI annotations recognise. Warnings say so before their message.
func (p Problem) String() string {
	var b strings.Builder
	b.WriteString(p.File)
	if p.Line > 0 {
		b.WriteByte(':')
		b.WriteString(strconv.Itoa(p.Line))
	}
	b.WriteString(": ")
	if p.Field != "" {
		b.WriteString(p.Field)
		b.WriteString(": ")
	}
	if p.Warning {
		b.WriteString("warning: ")
	}
	b.WriteString(p.Msg)
	return b.String()
}

// ConfigError is what Load and Parse return when a configuration has at
// least one error (or, with LoadOptions.Strict, a warning). It holds every
// problem found, errors and warnings, in file order, so that one run of
// vigie check-config lists everything to fix.
type ConfigError struct {
	Problems []Problem
}

// Error prints one problem per line.
func (e *ConfigError) Error() string {
	var b strings.Builder
	for i, p := range e.Problems {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(p.String())
	}
	return b.String()
}

// Errors returns how many problems are errors (not warnings).
func (e *ConfigError) Errors() int {
	n := 0
	for _, p := range e.Problems {
		if !p.Warning {
			n++
		}
	}
	return n
}

// CheckReport counts the errors and warnings in what Load or Parse returned,
// for vigie check-config's exit status (1 on errors, 0 with warnings only).
// An error that is not a *ConfigError (an unreadable file) counts as one
// error; nil counts as none.
func CheckReport(err error) (errs, warnings int) {
	if err == nil {
		return 0, 0
	}
	var ce *ConfigError
	if !errors.As(err, &ce) {
		return 1, 0
	}
	for _, p := range ce.Problems {
		if p.Warning {
			warnings++
		} else {
			errs++
		}
	}
	return errs, warnings
}

// sortProblems orders problems by file and line, keeping the order of
// discovery among problems of one line, so that output is stable.
func sortProblems(ps []Problem) {
	slices.SortStableFunc(ps, func(a, b Problem) int {
		if c := cmp.Compare(a.File, b.File); c != 0 {
			return c
		}
		return cmp.Compare(a.Line, b.Line)
	})
}
