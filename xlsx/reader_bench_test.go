package xlsx_test

import (
	"bytes"
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/assoc/contacts/xlsx"
	"github.com/assoc/contacts/xlsx/xlsxtest"
)

// benchBook is a workbook of n contacts × 12 columns as the export writes
// it (excelize's StreamWriter: inline strings, numbers, dates), made once.
var benchBook = sync.OnceValue(func() []byte {
	const n = 100_000
	f := excelize.NewFile()
	defer f.Close()
	sw, _ := f.NewStreamWriter("Sheet1")
	head := []any{"Contact ID", "Email", "First name", "Last name", "External ID", "Téléphone", "Date de naissance", "Cotisation", "Niveau", "Ville", "Adresse", "Note"}
	sw.SetRow("A1", head)
	for i := range n {
		cell, _ := excelize.CoordinatesToCellName(1, i+2)
		sw.SetRow(cell, []any{
			fmt.Sprintf("0193a5b2-7c1d-7e4f-8a9b-%012d", i), fmt.Sprintf("contact%d@example.org", i), "Hélène", fmt.Sprintf("Dupré-%d", i%5000),
			fmt.Sprintf("EXT-%06d", i), fmt.Sprintf("+33 6 %02d %02d %02d %02d", i%100, i/100%100, i/10000%100, i%97), 20000 + i%20000,
			float64(i%200) + 0.5, []string{"Bronze", "Argent", "Or"}[i%3], "Lyon", fmt.Sprintf("%d rue de la République", i%300), "membre depuis 2010",
		})
	}
	sw.Flush()
	var buf bytes.Buffer
	f.Write(&buf)
	return buf.Bytes()
})

// BenchmarkReadWorkbook reads 100,000 rows × 12 columns with the reader,
// and with the excelize reading it replaced (go test -bench ReadWorkbook
// -benchmem ./xlsx).
func BenchmarkReadWorkbook(b *testing.B) {
	data := benchBook()
	b.Run("reader", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			rows := 0
			err := xlsx.StreamWorkbook(context.Background(), data, func(string, []string) error { return nil },
				func(xlsx.Row, []string) error { rows++; return nil })
			if err != nil || rows != 100_000 {
				b.Fatal(rows, err)
			}
		}
	})
	b.Run("excelize", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := xlsxtest.ExcelizeSheet(data); err != nil {
				b.Fatal(err)
			}
		}
	})
}
