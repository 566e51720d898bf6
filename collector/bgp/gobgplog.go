package bgp

// gobgplog.go adapts GoBGP's logger to log/slog, and listens to the two
// lines GoBGP only reports in its log: a max-prefix trip and a failed
// connection attempt.

import (
	"context"
	"fmt"
	"log/slog"
	"net"

	gobgplog "github.com/osrg/gobgp/v3/pkg/log"
)

// malformedHandlings maps GoBGP's log line for a malformed UPDATE (RFC 7606
// revised error handling) to the handling label.
var malformedHandlings = map[string]int{
	"the received Update message was treated as withdraw": handlingTreatAsWithdraw,
	"Some attributes were discarded":                      handlingAttributeDiscard,
	"Capability was disabled":                             handlingAFISAFIDisable,
}

// gobgpLogger implements GoBGP's log.Logger on top of slog.
type gobgpLogger struct {
	m   *Monitor
	log *slog.Logger
}

// attrs turns GoBGP's fields into slog attributes. Only simple values are
// kept: GoBGP sometimes logs whole configuration structs, which hold the
// TCP-MD5 key in clear, so anything else is replaced by its type name.
func attrs(f gobgplog.Fields) []any {
	out := make([]any, 0, 2*len(f))
	for k, v := range f {
		switch x := v.(type) {
		case string, bool, int, int32, int64, uint, uint8, uint16, uint32, uint64, float64:
		case error:
			v = x.Error()
		case net.IP:
			v = x.String()
		case fmt.Stringer:
			v = fmt.Sprintf("%T", x)
		default:
			v = fmt.Sprintf("%T", x)
		}
		out = append(out, k, v)
	}
	return out
}

func (l *gobgpLogger) emit(level slog.Level, msg string, f gobgplog.Fields) {
	if !l.log.Enabled(context.Background(), level) {
		return
	}
	l.log.Log(context.Background(), level, msg, attrs(f)...)
}

// Panic logs at error level; GoBGP's panics are its own to raise.
func (l *gobgpLogger) Panic(msg string, f gobgplog.Fields) { l.emit(slog.LevelError, msg, f) }

// Fatal logs at error level and does not exit: vigie decides what is fatal.
func (l *gobgpLogger) Fatal(msg string, f gobgplog.Fields) { l.emit(slog.LevelError, msg, f) }

// Error logs at error level.
func (l *gobgpLogger) Error(msg string, f gobgplog.Fields) { l.emit(slog.LevelError, msg, f) }

// Warn logs at warning level and catches max-prefix trips. GoBGP logs
// "prefix limit reached" twice: with a Pct field at the warning threshold,
// and without it when the limit is exceeded and the session is closed.
func (l *gobgpLogger) Warn(msg string, f gobgplog.Fields) {
	if h, ok := malformedHandlings[msg]; ok {
		// One line per peer and handling per minute: a flood of broken
		// UPDATEs must not become a flood of log lines.
		key, _ := f["Key"].(string)
		if l.m.malformedUpdate(key, h) {
			l.emit(slog.LevelWarn, msg+" (further ones are counted in vigie_bgp_malformed_updates_total, logged at most once a minute)", f)
		}
		return
	}
	if msg == "prefix limit reached" {
		if _, warnOnly := f["Pct"]; !warnOnly {
			key, _ := f["Key"].(string)
			fam, _ := f["Family"].(string)
			l.m.maxPrefixTripped(key, fam)
			return
		}
	}
	l.emit(slog.LevelWarn, msg, f)
}

// Info logs at debug level: GoBGP's routine chatter is not vigie's news,
// the monitor logs session changes itself.
func (l *gobgpLogger) Info(msg string, f gobgplog.Fields) { l.emit(slog.LevelDebug, msg, f) }

// Debug logs at debug level and records failed connection attempts.
func (l *gobgpLogger) Debug(msg string, f gobgplog.Fields) {
	if msg == "failed to connect" {
		key, _ := f["Key"].(string)
		if err, ok := f["Error"].(error); ok {
			l.m.connectFailed(key, err.Error())
		}
	}
	l.emit(slog.LevelDebug-4, msg, f)
}

// SetLevel is ignored: the slog handler decides what is written.
func (l *gobgpLogger) SetLevel(gobgplog.LogLevel) {}

// GetLevel reports debug while a session vigie opens is down, so that
// GoBGP reports its failed connections, which vigie needs, or when the
// handler writes GoBGP's debug lines; info otherwise. GoBGP builds some
// debug lines only at debug level, one per path it withdraws from its
// table (vigie's import policy turns every received path into one): a
// string and a map per path, about a tenth of what a convergence allocates.
func (l *gobgpLogger) GetLevel() gobgplog.LogLevel {
	if l.m.connecting.Load() > 0 || l.log.Enabled(context.Background(), slog.LevelDebug-4) {
		return gobgplog.DebugLevel
	}
	return gobgplog.InfoLevel
}
