package main

// contacts-bench bombs: the workbook bombs of issue 11 (xlsx/
// testdata), each imported alone as a dry run through the Excel service,
// then six at once through the same service (whose turns the HTTP route
// shares): the time each took and the process's peak RSS.

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/assoc/contacts/cmd/internal/wire"
	"github.com/assoc/contacts/domain"
	"github.com/assoc/contacts/spreadsheet"
)

// worstName names the workbook that uses every limit (made by the bench).
const worstName = "(every limit, made here)"

// bombFiles are the bombs, the worst first.
var bombFiles = []string{
	"shared-strings-bomb.xlsx", "big-cell.xlsx", "many-parts.xlsx", "huge-attribute.xlsx", "deep-nesting.xlsx",
	"zip-bomb.xlsx", "nested-rows.xlsx", "bad-string-index.xlsx", "size-lie.xlsx",
}

func runBenchBombs(ctx context.Context, cfg wire.Config, logger *slog.Logger, args []string) error {
	fs := flag.NewFlagSet("bench bombs", flag.ContinueOnError)
	dir := fs.String("dir", filepath.Join("xlsx", "testdata"), "the folder of the bomb files")
	atOnce := fs.Int("at-once", 6, "how many bombs to import at once in the last step")
	worstRows := fs.Int("worst-rows", 100_000, "rows of the workbook that uses every limit (0: skip it)")
	worstAtOnce := fs.Int("worst-at-once", 2, "how many of the bombs imported at once are that workbook")
	if err := fs.Parse(args); err != nil {
		return err
	}
	files, err := readBombs(*dir, *worstRows)
	if err != nil {
		return err
	}
	app, err := wire.Open(ctx, cfg, wire.Services, logger)
	if err != nil {
		return err
	}
	defer app.Close() //nolint:errcheck // logged
	app.Background(app.ProjectContacts)
	caller := domain.Caller{Actor: "bench"}
	res, err := app.Handler.CreateCommunity(ctx, caller, "bench bombs "+time.Now().Format(time.DateTime))
	if err != nil {
		return err
	}
	caller.CommunityID = res.ID
	b := &bombsBench{excel: app.Excel, caller: caller, files: files}
	fmt.Printf("bench bombs: %d CPUs, %s, dry runs through spreadsheet.Service (%d imports at once at most); peak RSS is the whole process's (VmHWM, reset before each step)\n",
		runtime.NumCPU(), runtime.Version(), max(app.Excel.MaxImports, 2))
	fmt.Printf("  %-26s %8s %9s %12s  %s\n", "file", "size", "time", "peak RSS", "outcome")
	names := bombFiles
	if *worstRows > 0 {
		names = append([]string{worstName}, bombFiles...)
	}
	for _, name := range names {
		if err := b.alone(ctx, name); err != nil {
			return err
		}
	}
	var batch []string
	if *worstRows > 0 {
		for range *worstAtOnce {
			batch = append(batch, worstName)
		}
	}
	batch = append(batch, bombFiles...)
	return b.atOnce(ctx, batch[:min(*atOnce, len(batch))])
}

// readBombs reads the bombs of dir and, unless worstRows is 0, makes the
// workbook that uses every limit.
func readBombs(dir string, worstRows int) (map[string][]byte, error) {
	files := map[string][]byte{}
	if worstRows > 0 {
		data, err := worstWorkbook(worstRows)
		if err != nil {
			return nil, err
		}
		files[worstName] = data
	}
	for _, name := range bombFiles {
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			return nil, fmt.Errorf("bench bombs: %w (run from the repository's root, or give -dir)", err)
		}
		files[name] = data
	}
	return files, nil
}

// bombsBench imports bombs as dry runs into one community.
type bombsBench struct {
	excel  *spreadsheet.Service
	caller domain.Caller
	files  map[string][]byte
}

// importBomb dry-runs the import of a bomb and returns what became of it:
// the refusal, or what the worst workbook read.
func (b *bombsBench) importBomb(ctx context.Context, name string) (string, error) {
	rep, err := b.excel.Import(ctx, domain.ImportRequest{Caller: b.caller, FileName: name, Data: b.files[name], DryRun: true})
	if err == nil && name == worstName {
		return fmt.Sprintf("read: %d rows decided (%d would be created)", rep.Counts.Created+rep.Counts.Rejected+rep.Counts.Unchanged, rep.Counts.Created), nil
	}
	if err == nil {
		return "", fmt.Errorf("bench bombs: %s was imported", name)
	}
	if c := domain.ErrorCode(err); c != domain.EINVALID && c != domain.EUNAVAILABLE {
		return "", err
	}
	msg := domain.ErrorMessage(err)
	if len(msg) > 90 {
		msg = msg[:90] + "…"
	}
	return msg, nil
}

// alone imports one bomb and prints its line.
func (b *bombsBench) alone(ctx context.Context, name string) error {
	var msg string
	took, peak, err := peakRSS(func() error {
		var err error
		msg, err = b.importBomb(ctx, name)
		return err
	})
	if err != nil {
		return err
	}
	fmt.Printf("  %-26s %5d KB %9s %9d MB  %s\n", name, len(b.files[name])>>10, took.Round(time.Millisecond), peak>>10, msg)
	return nil
}

// atOnce imports the batch's bombs at once and prints the line.
func (b *bombsBench) atOnce(ctx context.Context, batch []string) error {
	outcomes := make([]string, len(batch))
	took, peak, err := peakRSS(func() error {
		var wg sync.WaitGroup
		errs := make([]error, len(batch))
		for i, name := range batch {
			wg.Go(func() { outcomes[i], errs[i] = b.importBomb(ctx, name) })
		}
		wg.Wait()
		for _, err := range errs {
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	refused, busy := 0, 0
	for _, o := range outcomes {
		if strings.Contains(o, "try again") {
			busy++
		} else {
			refused++
		}
	}
	fmt.Printf("  %d at once (%s)\n  %35s %9s %9d MB  %d read or refused, %d told to come back\n",
		len(batch), strings.Join(batch, ", "), "", took.Round(time.Millisecond), peak>>10, refused, busy)
	return nil
}

// peakRSS runs fn and returns how long it took and the process's peak RSS
// (kB) while it ran, the peak reset first (Linux: /proc/self/clear_refs).
func peakRSS(fn func() error) (time.Duration, int64, error) {
	runtime.GC()
	debug.FreeOSMemory()
	os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) //nolint:errcheck // not on every kernel: the peak is then the process's life's
	start := time.Now()
	err := fn()
	return time.Since(start), procStatusKB("VmHWM"), err
}
