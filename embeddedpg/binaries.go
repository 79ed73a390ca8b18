package embeddedpg

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// systemBinGlob is where Debian and Ubuntu packages install each major version.
const systemBinGlob = "/usr/lib/postgresql/*/bin"

// installHint tells the reader of a "not found" error what to do about it.
const installHint = "install the server with: apt-get install postgresql"

// binaries are the programs Start runs.
type binaries struct {
	initdb   string
	postgres string
}

// findBinaries looks in binDir alone when it is set, else in the folders
// of searchPath (a PATH), else in the highest installed
// /usr/lib/postgresql/<version>/bin.
func findBinaries(binDir, searchPath string) (binaries, error) {
	if binDir != "" {
		return searchBinaries([]string{binDir}, "")
	}
	return searchBinaries(filepath.SplitList(searchPath), systemBinGlob)
}

// searchBinaries returns the first folder of dirs, then of the glob's matches
// from highest version down, holding both initdb and postgres. Both must come
// from one folder so they belong to the same PostgreSQL version.
func searchBinaries(dirs []string, glob string) (binaries, error) {
	candidates := append([]string(nil), dirs...)
	if glob != "" {
		matches, err := filepath.Glob(glob)
		if err != nil {
			return binaries{}, fmt.Errorf("search %s: %w", glob, err)
		}
		sortByVersionDesc(matches)
		candidates = append(candidates, matches...)
	}
	for _, dir := range candidates {
		if dir == "" {
			continue
		}
		b := binaries{initdb: filepath.Join(dir, "initdb"), postgres: filepath.Join(dir, "postgres")}
		if isExecutable(b.initdb) && isExecutable(b.postgres) {
			return b, nil
		}
	}
	where := strings.Join(dirs, string(filepath.ListSeparator))
	if glob != "" {
		where += " and " + glob
	}
	return binaries{}, fmt.Errorf("PostgreSQL server programs (initdb, postgres) not found in %s: %s", where, installHint)
}

// isExecutable reports whether path is a regular file someone may execute.
func isExecutable(path string) bool {
	info, err := os.Stat(path)
	return err == nil && info.Mode().IsRegular() && info.Mode().Perm()&0o111 != 0
}

// sortByVersionDesc orders .../<version>/bin paths from the highest version
// down, comparing versions numerically so that 15 comes before 9.6.
func sortByVersionDesc(paths []string) {
	sort.SliceStable(paths, func(i, j int) bool {
		return versionLess(versionOf(paths[j]), versionOf(paths[i]))
	})
}

// versionOf parses the <version> folder of a .../<version>/bin path; parts
// that are not numbers count as -1.
func versionOf(binPath string) []int {
	var v []int
	for _, part := range strings.Split(filepath.Base(filepath.Dir(binPath)), ".") {
		n, err := strconv.Atoi(part)
		if err != nil {
			n = -1
		}
		v = append(v, n)
	}
	return v
}

// versionLess compares two versions part by part.
func versionLess(a, b []int) bool {
	for i := 0; i < len(a) && i < len(b); i++ {
		if a[i] != b[i] {
			return a[i] < b[i]
		}
	}
	return len(a) < len(b)
}
