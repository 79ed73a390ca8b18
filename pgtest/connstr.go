package pgtest

import (
	"fmt"
	"net/url"
	"strings"
)

// withDatabase returns the connection string base pointed at database db.
// URLs get their path replaced; keyword/value strings get a dbname appended,
// which wins since the last occurrence of a keyword counts.
func withDatabase(base, db string) (string, error) {
	if strings.HasPrefix(base, "postgres://") || strings.HasPrefix(base, "postgresql://") {
		u, err := url.Parse(base)
		if err != nil {
			return "", fmt.Errorf("parse DATABASE_URL: %w", err)
		}
		u.Path = "/" + db
		u.RawPath = ""
		return u.String(), nil
	}
	quoted := "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(db) + "'"
	return base + " dbname=" + quoted, nil
}
