package snmp

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"syscall"

	"github.com/gosnmp/gosnmp"
)

// ErrAuth wraps every SNMPv3 authentication failure, so that callers can
// test errors.Is(err, snmp.ErrAuth) whatever gosnmp reported.
var ErrAuth = errors.New("SNMPv3 authentication failed: check that the profile's username, auth and privacy protocols and passwords match the device's USM user")

// ErrTimeout wraps requests that got no answer within timeout and retries.
var ErrTimeout = errors.New("no answer within the profile's timeout and retries: check reachability, the agent's address and port, and its ACL")

// ErrMalformed wraps answers that could not be decoded.
var ErrMalformed = errors.New("malformed SNMP answer")

// errDecodePanic marks a panic recovered while decoding network bytes.
var errDecodePanic = errors.New("panic while decoding an answer (recovered)")

// classify maps an error from gosnmp or the network to a bounded Reason.
func classify(err error) Reason {
	if err == nil {
		return ReasonNone
	}
	switch {
	case errors.Is(err, ErrAuth), errors.Is(err, gosnmp.ErrUnknownUsername), errors.Is(err, gosnmp.ErrWrongDigest),
		errors.Is(err, gosnmp.ErrDecryption), errors.Is(err, gosnmp.ErrNotInTimeWindow),
		errors.Is(err, gosnmp.ErrUnknownSecurityLevel), errors.Is(err, gosnmp.ErrUnknownEngineID):
		return ReasonAuth
	case errors.Is(err, ErrTimeout), errors.Is(err, context.DeadlineExceeded), errors.Is(err, os.ErrDeadlineExceeded),
		errors.Is(err, gosnmp.ErrMaxRetriesExceeded):
		return ReasonTimeout
	case errors.Is(err, ErrMalformed), errors.Is(err, errDecodePanic):
		return ReasonMalformed
	case errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH):
		return ReasonRefused
	case errors.Is(err, context.Canceled):
		return ReasonOther
	}
	msg := err.Error()
	switch {
	case strings.Contains(msg, "not authentic"), strings.Contains(msg, "authoritative engine ID"):
		return ReasonAuth
	case strings.Contains(msg, "timeout"):
		return ReasonTimeout
	case strings.HasPrefix(msg, "recover:"):
		return ReasonMalformed
	case strings.Contains(msg, "decod"), strings.Contains(msg, "unmarshal"), strings.Contains(msg, "parse"),
		strings.Contains(msg, "truncated"), strings.Contains(msg, "sanity"), strings.Contains(msg, "expected a sequence"), strings.Contains(msg, "length"),
		strings.Contains(msg, "invalid"):
		return ReasonMalformed
	}
	return ReasonOther
}

// wrapErr turns a gosnmp error into one that says what to do, keeping the
// original in the chain. gosnmp's recovered panics carry a stack dump: it is
// cut so that logs stay one line.
func wrapErr(err error) error {
	r := classify(err)
	msg := err.Error()
	if strings.HasPrefix(msg, "recover:") {
		if i := strings.Index(msg, " Stack:"); i > 0 {
			msg = msg[:i]
		}
		return fmt.Errorf("%w: %s", errDecodePanic, msg)
	}
	switch r {
	case ReasonAuth:
		if errors.Is(err, ErrAuth) {
			return err
		}
		return fmt.Errorf("%w (%w)", ErrAuth, err)
	case ReasonTimeout:
		if errors.Is(err, ErrTimeout) {
			return err
		}
		return fmt.Errorf("%w (%w)", ErrTimeout, err)
	case ReasonMalformed:
		if errors.Is(err, ErrMalformed) {
			return err
		}
		return fmt.Errorf("%w (%w)", ErrMalformed, err)
	}
	return err
}
