package embeddedpg

import (
	"io"
	"os"
	"strings"
)

// tailBytes and tailLines bound the part of the server log quoted in errors.
const (
	tailBytes = 4096
	tailLines = 20
)

// logTail returns the last lines of the log file, for error messages: why
// the server failed to start is only written there.
func logTail(path string) string {
	f, err := os.Open(path)
	if err != nil {
		return "(no log: " + err.Error() + ")"
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return "(no log: " + err.Error() + ")"
	}
	start := max(info.Size()-tailBytes, 0)
	data, err := io.ReadAll(io.NewSectionReader(f, start, info.Size()-start))
	if err != nil {
		return "(no log: " + err.Error() + ")"
	}
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	if len(lines) > tailLines {
		lines = lines[len(lines)-tailLines:]
	}
	return strings.Join(lines, "\n")
}
