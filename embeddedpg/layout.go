package embeddedpg

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// maxSocketPath bounds the socket file's path: sun_path holds 108 bytes with
// the final NUL, and we keep one byte of margin.
const maxSocketPath = 106

// layout is where an instance keeps its files.
type layout struct {
	dataDir   string // absolute Config.DataDir
	pgdata    string // the cluster
	socketDir string // the unix socket's folder
	logFile   string // the server's stderr
	port      int
	// sharedSocketDir is set when socketDir lies in os.TempDir(), where
	// others may create files: its owner must be checked before use.
	sharedSocketDir bool
}

// newLayout places the files of an instance. The socket goes in
// DataDir/socket unless that path would be too long for a unix socket: then
// it goes in os.TempDir()/embeddedpg-<hash of DataDir>, a short name that is
// the same at every start, so restarts never leave folders behind.
func newLayout(dataDir string, port int) (layout, error) {
	if dataDir == "" {
		return layout{}, errors.New("embeddedpg: Config.DataDir is empty")
	}
	abs, err := filepath.Abs(dataDir)
	if err != nil {
		return layout{}, fmt.Errorf("data dir %s: %w", dataDir, err)
	}
	l := layout{
		dataDir:   abs,
		pgdata:    filepath.Join(abs, "pgdata"),
		socketDir: filepath.Join(abs, "socket"),
		logFile:   filepath.Join(abs, "postgres.log"),
		port:      port,
	}
	if len(l.socketFile()) > maxSocketPath {
		sum := sha256.Sum256([]byte(abs))
		l.socketDir = filepath.Join(os.TempDir(), "embeddedpg-"+hex.EncodeToString(sum[:6]))
		l.sharedSocketDir = true
		if len(l.socketFile()) > maxSocketPath {
			return layout{}, fmt.Errorf("socket path %s is longer than %d bytes, even in the temp folder", l.socketFile(), maxSocketPath)
		}
	}
	return l, nil
}

// socketFile is the path of the server's unix socket.
func (l layout) socketFile() string {
	return filepath.Join(l.socketDir, fmt.Sprintf(".s.PGSQL.%d", l.port))
}

// prepare creates the folders and log file and gives them to the account.
func (l layout) prepare(a account) error {
	if err := os.MkdirAll(l.dataDir, 0o700); err != nil {
		return fmt.Errorf("create data dir: %w", err)
	}
	if err := a.makeReachable(l.dataDir); err != nil {
		return err
	}
	// PostgreSQL refuses a cluster folder others can read: 0700.
	if err := makeOwnedDir(l.pgdata, a, false); err != nil {
		return err
	}
	if err := makeOwnedDir(l.socketDir, a, l.sharedSocketDir); err != nil {
		return err
	}
	f, err := os.OpenFile(l.logFile, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("create log file: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("create log file: %w", err)
	}
	return a.own(l.logFile)
}

// makeOwnedDir creates dir with mode 0700 if missing, and gives it to the
// account. It refuses a symlink, and when shared (the folder is in a
// world-writable place) a folder someone else made: they could intercept our
// connections.
func makeOwnedDir(dir string, a account, shared bool) error {
	if err := os.Mkdir(dir, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("create %s: %w", dir, err)
	}
	info, err := os.Lstat(dir)
	if err != nil {
		return fmt.Errorf("check %s: %w", dir, err)
	}
	if !info.IsDir() {
		return fmt.Errorf("%s is not a folder: remove it", dir)
	}
	if shared {
		uid, err := ownerOf(info)
		if err != nil {
			return err
		}
		if uid != a.uid && uid != os.Geteuid() {
			return fmt.Errorf("socket folder %s belongs to uid %d, not to us: remove it", dir, uid)
		}
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		return fmt.Errorf("chmod %s: %w", dir, err)
	}
	return a.own(dir)
}
