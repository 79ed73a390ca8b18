package embeddedpg

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// testConfig is a server on dir whose programs are looked up on the
// test's PATH, as a program passes its own.
func testConfig(dir string) Config {
	return Config{DataDir: dir, SearchPath: os.Getenv("PATH")}
}

// startServer starts a server on dir and stops it at the end of the test.
func startServer(t *testing.T, dir string) *Server {
	t.Helper()
	s, err := Start(t.Context(), testConfig(dir))
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Stop(); err != nil {
			t.Errorf("Stop: %v", err)
		}
	})
	return s
}

// connect opens a connection to the database postgres, closed at the end of the test.
func connect(t *testing.T, s *Server) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(t.Context(), s.ConnString("postgres"))
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

func TestStartServesUTF8(t *testing.T) {
	s := startServer(t, t.TempDir())
	conn := connect(t, s)
	var one int
	if err := conn.QueryRow(t.Context(), "SELECT 1").Scan(&one); err != nil || one != 1 {
		t.Fatalf("SELECT 1 = %d, %v", one, err)
	}
	var encoding string
	if err := conn.QueryRow(t.Context(), "SHOW server_encoding").Scan(&encoding); err != nil {
		t.Fatal(err)
	}
	if encoding != "UTF8" {
		t.Errorf("server_encoding = %q, want UTF8", encoding)
	}
	var fsync string
	if err := conn.QueryRow(t.Context(), "SHOW fsync").Scan(&fsync); err != nil || fsync != "on" {
		t.Errorf("fsync = %q, %v; want on", fsync, err)
	}
}

func TestStopIsIdempotentAndReaps(t *testing.T) {
	s, err := Start(t.Context(), testConfig(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Stop(); err != nil {
		t.Fatalf("first Stop: %v", err)
	}
	if err := s.Stop(); err != nil {
		t.Fatalf("second Stop: %v", err)
	}
	if _, err := os.Stat(fmt.Sprintf("/proc/%d", s.PID())); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("pid %d still in /proc after Stop (zombie?): %v", s.PID(), err)
	}
}

func TestSecondStartReusesData(t *testing.T) {
	dir := t.TempDir()
	first, err := Start(t.Context(), testConfig(dir))
	if err != nil {
		t.Fatal(err)
	}
	conn, err := pgx.Connect(t.Context(), first.ConnString("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(t.Context(), "CREATE TABLE kept (id int)"); err != nil {
		t.Fatal(err)
	}
	conn.Close(t.Context())
	if err := first.Stop(); err != nil {
		t.Fatal(err)
	}

	second := startServer(t, dir)
	var found bool
	if err := connect(t, second).QueryRow(t.Context(), "SELECT to_regclass('kept') IS NOT NULL").Scan(&found); err != nil {
		t.Fatal(err)
	}
	if !found {
		t.Error("table made in the first run is missing in the second")
	}
}

func TestStalePIDFileDoesNotBlock(t *testing.T) {
	dead := exec.Command("true")
	if err := dead.Run(); err != nil {
		t.Fatal(err)
	}
	for name, pid := range map[string]int{
		"dead pid":          dead.ProcessState.Pid(),
		"live non-postgres": os.Getpid(), // PostgreSQL itself would refuse this one
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			s, err := Start(t.Context(), testConfig(dir))
			if err != nil {
				t.Fatal(err)
			}
			if err := s.Stop(); err != nil {
				t.Fatal(err)
			}
			// What a crash leaves: the pid file, and the socket lock file.
			pidFile := filepath.Join(dir, "pgdata", "postmaster.pid")
			stale := fmt.Sprintf("%d\n%s\n0\n5432\n%s\n\n0 0\nready\n", pid, filepath.Join(dir, "pgdata"), filepath.Join(dir, "socket"))
			if err := os.WriteFile(pidFile, []byte(stale), 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, "socket", ".s.PGSQL.5432.lock"), []byte(stale), 0o600); err != nil {
				t.Fatal(err)
			}
			if _, err := Attach(t.Context(), testConfig(dir)); !errors.Is(err, ErrNotRunning) {
				t.Errorf("Attach on a stale pid file: %v, want ErrNotRunning", err)
			}
			connect(t, startServer(t, dir))
		})
	}
}

func TestStartRefusesARunningDataDir(t *testing.T) {
	dir := t.TempDir()
	startServer(t, dir)
	_, err := Start(t.Context(), testConfig(dir))
	if !errors.Is(err, ErrAlreadyRunning) {
		t.Fatalf("second Start on a live data dir: %v, want ErrAlreadyRunning", err)
	}
}

func TestAttachAndStopFromOutside(t *testing.T) {
	dir := t.TempDir()
	owner := startServer(t, dir)
	attached, err := Attach(t.Context(), testConfig(dir))
	if err != nil {
		t.Fatal(err)
	}
	if attached.ConnString("x") != owner.ConnString("x") {
		t.Errorf("attached conn string %q, want %q", attached.ConnString("x"), owner.ConnString("x"))
	}
	connect(t, attached)
	if err := attached.Stop(); err != nil {
		t.Fatalf("Stop through Attach: %v", err)
	}
	select {
	case <-owner.exited:
	case <-time.After(5 * time.Second):
		t.Fatal("server still running after Stop through Attach")
	}
	if _, err := Attach(t.Context(), testConfig(dir)); !errors.Is(err, ErrNotRunning) {
		t.Errorf("Attach after Stop: %v, want ErrNotRunning", err)
	}
}

func TestLongDataDirUsesShortSocketDir(t *testing.T) {
	dir := filepath.Join(t.TempDir(), strings.Repeat("d", 100))
	s := startServer(t, dir)
	if !strings.Contains(s.ConnString("x"), os.TempDir()) || strings.Contains(s.ConnString("x"), dir) {
		t.Errorf("conn string %q: want a socket under %s", s.ConnString("x"), os.TempDir())
	}
	connect(t, s)
	t.Cleanup(func() { os.RemoveAll(s.socketDir) })
}

func TestMissingBinariesSayHowToInstall(t *testing.T) {
	_, err := Start(t.Context(), Config{DataDir: t.TempDir(), BinDir: t.TempDir()})
	if err == nil || !strings.Contains(err.Error(), "apt-get install postgresql") {
		t.Fatalf("Start without binaries: %v, want an apt-get hint", err)
	}
	_, err = searchBinaries(nil, filepath.Join(t.TempDir(), "*", "bin"))
	if err == nil || !strings.Contains(err.Error(), "apt-get install postgresql") {
		t.Fatalf("search without binaries: %v, want an apt-get hint", err)
	}
}

// The folders of SearchPath come first, in order; without it, the system's.
func TestSearchPathComesFirst(t *testing.T) {
	var dirs []string
	for range 2 {
		bin := t.TempDir()
		for _, prog := range []string{"initdb", "postgres"} {
			if err := os.WriteFile(filepath.Join(bin, prog), nil, 0o755); err != nil {
				t.Fatal(err)
			}
		}
		dirs = append(dirs, bin)
	}
	b, err := findBinaries("", t.TempDir()+string(filepath.ListSeparator)+strings.Join(dirs, string(filepath.ListSeparator)))
	if err != nil || b.initdb != filepath.Join(dirs[0], "initdb") {
		t.Errorf("findBinaries = %+v, %v: want the first folder of the search path holding both", b, err)
	}
	b, err = findBinaries(dirs[1], dirs[0])
	if err != nil || b.initdb != filepath.Join(dirs[1], "initdb") {
		t.Errorf("findBinaries with BinDir = %+v, %v: want BinDir alone", b, err)
	}
}

func TestSearchPicksHighestVersion(t *testing.T) {
	root := t.TempDir()
	for _, version := range []string{"9.6", "15", "10"} {
		bin := filepath.Join(root, version, "bin")
		if err := os.MkdirAll(bin, 0o755); err != nil {
			t.Fatal(err)
		}
		for _, prog := range []string{"initdb", "postgres"} {
			if err := os.WriteFile(filepath.Join(bin, prog), nil, 0o755); err != nil {
				t.Fatal(err)
			}
		}
	}
	b, err := searchBinaries(nil, filepath.Join(root, "*", "bin"))
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(root, "15", "bin", "postgres"); b.postgres != want {
		t.Errorf("postgres = %s, want %s", b.postgres, want)
	}
}

func TestSharedBuffersFollowMemory(t *testing.T) {
	for _, tc := range []struct{ mem, want int }{{0, 128}, {512, 128}, {8192, 1024}, {24 * 1024, 2048}} {
		if got := sharedBuffersMB(tc.mem); got != tc.want {
			t.Errorf("sharedBuffersMB(%d) = %d, want %d", tc.mem, got, tc.want)
		}
	}
	if memTotalMB() <= 0 {
		t.Error("memTotalMB found no memory in /proc/meminfo")
	}
}
