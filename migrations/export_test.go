package migrations

import (
	"context"
	"io/fs"

	"github.com/jackc/pgx/v5/pgxpool"
)

// Files are the embedded migration files.
var Files fs.FS = files

// ApplyFiles applies the migrations of fsys as Apply does the embedded ones:
// the tests play older and newer binaries with it.
func ApplyFiles(ctx context.Context, pool *pgxpool.Pool, fsys fs.FS) ([]int, error) {
	return apply(ctx, pool, fsys)
}
