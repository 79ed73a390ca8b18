package embeddedpg

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
)

// initCluster runs initdb unless pgdata already holds a cluster.
//
// The encoding and locale are always given: without them initdb takes them
// from the environment and makes an SQL_ASCII cluster, or fails.
func initCluster(ctx context.Context, bins binaries, l layout, a account, log *slog.Logger) error {
	_, err := os.Stat(filepath.Join(l.pgdata, "PG_VERSION"))
	if err == nil {
		return nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("check cluster: %w", err)
	}
	log.Info("initdb", "pgdata", l.pgdata)
	cmd := exec.CommandContext(ctx, bins.initdb,
		"-D", l.pgdata, "-U", "postgres", "--auth=trust", "--encoding=UTF8", "--locale=C.UTF-8")
	cmd.Dir = l.dataDir // the caller's folder may be closed to the postgres user
	cmd.Env = childEnv()
	cmd.SysProcAttr = a.sysProcAttr(false)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("initdb %s: %w\n%s", l.pgdata, err, out)
	}
	return nil
}
