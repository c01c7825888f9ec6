package kernel

import (
	"fmt"
	"strings"
	"sync/atomic"

	"gophene/pal"
)

// Log levels, as Gramine's loader.log_level.
const (
	LogNone = iota
	LogError
	LogWarning
	LogDebug
	LogTrace
	LogAll
)

// LogLevels maps manifest names to levels.
var LogLevels = map[string]int{"none": LogNone, "error": LogError, "warning": LogWarning,
	"debug": LogDebug, "trace": LogTrace, "all": LogAll}

// Logger writes LibOS messages through the PAL's log sink.
type Logger struct {
	level atomic.Int32
	host  pal.Host
	pid   int
}

// NewLogger makes a logger at level.
func NewLogger(host pal.Host, level int) *Logger {
	l := &Logger{host: host}
	l.level.Store(int32(level))
	return l
}

// Enabled reports whether messages at level are printed.
func (l *Logger) Enabled(level int) bool { return int(l.level.Load()) >= level }

func (l *Logger) printf(level int, prefix, format string, args ...any) {
	if !l.Enabled(level) {
		return
	}
	msg := fmt.Sprintf(format, args...)
	if !strings.HasSuffix(msg, "\n") {
		msg += "\n"
	}
	l.host.DebugLog([]byte("[gophene] " + prefix + msg))
}

// Errorf logs an error.
func (l *Logger) Errorf(format string, args ...any) { l.printf(LogError, "error: ", format, args...) }

// Warnf logs a warning.
func (l *Logger) Warnf(format string, args ...any) {
	l.printf(LogWarning, "warning: ", format, args...)
}

// Debugf logs a debug message.
func (l *Logger) Debugf(format string, args ...any) { l.printf(LogDebug, "", format, args...) }

// Tracef logs a trace line (one system call).
func (l *Logger) Tracef(format string, args ...any) { l.printf(LogTrace, "", format, args...) }

// Level is the current log level.
func (l *Logger) Level() int { return int(l.level.Load()) }
