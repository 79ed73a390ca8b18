package main

// contacts-bench store: the PostgreSQL event store beside raw PostgreSQL.
//
// Every scenario runs twice with the same concurrency and the same kind of
// rows: once through the store (eventstore/postgres, its one-statement Append and
// ReadAll), once as plain SQL on a scratch table with the same columns and
// no store logic. The ratio store/raw is what the store's logic costs.

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/assoc/contacts/cmd/internal/wire"
	"github.com/assoc/contacts/domain"
	"github.com/assoc/contacts/eventstore/postgres"
)

const (
	// benchBatch is the number of events per append in the batch scenarios.
	benchBatch = 100
	// benchMinRead is the fewest events the read scenarios page through
	// (-read-events).
	benchMinRead = 200_000
	// benchPoolConns holds 16 writers, the reader and the store's notifier.
	benchPoolConns = 32
	// benchStreamPrefix marks every stream the bench writes.
	benchStreamPrefix = "bench-"
	// benchEventType is not a type the projections know, so a bench run
	// against a live database does not turn into fake contacts.
	benchEventType = "BenchContactRegistered"
)

// Targets: the store's share of raw PostgreSQL, and an absolute read rate.
const (
	targetSingle = 0.6
	targetBatch  = 0.7
	targetRead   = 300_000.0
)

// rawTableDDL is the baseline table: the events table's columns without the
// store's logic (no streams table, no function, no xid8 column, no unique
// (stream, version) or event_id index). id is its only index, so a reader
// can page it by keyset in write order, as ReadAll pages events.
const rawTableDDL = `CREATE TABLE bench_raw_events (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_id    uuid NOT NULL,
    stream      text NOT NULL,
    version     bigint NOT NULL,
    type        text NOT NULL,
    data        json NOT NULL,
    metadata    json NOT NULL,
    recorded_at timestamptz NOT NULL DEFAULT now()
)`

// rawUniqueDDL gives the raw table the store's unique indexes (-raw-unique),
// to tell their cost from that of the store's logic.
const rawUniqueDDL = `ALTER TABLE bench_raw_events
    ADD UNIQUE (stream, version),
    ADD UNIQUE (event_id)`

const (
	rawInsertOne = `INSERT INTO bench_raw_events (event_id, stream, version, type, data, metadata)
VALUES ($1, $2, $3, $4, $5, $6)`
	rawInsertMany = `INSERT INTO bench_raw_events (event_id, stream, version, type, data, metadata)
SELECT * FROM unnest($1::uuid[], $2::text[], $3::bigint[], $4::text[], $5::json[], $6::json[])`
	rawReadPage = `SELECT id, event_id, stream, version, type, data, metadata, recorded_at
FROM bench_raw_events WHERE id > $1 ORDER BY id LIMIT $2`
)

// runBenchStore implements "contacts-bench store".
func runBenchStore(ctx context.Context, cfg wire.Config, logger *slog.Logger, args []string) error {
	fs := flag.NewFlagSet("bench store", flag.ContinueOnError)
	duration := fs.Duration("duration", 5*time.Second, "measured time of each scenario (after a warm-up)")
	writersFlag := fs.String("writers", "1,4,16", "comma-separated numbers of concurrent writers")
	pagesFlag := fs.String("pages", "1000,5000", "comma-separated page sizes tried for the log read")
	rounds := fs.Int("rounds", 5, "slices each measurement is cut into, store and raw taking turns")
	rawUnique := fs.Bool("raw-unique", false, "diagnostic: give the raw table the store's unique (stream, version) and event_id indexes")
	uuidV4 := fs.Bool("uuidv4", false, "diagnostic: random UUIDv4 event IDs instead of the service's time-ordered UUIDv7")
	cpuProfile := fs.String("cpuprofile", "", "diagnostic: write a CPU profile of the whole run to this file")
	minRead := fs.Int("read-events", benchMinRead, "the fewest events the read scenarios page through on each side")
	if err := fs.Parse(args); err != nil {
		return err
	}
	writers, err := parseInts(*writersFlag)
	if err != nil {
		return fmt.Errorf("bench store: -writers: %w", err)
	}
	pages, err := parseInts(*pagesFlag)
	if err != nil {
		return fmt.Errorf("bench store: -pages: %w", err)
	}
	if *duration <= 0 || *rounds <= 0 || *minRead <= 0 {
		return fmt.Errorf("bench store: -duration, -rounds and -read-events must be positive")
	}

	// With the private PostgreSQL, use a cluster of its own so the user's
	// data is untouched.
	benchDir := ""
	if cfg.DatabaseURL == "" {
		benchDir, err = filepath.Abs(filepath.Join(cfg.DataDir, "bench"))
		if err != nil {
			return fmt.Errorf("bench store: %w", err)
		}
		cfg.DataDir = benchDir
	}
	// The service's pool is sized for the service; the bench needs room
	// for 16 writers.
	cfg.PoolConns = benchPoolConns
	app, err := wire.Open(ctx, cfg, wire.Database, logger)
	if err != nil {
		return fmt.Errorf("bench store: %w", err)
	}
	defer app.Close() //nolint:errcheck // logged
	pool := app.Pool
	// The raw PostgreSQL store, whatever the configuration: the bench
	// measures it.
	store := postgres.New(pool, logger)
	defer store.Close()

	uuid.EnableRandPool() // the bench makes ~3 UUIDs per event; keep that cheap
	if *uuidV4 {
		newEventID = uuid.NewString
	}

	stopProfile, err := startProfile(*cpuProfile, "")
	if err != nil {
		return fmt.Errorf("bench store: %w", err)
	}
	defer stopProfile()

	b := &bench{
		pool:     pool,
		store:    store,
		out:      os.Stdout,
		duration: *duration,
		rounds:   *rounds,
		rawUniq:  *rawUnique,
		uuidV4:   *uuidV4,
		minRead:  *minRead,
		runID:    time.Now().UTC().Format("20060102T150405"),
	}
	if err := b.printHeader(ctx, benchDir); err != nil {
		return err
	}
	err = b.run(ctx, writers, pages)
	if benchDir != "" {
		fmt.Fprintf(b.out, "\nThe bench cluster is left in %s (remove that folder to reclaim the space).\n", benchDir)
	}
	return err
}

// bench holds what the scenarios share.
type bench struct {
	pool     *pgxpool.Pool
	store    *postgres.Store
	out      *os.File
	duration time.Duration // measured time of each side of a line
	rounds   int           // slices the duration is cut into
	rawUniq  bool          // the raw table has the store's unique indexes
	uuidV4   bool          // event IDs are random UUIDv4 (diagnostic)
	runID    string
	noCkpt   bool // CHECKPOINT was refused; stop trying
	minRead  int  // the fewest events the reads page through
}

func (b *bench) printHeader(ctx context.Context, benchDir string) error {
	var version, fsync, syncCommit, sharedBuffers string
	err := b.pool.QueryRow(ctx, `SELECT current_setting('server_version'), current_setting('fsync'),
		current_setting('synchronous_commit'), current_setting('shared_buffers')`).
		Scan(&version, &fsync, &syncCommit, &sharedBuffers)
	if err != nil {
		return fmt.Errorf("bench store: read server settings: %w", err)
	}
	sample := benchEvents(1)[0]
	w := b.out
	fmt.Fprintf(w, "contacts-bench store\n")
	fmt.Fprintf(w, "machine:    %d CPUs, %s/%s, %s\n", runtime.NumCPU(), runtime.GOOS, runtime.GOARCH, runtime.Version())
	fmt.Fprintf(w, "postgresql: %s (fsync=%s, synchronous_commit=%s, shared_buffers=%s)\n", version, fsync, syncCommit, sharedBuffers)
	if benchDir != "" {
		fmt.Fprintf(w, "database:   private bench cluster in %s (your data under %s is untouched)\n", benchDir, filepath.Dir(benchDir))
	} else {
		fmt.Fprintf(w, "database:   DATABASE_URL\n")
		fmt.Fprintf(w, "WARNING:    the bench WRITES INTO THIS DATABASE's event log (streams %s*, type %s), which\n", benchStreamPrefix, benchEventType)
		fmt.Fprintf(w, "            cannot be removed from an append-only log. It is meant for the private instance: unset DATABASE_URL.\n")
	}
	fmt.Fprintf(w, "writes:     streams %s%s-*, scratch table bench_raw_events (dropped at the end)\n", benchStreamPrefix, b.runID)
	if b.rawUniq {
		fmt.Fprintf(w, "raw:        plain INSERTs into bench_raw_events: same columns, identity primary key, and (-raw-unique)\n")
		fmt.Fprintf(w, "            the store's unique (stream, version) and event_id indexes; no streams table, no function\n")
	} else {
		fmt.Fprintf(w, "raw:        plain INSERTs into bench_raw_events: same columns, identity primary key only (no\n")
		fmt.Fprintf(w, "            streams table, no function, no unique (stream, version) or event_id index)\n")
	}
	idKind := "time-ordered UUIDv7 (as the service makes them)"
	if b.uuidV4 {
		idKind = "random UUIDv4 (-uuidv4)"
	}
	fmt.Fprintf(w, "events:     %d bytes of data, %d bytes of metadata, %s ids; batches of %d\n", len(sample.Data), len(sample.Metadata), idKind, benchBatch)
	fmt.Fprintf(w, "timing:     per line and side, a %s warm-up, then %s measured in %d slices, store and raw taking turns\n\n",
		warmupFor(b.duration), b.duration, b.rounds)
	return nil
}

func (b *bench) run(ctx context.Context, writers, pages []int) (err error) {
	cleanup := context.WithoutCancel(ctx)
	if _, err := b.pool.Exec(ctx, `DROP TABLE IF EXISTS bench_raw_events`); err != nil {
		return fmt.Errorf("bench store: drop old scratch table: %w", err)
	}
	if _, err := b.pool.Exec(ctx, rawTableDDL); err != nil {
		return fmt.Errorf("bench store: create scratch table: %w", err)
	}
	if b.rawUniq {
		if _, err := b.pool.Exec(ctx, rawUniqueDDL); err != nil {
			return fmt.Errorf("bench store: index scratch table: %w", err)
		}
	}
	defer func() {
		if _, dropErr := b.pool.Exec(cleanup, `DROP TABLE IF EXISTS bench_raw_events`); dropErr != nil {
			err = errors.Join(err, fmt.Errorf("bench store: drop scratch table: %w", dropErr))
		}
	}()
	before, err := b.logEnd(ctx)
	if err != nil {
		return err
	}
	b.checkpoint(ctx)

	fmt.Fprintf(b.out, "%-24s %7s %14s %14s %9s  %-22s\n", "scenario", "writers", "store ev/s", "raw ev/s", "store/raw", "target")
	fmt.Fprintln(b.out, strings.Repeat("-", 97))

	for _, n := range []int{1, benchBatch} {
		for _, wr := range writers {
			if err := b.appendLine(ctx, n, wr); err != nil {
				return err
			}
		}
	}

	// The reads page through what this run wrote (at least b.minRead
	// events), the same number of rows on each side.
	storeN, rawN, err := b.ensureRows(ctx, before)
	if err != nil {
		return err
	}
	total := min(storeN, rawN)
	fmt.Fprintf(b.out, "%s\nread: %s events per side (store log after position %s; scratch table from its first row)\n",
		strings.Repeat("-", 97), thousands(float64(total)), before)
	best, bestPage := 0.0, 0
	for _, page := range pages {
		storeRead := readLoop(before, total, page, b.storeReadPage)
		rawRead := readLoop(int64(0), total, page, b.rawReadPage)
		// Read everything once untimed: the first read of fresh rows sets
		// their hint bits, a one-off write.
		for _, step := range []stepFunc{storeRead, rawRead} {
			for done := 0; done < total; {
				n, err := step(ctx, 0, 0)
				if err != nil {
					return fmt.Errorf("bench store: read, page %d: %w", page, err)
				}
				done += n
			}
		}
		b.checkpoint(ctx)
		storeRate, rawRate, err := b.compare(ctx, 1, storeRead, rawRead)
		if err != nil {
			return fmt.Errorf("bench store: read, page %d: %w", page, err)
		}
		s := storeRate.perSecond()
		b.printLine(fmt.Sprintf("read all, page %d", page), 1, storeRate, rawRate,
			fmt.Sprintf("store >= %s ev/s", thousands(targetRead)), s >= targetRead)
		if s > best {
			best, bestPage = s, page
		}
	}
	fmt.Fprintf(b.out, "\nfastest log read: page size %d, %s events/s\n", bestPage, thousands(best))
	return nil
}

// appendLine measures one append scenario on both sides and prints it.
func (b *bench) appendLine(ctx context.Context, n, writers int) error {
	kind := "single"
	if n > 1 {
		kind = "batch" + strconv.Itoa(n)
	}
	streams := make([]string, writers)
	for i := range streams {
		streams[i] = fmt.Sprintf("%s%s-%s-%dw-%02d", benchStreamPrefix, b.runID, kind, writers, i)
	}
	storeRate, rawRate, err := b.compare(ctx, writers, b.storeAppend(streams, n), b.rawAppend(streams, n))
	if err != nil {
		return fmt.Errorf("bench store: %s, %d writers: %w", kind, writers, err)
	}
	target := targetSingle
	if n > 1 {
		target = targetBatch
	}
	ratio := storeRate.perSecond() / rawRate.perSecond()
	b.printLine(fmt.Sprintf("append %d event(s)/call", n), writers, storeRate, rawRate,
		fmt.Sprintf("store/raw >= %.1f", target), ratio >= target)
	return nil
}

func (b *bench) printLine(scenario string, writers int, store, raw rate, target string, ok bool) {
	verdict := "ok"
	if !ok {
		verdict = "MISSED"
	}
	fmt.Fprintf(b.out, "%-24s %7d %14s %14s %9.2f  %-22s %s\n", scenario, writers,
		thousands(store.perSecond()), thousands(raw.perSecond()), store.perSecond()/raw.perSecond(), target, verdict)
}

// checkpoint flushes what came before (the start of the run, the hint bits
// set by the untimed reads), so it is not written during a measurement.
func (b *bench) checkpoint(ctx context.Context) {
	if b.noCkpt {
		return
	}
	if _, err := b.pool.Exec(ctx, `CHECKPOINT`); err != nil {
		b.noCkpt = true
		fmt.Fprintf(b.out, "(no CHECKPOINT between measurements: %v)\n", err)
	}
}

// compare measures the store's step and the raw one with the same number
// of writers: a warm-up each, then b.rounds slices each, taking turns and
// alternating who goes first, so a change in the machine's load (other
// programs, a checkpoint) falls on both sides alike.
func (b *bench) compare(ctx context.Context, writers int, storeStep, rawStep stepFunc) (store, raw rate, err error) {
	if _, err := measure(ctx, writers, warmupFor(b.duration), storeStep); err != nil {
		return store, raw, fmt.Errorf("store warm-up: %w", err)
	}
	if _, err := measure(ctx, writers, warmupFor(b.duration), rawStep); err != nil {
		return store, raw, fmt.Errorf("raw warm-up: %w", err)
	}
	slice := b.duration / time.Duration(b.rounds)
	for round := range b.rounds {
		sides := []struct {
			name string
			step stepFunc
			sum  *rate
		}{{"store", storeStep, &store}, {"raw", rawStep, &raw}}
		if round%2 == 1 {
			sides[0], sides[1] = sides[1], sides[0]
		}
		for _, side := range sides {
			r, err := measure(ctx, writers, slice, side.step)
			if err != nil {
				return store, raw, fmt.Errorf("%s: %w", side.name, err)
			}
			side.sum.events += r.events
			side.sum.elapsed += r.elapsed
		}
	}
	return store, raw, nil
}

// storeAppend appends n events per call through the store, each writer to
// its own stream, with the exact expected version.
func (b *bench) storeAppend(streams []string, n int) stepFunc {
	versions := make([]int64, len(streams)) // each writer touches only its own
	return func(ctx context.Context, writer, _ int) (int, error) {
		res, err := b.store.Append(ctx, streams[writer], domain.Exact(versions[writer]), benchEvents(n))
		if err != nil {
			return 0, err
		}
		versions[writer] = res.Version
		return n, nil
	}
}

// rawAppend inserts the same rows into the scratch table: one INSERT per
// row, or one multi-row INSERT per batch, each in its own transaction.
func (b *bench) rawAppend(streams []string, n int) stepFunc {
	versions := make([]int64, len(streams)) // each writer touches only its own
	return func(ctx context.Context, writer, _ int) (int, error) {
		events := benchEvents(n)
		first := versions[writer] + 1
		if n == 1 {
			e := events[0]
			_, err := b.pool.Exec(ctx, rawInsertOne, e.ID, streams[writer], first, e.Type, e.Data, e.Metadata)
			if err != nil {
				return 0, err
			}
			versions[writer]++
			return 1, nil
		}
		ids := make([]string, n)
		names := make([]string, n)
		numbers := make([]int64, n)
		types := make([]string, n)
		data := make([][]byte, n)
		metadata := make([][]byte, n)
		for i, e := range events {
			ids[i], names[i], numbers[i], types[i], data[i], metadata[i] =
				e.ID, streams[writer], first+int64(i), e.Type, e.Data, e.Metadata
		}
		if _, err := b.pool.Exec(ctx, rawInsertMany, ids, names, numbers, types, data, metadata); err != nil {
			return 0, err
		}
		versions[writer] += int64(n)
		return n, nil
	}
}

// logEnd returns the position of the log's last event (Start when empty):
// the reads start after it, on what this run writes.
func (b *bench) logEnd(ctx context.Context) (domain.Position, error) {
	var (
		pos domain.Position
		id  int64
	)
	rows, err := b.pool.Query(ctx, `SELECT transaction_id, id FROM events ORDER BY transaction_id DESC, id DESC LIMIT 1`)
	if err != nil {
		return pos, fmt.Errorf("bench store: find end of log: %w", err)
	}
	defer rows.Close()
	if rows.Next() {
		if err := rows.Scan(&pos.Commit, &id); err != nil {
			return pos, fmt.Errorf("bench store: find end of log: %w", err)
		}
		pos.Prepare = uint64(id)
	}
	if err := rows.Err(); err != nil {
		return pos, fmt.Errorf("bench store: find end of log: %w", err)
	}
	return pos, nil
}

// ensureRows tops both sides up to b.minRead rows (short -duration runs)
// and returns how many each holds.
func (b *bench) ensureRows(ctx context.Context, before domain.Position) (storeN, rawN int, err error) {
	count := func() error {
		if err := b.pool.QueryRow(ctx, `SELECT count(*) FROM events WHERE (transaction_id, id) > ($1::xid8, $2)`,
			before.Commit, int64(before.Prepare)).Scan(&storeN); err != nil {
			return fmt.Errorf("bench store: count events: %w", err)
		}
		if err := b.pool.QueryRow(ctx, `SELECT count(*) FROM bench_raw_events`).Scan(&rawN); err != nil {
			return fmt.Errorf("bench store: count scratch rows: %w", err)
		}
		return nil
	}
	if err := count(); err != nil {
		return 0, 0, err
	}
	streams := []string{fmt.Sprintf("%s%s-fill", benchStreamPrefix, b.runID)}
	storeStep, rawStep := b.storeAppend(streams, benchBatch), b.rawAppend(streams, benchBatch)
	for storeN < b.minRead {
		n, err := storeStep(ctx, 0, 0)
		if err != nil {
			return 0, 0, fmt.Errorf("bench store: fill log: %w", err)
		}
		storeN += n
	}
	for rawN < b.minRead {
		n, err := rawStep(ctx, 0, 0)
		if err != nil {
			return 0, 0, fmt.Errorf("bench store: fill scratch table: %w", err)
		}
		rawN += n
	}
	return storeN, rawN, waitLogVisible(ctx, b.pool)
}

func (b *bench) storeReadPage(ctx context.Context, after domain.Position, limit int) (domain.Position, int, error) {
	events, err := b.store.ReadAll(ctx, after, limit)
	if err != nil || len(events) == 0 {
		return after, 0, err
	}
	return events[len(events)-1].Position, len(events), nil
}

// rawReadPage reads a page of the scratch table into the same structs the
// store returns, so both sides do the same client work.
func (b *bench) rawReadPage(ctx context.Context, after int64, limit int) (int64, int, error) {
	rows, err := b.pool.Query(ctx, rawReadPage, after, limit)
	if err != nil {
		return after, 0, err
	}
	events, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (e domain.RecordedEvent, err error) {
		var id int64
		err = row.Scan(&id, &e.ID, &e.Stream, &e.Version, &e.Type, &e.Data, &e.Metadata, &e.RecordedAt)
		e.Position.Prepare = uint64(id)
		return e, err
	})
	if err != nil || len(events) == 0 {
		return after, 0, err
	}
	return int64(events[len(events)-1].Position.Prepare), len(events), nil
}

// readLoop returns a step that reads the next page of total rows after
// start, and starts over after the last one. It is for one caller at a time.
func readLoop[C any](start C, total, page int, read func(context.Context, C, int) (C, int, error)) stepFunc {
	cursor, done := start, 0
	return func(ctx context.Context, _, _ int) (int, error) {
		next, n, err := read(ctx, cursor, min(page, total-done))
		if err != nil {
			return 0, err
		}
		if n == 0 {
			return 0, fmt.Errorf("the rows ended after %d of %d", done, total)
		}
		cursor, done = next, done+n
		if done >= total {
			cursor, done = start, 0
		}
		return n, nil
	}
}

// stepFunc does one unit of work for writer (0..writers-1): an append, or
// the next page of a read. It returns the events it handled. Steps keep
// their own state (stream versions, read cursors) from call to call.
type stepFunc func(ctx context.Context, writer, iteration int) (events int, err error)

// rate is a number of events handled in a time.
type rate struct {
	events  int
	elapsed time.Duration
}

func (r rate) perSecond() float64 {
	if r.elapsed <= 0 {
		return 0
	}
	return float64(r.events) / r.elapsed.Seconds()
}

// warmupFor is the unmeasured run before a measurement of d.
func warmupFor(d time.Duration) time.Duration {
	return min(d/5, time.Second)
}

// measure runs step on writers goroutines, each calling it again and again
// (iteration counts from 0 in each goroutine) until duration has passed,
// and returns the rate of events they handled. The first error stops every
// writer and is returned.
func measure(ctx context.Context, writers int, duration time.Duration, step stepFunc) (rate, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		events   atomic.Int64
		once     sync.Once
		firstErr error
		wg       sync.WaitGroup
	)
	start := time.Now()
	deadline := start.Add(duration)
	for w := range writers {
		wg.Go(func() {
			for i := 0; time.Now().Before(deadline); i++ {
				n, err := step(ctx, w, i)
				if err != nil {
					once.Do(func() {
						firstErr = fmt.Errorf("writer %d, iteration %d: %w", w, i, err)
						cancel()
					})
					return
				}
				events.Add(int64(n))
			}
		})
	}
	wg.Wait()
	return rate{events: int(events.Load()), elapsed: time.Since(start)}, firstErr
}

// newEventID makes event IDs as the service does (domain.NewID: UUIDv7), or
// random UUIDv4 with -uuidv4.
var newEventID = domain.NewID

// benchEvents returns n events as one command would append them: one
// community, correlation id and time, a contact each. (The community is in
// every event the service writes, and the log indexes it: migration 0016.)
func benchEvents(n int) []domain.EventData {
	now := time.Now().UTC().Format(time.RFC3339Nano)
	metadata := fmt.Appendf(nil,
		`{"community_id":"%s","actor":"user:%s","command":"RegisterContact","correlation_id":"%s","time":"%s"}`,
		uuid.New(), uuid.New(), uuid.New(), now)
	events := make([]domain.EventData, n)
	for i := range events {
		contact := uuid.New()
		events[i] = domain.EventData{
			ID:   newEventID(),
			Type: benchEventType,
			Data: fmt.Appendf(nil,
				`{"contact_id":"%s","first_name":"Élodie","last_name":"Martin-Lefèvre","email":"elodie.martin.%s@example.org","phone":"+33 6 12 34 56 78","city":"Lyon","postcode":"69003"}`,
				contact, contact.String()[:8]),
			Metadata: metadata,
		}
	}
	return events
}

func parseInts(s string) ([]int, error) {
	var out []int
	for f := range strings.SplitSeq(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n <= 0 {
			return nil, fmt.Errorf("%q is not a positive number", f)
		}
		out = append(out, n)
	}
	return out, nil
}

// thousands formats v rounded, with comma grouping: 12,345.
func thousands(v float64) string {
	s := strconv.FormatInt(int64(v+0.5), 10)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}
