package spreadsheet_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/assoc/contacts/domain"
	"github.com/assoc/contacts/xlsx"
)

// TestFormulasStayTextThroughLibreOfficeCSV: an export saved as CSV by
// LibreOffice, and that CSV opened again and saved as .xlsx, holds no
// formula, and imports unchanged. (Exported bare, =HYPERLINK(…) in a last
// name comes back a live formula: LibreOffice writes it bare in the CSV,
// and runs it when it opens the CSV.) Needs soffice (Debian:
// apt-get install libreoffice-calc); skipped without it.
func TestFormulasStayTextThroughLibreOfficeCSV(t *testing.T) {
	soffice, err := exec.LookPath("soffice")
	if err != nil {
		t.Skip("soffice (LibreOffice) is not installed: apt-get install libreoffice-calc to run this test")
	}
	if testing.Short() {
		t.Skip("LibreOffice takes ~30 s")
	}
	t.Parallel()
	b := setup(t)
	id := b.register(t, map[string]string{"email": "eve@example.org", "first_name": "'=already", "last_name": `=HYPERLINK("http://evil","x")`,
		"external_id": "@ext", "birthday": "1975-07-14", "score": "-3"})
	dir := t.TempDir()
	exported := filepath.Join(dir, "export.xlsx")
	if err := os.WriteFile(exported, b.export(t, domain.ExportQuery{}), 0o600); err != nil {
		t.Fatal(err)
	}
	convert := func(in, to string) string {
		t.Helper()
		out := filepath.Join(dir, to)
		cmd := exec.Command(soffice, "--headless", "-env:UserInstallation=file://"+filepath.Join(dir, "profile"), "--convert-to", to, "--outdir", out, in)
		if raw, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("soffice --convert-to %s: %v\n%s", to, err, raw)
		}
		return filepath.Join(out, strings.TrimSuffix(filepath.Base(in), filepath.Ext(in))+"."+to)
	}
	csv := convert(exported, "csv")
	raw, err := os.ReadFile(csv)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(raw), `'=HYPERLINK(`) {
		t.Fatalf("the CSV holds the formula bare:\n%s", raw)
	}
	back, err := os.ReadFile(convert(csv, "xlsx"))
	if err != nil {
		t.Fatal(err)
	}
	sheet, err := xlsx.ReadWorkbook(back)
	if err != nil {
		t.Fatal(err)
	}
	if len(sheet.Formulas) != 0 {
		t.Errorf("the CSV, opened again, holds formulas %v", sheet.Formulas)
	}
	rep := b.importFile(t, back, true)
	if rep.Counts != (domain.ImportCounts{Unchanged: 1}) || rep.Rows[0].ContactID != id {
		t.Errorf("import of the CSV made .xlsx: %+v, rows %+v", rep.Counts, rep.Rows)
	}
}
