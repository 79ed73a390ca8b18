package embeddedpg

import (
	"os"
	"strings"
)

// childEnv is the caller's environment with the locale pinned to C.UTF-8:
// that machine's other locales may be missing, and a LANG naming one makes
// initdb fail.
func childEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "LANG=") || strings.HasPrefix(kv, "LANGUAGE=") || strings.HasPrefix(kv, "LC_") {
			continue
		}
		env = append(env, kv)
	}
	return append(env, "LC_ALL=C.UTF-8")
}
