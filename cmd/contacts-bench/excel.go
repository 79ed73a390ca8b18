package main

// contacts-bench excel: the Excel service at two sizes (default 10,000 and
// 100,000 contacts, 12 columns): export time and peak RSS growth, the dry
// run of a re-import with 10% of the rows edited, and the real import.
//
// Each size gets a community of its own, seeded through the real command
// path (8 callers). The edited workbook is made from the export by the
// bench itself (not measured).

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"runtime/pprof"
	"strconv"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/assoc/contacts/cmd/internal/seeding"
	"github.com/assoc/contacts/cmd/internal/wire"
	"github.com/assoc/contacts/domain"
)

// beFields are the community's own fields: with the contact ID and the 4
// built-ins, 12 columns.
var beFields = []domain.Field{
	{Key: "phone", Label: "Téléphone", Type: domain.FieldPhone},
	{Key: "birthday", Label: "Date de naissance", Type: domain.FieldDate},
	{Key: "dues", Label: "Cotisation", Type: domain.FieldNumber},
	{Key: "level", Label: "Niveau", Type: domain.FieldChoice, Choices: []string{"Bronze", "Argent", "Or"}},
	{Key: "city", Label: "Ville", Type: domain.FieldText},
	{Key: "street", Label: "Adresse", Type: domain.FieldText},
	{Key: "note", Label: "Note", Type: domain.FieldText},
}

func beValues(i int) map[string]string {
	v := bcContactValues(i)
	v["phone"] = fmt.Sprintf("+33 6 %02d %02d %02d %02d", i%100, (i/100)%100, (i/10000)%100, i%97)
	v["birthday"] = time.Date(1950+i%50, time.Month(1+i%12), 1+i%28, 0, 0, 0, 0, time.UTC).Format(time.DateOnly)
	v["dues"] = strconv.FormatFloat(float64(i%200)+0.5, 'f', -1, 64)
	v["level"] = beFields[3].Choices[i%3]
	v["city"] = []string{"Lyon", "Nantes", "Lille", "Rennes", "Grenoble"}[i%5]
	v["street"] = fmt.Sprintf("%d rue de la République", 1+i%300)
	v["note"] = "membre depuis " + strconv.Itoa(2000+i%25)
	return v
}

func runBenchExcel(ctx context.Context, cfg wire.Config, logger *slog.Logger, args []string) error {
	fs := flag.NewFlagSet("bench excel", flag.ContinueOnError)
	sizes := fs.String("sizes", "10000,100000", "community sizes to measure, comma-separated")
	workers := fs.Int("workers", 0, "import workers (default: the service's)")
	reuse := fs.Bool("reuse", false, "reuse the last community a previous run seeded at each size")
	cpuProfile := fs.String("cpuprofile", "", "write CPU profiles of the exports and dry runs to this file, .export and .dryrun appended")
	memProfile := fs.String("memprofile", "", "write a heap profile of each step to this file, .export, .dryrun or .real appended, taken at its peak live heap")
	if err := fs.Parse(args); err != nil {
		return err
	}
	env, err := wire.Open(ctx, cfg, wire.Services, logger)
	if err != nil {
		return err
	}
	defer env.Close() //nolint:errcheck // logged
	env.Background(env.ProjectContacts)
	env.Excel.Workers = *workers
	fmt.Printf("bench excel: %d CPUs, GOMAXPROCS %d, %s, %d import workers (0: the default), pool of %d connections\n",
		runtime.NumCPU(), runtime.GOMAXPROCS(0), runtime.Version(), *workers, env.Pool.Config().MaxConns)
	for _, s := range strings.Split(*sizes, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n <= 0 {
			return fmt.Errorf("bench excel: %q is not a size", s)
		}
		if err := benchExcelSize(ctx, env, n, *reuse, profiles{cpu: *cpuProfile, mem: *memProfile}); err != nil {
			return err
		}
	}
	return nil
}

func benchExcelSize(ctx context.Context, env *wire.App, n int, reuse bool, prof profiles) error {
	caller := domain.Caller{Actor: "bench"}
	if reuse {
		if err := env.CaughtUp(ctx, 5*time.Minute); err != nil {
			return err
		}
		err := env.Pool.QueryRow(ctx, `SELECT id::text FROM communities WHERE name LIKE $1 ORDER BY created_at DESC LIMIT 1`,
			fmt.Sprintf("bench excel %d %%", n)).Scan(&caller.CommunityID)
		if err != nil {
			return fmt.Errorf("bench excel: no community of %d to reuse: %w", n, err)
		}
		fmt.Printf("\n%d contacts: reusing community %s\n", n, caller.CommunityID)
		return benchExcelRun(ctx, env, caller, prof)
	}
	res, err := env.Handler.CreateCommunity(ctx, caller, fmt.Sprintf("bench excel %d %s", n, time.Now().Format(time.DateTime)))
	if err != nil {
		return err
	}
	caller.CommunityID = res.ID
	for _, f := range beFields {
		if _, _, err := env.Handler.DefineField(ctx, caller, f); err != nil {
			return err
		}
	}
	_, took, err := seeding.Run(ctx, n, 8, func(ctx context.Context, i int) error {
		_, err := env.Handler.RegisterContact(ctx, caller, beValues(i))
		return err
	}, nil)
	if err != nil {
		return err
	}
	fmt.Printf("\n%d contacts: seeded in %s (%.0f/s)\n", n, took.Round(time.Millisecond), float64(n)/took.Seconds())
	return benchExcelRun(ctx, env, caller, prof)
}

// profiles names the files the diagnostic profiles go to ("" for none).
type profiles struct{ cpu, mem string }

// memFile is the heap profile file of a step, "" when none is asked for.
func (p profiles) memFile(step string) string {
	if p.mem == "" {
		return ""
	}
	return p.mem + step
}

func benchExcelRun(ctx context.Context, env *wire.App, caller domain.Caller, prof profiles) error {
	if err := env.CaughtUp(ctx, 5*time.Minute); err != nil {
		return err
	}
	var exported bytes.Buffer
	stop, err := startProfile(prof.cpu, ".export")
	if err != nil {
		return err
	}
	m, err := excelMeasure(prof.memFile(".export"), func() error {
		return env.Excel.Export(ctx, &exported, domain.ExportQuery{CommunityID: caller.CommunityID})
	})
	stop()
	if err != nil {
		return err
	}
	fmt.Printf("  export            %8s  RSS +%4d MB  live heap +%4d MB  (%d KB file)\n", m.took.Round(time.Millisecond), m.rssMB, m.heapMB, exported.Len()>>10)

	edited, changed, err := editEvery(exported.Bytes(), 10)
	if err != nil {
		return err
	}
	for _, dry := range []bool{true, false} {
		var rep *domain.ImportReport
		stop := func() {}
		if dry {
			if stop, err = startProfile(prof.cpu, ".dryrun"); err != nil {
				return err
			}
		}
		step := ".real"
		if dry {
			step = ".dryrun"
		}
		m, err := excelMeasure(prof.memFile(step), func() error {
			var err error
			rep, err = env.Excel.Import(ctx, domain.ImportRequest{Caller: caller, FileName: "bench.xlsx", Data: edited, DryRun: dry})
			return err
		})
		stop()
		if err != nil {
			return err
		}
		name := "import (real)"
		if dry {
			name = "import (dry run)"
		}
		c := rep.Counts
		fmt.Printf("  %-17s %8s  RSS +%4d MB  live heap +%4d MB  (%d updated, %d unchanged, %d rejected; %d rows edited)\n",
			name, m.took.Round(time.Millisecond), m.rssMB, m.heapMB, c.Updated, c.Unchanged, c.Rejected, changed)
		if c.Updated != changed || c.Rejected != 0 {
			return fmt.Errorf("bench excel: the import updated %d and rejected %d, want %d and 0", c.Updated, c.Rejected, changed)
		}
	}
	return nil
}

// editEvery copies a workbook, changing the first name of every k-th
// contact, and returns it with the number of rows changed.
func editEvery(data []byte, k int) ([]byte, int, error) {
	in, err := excelize.OpenReader(bytes.NewReader(data), excelize.Options{RawCellValue: true})
	if err != nil {
		return nil, 0, err
	}
	defer in.Close()
	rows, err := in.Rows(in.GetSheetList()[0])
	if err != nil {
		return nil, 0, err
	}
	out := excelize.NewFile()
	defer out.Close()
	sw, err := out.NewStreamWriter("Sheet1")
	if err != nil {
		return nil, 0, err
	}
	changed := 0
	for r := 1; rows.Next(); r++ {
		cells, err := rows.Columns()
		if err != nil {
			return nil, 0, err
		}
		if r > 1 && r%k == 0 {
			cells[2] += " édité"
			changed++
		}
		values := make([]any, len(cells))
		for i, c := range cells {
			values[i] = c
		}
		cell, _ := excelize.CoordinatesToCellName(1, r)
		if err := sw.SetRow(cell, values); err != nil {
			return nil, 0, err
		}
	}
	if err := sw.Flush(); err != nil {
		return nil, 0, err
	}
	var buf bytes.Buffer
	if err := out.Write(&buf); err != nil {
		return nil, 0, err
	}
	return buf.Bytes(), changed, nil
}

type measured struct {
	took   time.Duration
	rssMB  int64
	heapMB int64 // growth of the live heap at its peak (sampled after each GC)
}

// excelMeasure times fn, the growth of the process's peak RSS while it ran
// (Linux: the peak is reset through /proc/self/clear_refs first) and that
// of its live heap. With heapProfile set, a heap profile is written there
// at each new peak of the live heap (the last one is the peak's).
func excelMeasure(heapProfile string, fn func() error) (measured, error) {
	runtime.GC()
	debug.FreeOSMemory()
	os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) //nolint:errcheck // not on every kernel: the growth is then over the process's life
	before := procStatusKB("VmRSS")
	heapBefore := liveHeap()
	done := make(chan struct{})
	peak := make(chan uint64)
	go func() { peak <- watchHeap(done, heapProfile) }()
	start := time.Now()
	err := fn()
	m := measured{took: time.Since(start)}
	close(done)
	m.rssMB = (procStatusKB("VmHWM") - before) >> 10
	m.heapMB = (int64(<-peak) - int64(heapBefore)) >> 20
	return m, err
}

// liveHeap is the heap the last GC found reachable.
func liveHeap() uint64 {
	s := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// watchHeap samples the live heap until done is closed and returns its
// peak, writing a heap profile to file (if set) at each new peak 10 %
// above the last one written.
func watchHeap(done <-chan struct{}, file string) uint64 {
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	var top, written uint64
	for {
		if h := liveHeap(); h > top {
			top = h
			if file != "" && h > written+written/10 {
				if f, err := os.Create(file); err == nil {
					pprof.Lookup("heap").WriteTo(f, 0) //nolint:errcheck // a diagnostic
					f.Close()
					written = h
				}
			}
		}
		select {
		case <-done:
			return top
		case <-tick.C:
		}
	}
}

// procStatusKB reads a kB figure from /proc/self/status (0 if absent).
func procStatusKB(name string) int64 {
	raw, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if rest, ok := strings.CutPrefix(line, name+":"); ok {
			n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return n
		}
	}
	return 0
}

// startProfile starts a CPU profile into file+suffix (nothing when file is
// empty) and returns what stops it.
func startProfile(file, suffix string) (func(), error) {
	if file == "" {
		return func() {}, nil
	}
	out, err := os.Create(file + suffix)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(out); err != nil {
		out.Close()
		return nil, err
	}
	return func() { pprof.StopCPUProfile(); out.Close() }, nil
}
