package migrations_test

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io/fs"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/assoc/contacts/migrations"
)

// binary is the set of migration files of a contacts binary: the embedded
// ones, changed by edit (file name → new content, "" to leave it out).
func binary(t *testing.T, edit map[string]string) fstest.MapFS {
	t.Helper()
	out := fstest.MapFS{}
	err := fs.WalkDir(migrations.Files, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := fs.ReadFile(migrations.Files, path)
		out[path] = &fstest.MapFile{Data: data}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	for name, content := range edit {
		if content == "" {
			delete(out, name)
		} else {
			out[name] = &fstest.MapFile{Data: []byte(content)}
		}
	}
	return out
}

// TestChecksumsAreRecordedAndBackFilled: a database migrated by a binary
// from before checksums gets, with the migration that adds them, the
// checksum of every migration applied before, from the files.
func TestChecksumsAreRecordedAndBackFilled(t *testing.T) {
	all, err := migrations.All()
	if err != nil {
		t.Fatal(err)
	}
	last := all[len(all)-1]
	if last.Name != "migration_checksums" {
		t.Skipf("the checksum migration is no longer the last (%s): this test plays the binary just before it", last.File())
	}
	pool := emptyDatabase(t)
	old, err := migrations.ApplyFiles(t.Context(), pool, binary(t, map[string]string{last.File(): ""}))
	if err != nil || len(old) != len(all)-1 {
		t.Fatalf("the binary before checksums applied %v (%v)", old, err)
	}
	applied, err := migrations.Apply(t.Context(), pool)
	if err != nil || len(applied) != 1 || applied[0] != last.Version {
		t.Fatalf("Apply after the old binary = %v, %v; want [%d]", applied, err, last.Version)
	}
	rows, err := pool.Query(t.Context(), `SELECT version, checksum FROM schema_migrations WHERE checksum IS NOT NULL ORDER BY version`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	got := map[int]string{}
	for rows.Next() {
		var v int
		var sum string
		if err := rows.Scan(&v, &sum); err != nil {
			t.Fatal(err)
		}
		got[v] = sum
	}
	for _, m := range all {
		file, _ := fs.ReadFile(migrations.Files, m.File())
		sum := sha256.Sum256(file)
		if want := hex.EncodeToString(sum[:]); got[m.Version] != want {
			t.Errorf("checksum of %s = %q, want %s", m.File(), got[m.Version], want)
		}
	}
}

// TestRefusesAChangedMigration: a migration edited after it was applied is
// refused by name, and nothing is applied.
func TestRefusesAChangedMigration(t *testing.T) {
	pool := emptyDatabase(t)
	if _, err := migrations.Apply(t.Context(), pool); err != nil {
		t.Fatal(err)
	}
	edited := binary(t, map[string]string{
		"0003_api_keys.sql": string(binary(t, nil)["0003_api_keys.sql"].Data) + "\nCREATE INDEX ON api_keys (role);\n",
		"0999_later.sql":    "CREATE TABLE later (id int);",
	})
	applied, err := migrations.ApplyFiles(t.Context(), pool, edited)
	t.Log(err)
	if !errors.Is(err, migrations.ErrChanged) || !strings.Contains(err.Error(), "0003_api_keys.sql") || len(applied) != 0 {
		t.Fatalf("Apply with 0003 edited = %v, %v; want ErrChanged naming 0003_api_keys.sql, nothing applied", applied, err)
	}
	var later bool
	if err := pool.QueryRow(t.Context(), `SELECT to_regclass('later') IS NOT NULL`).Scan(&later); err != nil || later {
		t.Errorf("a later migration ran (%v) after the refusal", err)
	}
	renamed := binary(t, map[string]string{"0003_api_keys.sql": "", "0003_keys.sql": string(binary(t, nil)["0003_api_keys.sql"].Data)})
	if _, err := migrations.ApplyFiles(t.Context(), pool, renamed); !errors.Is(err, migrations.ErrChanged) {
		t.Errorf("Apply with 0003 renamed = %v, want ErrChanged", err)
	}
}

// TestRefusesANewerDatabase: a database a newer binary migrated (it has a
// migration this binary lacks) is refused by name.
func TestRefusesANewerDatabase(t *testing.T) {
	pool := emptyDatabase(t)
	newer := binary(t, map[string]string{"0999_from_the_future.sql": "CREATE TABLE future (id int);"})
	if _, err := migrations.ApplyFiles(t.Context(), pool, newer); err != nil {
		t.Fatalf("the newer binary: %v", err)
	}
	_, err := migrations.Apply(t.Context(), pool)
	t.Log(err)
	if !errors.Is(err, migrations.ErrUnknown) || !strings.Contains(err.Error(), "0999_from_the_future.sql") {
		t.Fatalf("Apply on a newer database = %v, want ErrUnknown naming 0999_from_the_future.sql", err)
	}
	if again, err := migrations.ApplyFiles(t.Context(), pool, newer); err != nil || len(again) != 0 {
		t.Errorf("the newer binary again = %v, %v; want nothing to do", again, err)
	}
}
