package main

// contacts-bench contacts: the contacts read model at 100,000 contacts.
//
// It seeds a community named "bench" through the real command path (the
// domain handler, key reservations and all), runs the contacts projector,
// rebuilds the read model from the whole log, then measures the latency of
// the admins' list queries (projections.Queries.ListContacts) beside a raw
// baseline: the equivalent plain SQL on a scratch table with the same rows
// and plain indexes, in the same run, the two sides taking turns.

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/assoc/contacts/cmd/internal/seeding"
	"github.com/assoc/contacts/cmd/internal/wire"
	"github.com/assoc/contacts/domain"
	"github.com/assoc/contacts/projections"
)

const (
	// bcCommunityName names the community the bench seeds and reuses.
	bcCommunityName = "bench"
	// bcArchivedPercent of the seeded contacts are archived.
	bcArchivedPercent = 30
	// bcPoolConns holds the callers, their concurrent key claims, the
	// projector and the store's notifier and listener.
	bcPoolConns = 32
	// bcCatchUpTimeout bounds a wait for the projector.
	bcCatchUpTimeout = 20 * time.Minute
	// Page sizes of the measured lists.
	bcActivePage   = 50
	bcArchivedPage = 1000
)

// Targets (issue 15: they hold at 1,000,000 contacts).
const (
	bcTargetRebuild     = 100_000.0 // events/s
	bcTargetArchivedP99 = 15 * time.Millisecond
	bcTargetActiveP99   = 5 * time.Millisecond
	bcTargetSearchP99   = 20 * time.Millisecond
)

// The raw baseline: the list columns of the contacts read model in a plain
// table, a plain btree for the sorted list and a trigram index on the
// search expression, in the service's search form (search_form, migration
// 0020: folded, spaces and punctuation made one letter), so both sides
// answer the same question (a raw lower() once kept accents: "jerome
// lemaitre" then matched 604 contacts named Jérôme Lemaître on the service
// and none raw). (first_name and last_name keep the read
// model's fr-x-icu collation, so both sides sort alike.) The raw side's
// search runs as a prepared statement, as plain code would.
const (
	bcPlainTable  = "bench_plain_contacts"
	bcPlainSearch = `search_form(first_name || ' ' || last_name || ' ' || email || ' ' || external_id)`
	bcPlainCreate = `CREATE TABLE bench_plain_contacts AS
SELECT id, community_id, status, email, first_name, last_name, external_id FROM contacts`
	bcPlainIndexList   = `CREATE INDEX bench_plain_contacts_list ON bench_plain_contacts (community_id, status, last_name, id)`
	bcPlainIndexSearch = `CREATE INDEX bench_plain_contacts_search ON bench_plain_contacts USING gin ((` + bcPlainSearch + `) gin_trgm_ops)`
	bcPlainColumns     = `id, community_id, status, email, first_name, last_name, external_id`

	bcPlainFirstPage = `SELECT ` + bcPlainColumns + ` FROM bench_plain_contacts
WHERE community_id = $1 AND status = $2 ORDER BY last_name, id LIMIT $3`
	bcPlainAfter = `SELECT ` + bcPlainColumns + ` FROM bench_plain_contacts
WHERE community_id = $1 AND status = $2 AND (last_name, id) > ($3, $4::uuid) ORDER BY last_name, id LIMIT $5`
	bcPlainSearchPage = `SELECT ` + bcPlainColumns + ` FROM bench_plain_contacts
WHERE community_id = $1 AND status = $2 AND ` + bcPlainSearch + ` LIKE '%' || search_form($3) || '%' ORDER BY last_name, id LIMIT $4`
)

// Names with accents (seed.go's and more), so the data exercises the French
// collation and the accent-blind search.
var (
	bcFirstNames = slices.Concat(seeding.FirstNames, []string{
		"Adèle", "Aurélie", "Benoît", "Cécile", "Cédric", "Clémence", "Côme", "Élise", "Frédéric", "Gérard",
		"Héloïse", "Jérémie", "Joël", "Maïté", "Mélanie", "Rémi", "Ségolène", "Stéphane", "Valérie", "Anaëlle",
	})
	bcLastNameBases = slices.Concat(seeding.LastNames, []string{
		"Béranger", "Castaño", "Desbordes", "Fénelon", "Guérin", "Lefebvre", "Mérimée", "Pétain", "Régnier", "Thévenin",
	})
	// bcLastNames are the bases and every double-barrelled pair of two of
	// them: 30 + 30×29 = 900 variants.
	bcLastNames = func() []string {
		names := slices.Clone(bcLastNameBases)
		for _, a := range bcLastNameBases {
			for _, b := range bcLastNameBases {
				if a != b {
					names = append(names, a+"-"+b)
				}
			}
		}
		return names
	}()
	bcMailDomains = []string{"exemple.fr", "exemple.org", "courriel.example.net", "asso-quartier.example.org"}
	// bcFold spells a name as an email's local part: lower case, no accents.
	bcFold = strings.NewReplacer(
		"à", "a", "â", "a", "ä", "a", "ç", "c", "é", "e", "è", "e", "ê", "e", "ë", "e",
		"î", "i", "ï", "i", "ô", "o", "ö", "o", "ù", "u", "û", "u", "ü", "u", "ÿ", "y", "ñ", "n",
		"œ", "oe", "æ", "ae",
	)
)

// bcSearches are the search fragments, by kind: common names typed
// without accents, rare fragments (an external ID, a contact's number in
// its email, an uncommon pair of names), absent ones, names typed with
// their accents, email fragments, two and three letters (the first letters
// typed in the console's live search; those in no name are the worst case
// of all: no trigram to look them up by, every contact's text to read).
var bcSearches = []struct {
	kind      string
	fragments []string
	// slow kinds read every contact (the raw side's generic plan ~10 s a
	// query at a million contacts): a few requests do.
	slow bool
}{
	{kind: "common names", fragments: []string{"helene", "lefevre", "elodie", "francois", "eluard", "chenier", "noel", "duboeuf", "jerome lemaitre", "raphael"}},
	{kind: "rare", fragments: []string{"M0004242", "M0077777", ".31415@", ".27182@", "thevenin-castano", "zoe mérimée-fenelon", "gael regnier-pet"}},
	{kind: "absent", fragments: []string{"xylophone", "qqq", "zzw", "dupont", "lefevre-lefevre", "@exemple.com", "M9999999", "jérômeé"}},
	{kind: "accented", fragments: []string{"hélène", "lefèvre", "chénier", "maëlle", "dubœuf", "Jérôme Lemaître", "ségolène", "béranger"}},
	{kind: "email fragments", fragments: []string{"@exemple.fr", "courriel", "helene.dupre", "lefevre-girard", "12345", "4242@", ".777@", "zoe.benoit"}},
	{kind: "2 letters", fragments: []string{"le", "an", "oe", "zo", "du", "ma", "ch", "be"}},
	{kind: "2 letters in no name", fragments: []string{"qw", "xk", "wz", "ru"}, slow: true},
	{kind: "3 letters", fragments: []string{"ber", "eve", "oel", "aud", "ier", "lem", "gir", "ard", "ene", "ain"}},
}

// bcContactValues returns the values of the bench's contact number i: one
// of 40 first names, one of 900 last names, an email and external ID unique
// in the community.
func bcContactValues(i int) map[string]string {
	r := rand.New(rand.NewPCG(uint64(i), 0x636f6e7461637473))
	first := bcFirstNames[r.IntN(len(bcFirstNames))]
	last := bcLastNames[r.IntN(len(bcLastNames))]
	email := fmt.Sprintf("%s.%s.%d@%s", bcFold.Replace(strings.ToLower(first)), bcFold.Replace(strings.ToLower(last)),
		i, bcMailDomains[r.IntN(len(bcMailDomains))])
	return map[string]string{
		domain.KeyFirstName:  first,
		domain.KeyLastName:   last,
		domain.KeyEmail:      email,
		domain.KeyExternalID: fmt.Sprintf("M%07d", i),
	}
}

// runBenchContacts implements "contacts-bench contacts".
func runBenchContacts(ctx context.Context, cfg wire.Config, logger *slog.Logger, args []string) error {
	fs := flag.NewFlagSet("bench contacts", flag.ContinueOnError)
	n := fs.Int("n", 100_000, "contacts in the bench community (seeded once, reused by later runs)")
	requests := fs.Int("requests", 2000, "measured queries per scenario and side")
	callers := fs.Int("callers", 8, "concurrent callers registering and archiving")
	useURL := fs.Bool("use-database-url", false, "allow running against DATABASE_URL: it registers -n contacts there and TRUNCATEs and rebuilds its read models")
	keepPlain := fs.Bool("keep-plain", false, "diagnostic: keep the scratch table "+bcPlainTable+" (for EXPLAIN)")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the bench process to this file")
	rebuild := fs.Bool("rebuild", true, "rebuild the read model from the log and measure it (false: measure the queries only)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *n <= 0 || *requests <= 0 || *callers <= 0 {
		return fmt.Errorf("bench contacts: -n, -requests and -callers must be positive")
	}
	benchDir := ""
	if cfg.DatabaseURL == "" {
		dir, err := filepath.Abs(filepath.Join(cfg.DataDir, bcFolder(*n)))
		if err != nil {
			return fmt.Errorf("bench contacts: %w", err)
		}
		benchDir, cfg.DataDir = dir, dir
	} else if !*useURL {
		return fmt.Errorf("bench contacts: DATABASE_URL is set: the bench would register %d contacts there and truncate and rebuild "+
			"its read models; unset it (a private bench cluster is used) or pass -use-database-url", *n)
	}
	// The production path: personal values sealed (see eventstore/sealed).
	cfg.PoolConns = bcPoolConns
	app, err := wire.Open(ctx, cfg, wire.Services, logger)
	if err != nil {
		return fmt.Errorf("bench contacts: %w", err)
	}
	defer app.Close() //nolint:errcheck // logged
	b := &contactsBench{
		pool:     app.Pool,
		store:    app.Store,
		logger:   logger,
		handler:  app.Handler,
		queries:  app.Queries,
		out:      os.Stdout,
		n:        *n,
		requests: *requests,
		callers:  *callers,
		rng:      rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 1)),
		app:      app,
	}
	if err := b.printHeader(ctx, benchDir); err != nil {
		return err
	}
	stop, err := startCPUProfile(*cpuProfile)
	if err != nil {
		return fmt.Errorf("bench contacts: %w", err)
	}
	defer stop()
	err = b.run(ctx, *keepPlain, *rebuild)
	if benchDir != "" {
		fmt.Fprintf(b.out, "\nThe bench cluster is left in %s (remove that folder to reclaim the space; a re-run reuses its contacts).\n", benchDir)
	}
	return err
}

// bcFolder names the bench cluster's folder under the data folder: one per
// community size, so a run at 1,000,000 leaves the 100,000 one as it was.
func bcFolder(n int) string {
	if n == 100_000 {
		return "bench-contacts"
	}
	return fmt.Sprintf("bench-contacts-%d", n)
}

// contactsBench holds what the steps share.
type contactsBench struct {
	pool     *pgxpool.Pool
	store    domain.EventStore
	logger   *slog.Logger
	handler  *domain.Handler
	queries  *projections.Queries
	out      *os.File
	n        int
	requests int
	callers  int
	rng      *rand.Rand

	projector *bcProjector // the running projector, if any
	community string
	// app serves the console's pages; console is it, signed in.
	app     *wire.App
	console *bcConsole
}

func (b *contactsBench) printHeader(ctx context.Context, benchDir string) error {
	var version, fsync, syncCommit, sharedBuffers, workMem string
	err := b.pool.QueryRow(ctx, `SELECT current_setting('server_version'), current_setting('fsync'),
		current_setting('synchronous_commit'), current_setting('shared_buffers'), current_setting('work_mem')`).
		Scan(&version, &fsync, &syncCommit, &sharedBuffers, &workMem)
	if err != nil {
		return fmt.Errorf("bench contacts: read server settings: %w", err)
	}
	w := b.out
	fmt.Fprintf(w, "contacts-bench contacts\n")
	fmt.Fprintf(w, "machine:    %d CPUs, %s/%s, %s\n", runtime.NumCPU(), runtime.GOOS, runtime.GOARCH, runtime.Version())
	fmt.Fprintf(w, "postgresql: %s (fsync=%s, synchronous_commit=%s, shared_buffers=%s, work_mem=%s)\n",
		version, fsync, syncCommit, sharedBuffers, workMem)
	if benchDir != "" {
		fmt.Fprintf(w, "database:   private bench cluster in %s (your data under %s is untouched)\n", benchDir, filepath.Dir(benchDir))
	} else {
		fmt.Fprintf(w, "database:   DATABASE_URL (-use-database-url): contacts registered there stay in its log\n")
	}
	fmt.Fprintf(w, "data:       community %q, %s contacts (%d%% archived), %d first names x %d last names, unique emails\n",
		bcCommunityName, thousands(float64(b.n)), bcArchivedPercent, len(bcFirstNames), len(bcLastNames))
	fmt.Fprintf(w, "raw:        plain SQL on scratch table %s (same rows, list columns only): btree (community_id, status,\n", bcPlainTable)
	fmt.Fprintf(w, "            last_name, id), gin trigram on %s; dropped at the end\n", bcPlainSearch)
	fmt.Fprintf(w, "timing:     %d queries per scenario and side, one at a time, service and raw taking turns, after %d unmeasured each\n\n",
		b.requests, bcWarmup(b.requests))
	return nil
}

func (b *contactsBench) run(ctx context.Context, keepPlain, rebuild bool) error {
	defer b.stopProjector()

	// 1. The bench community: reuse it, top it up, or seed it.
	if err := b.ensureSeeded(ctx); err != nil {
		return err
	}

	// 2. Rebuild the read model from the start of the log.
	var rebuildRate float64
	if rebuild {
		var err error
		if rebuildRate, err = b.rebuild(ctx); err != nil {
			return err
		}
	}

	// 3. Queries, beside the raw baseline.
	lines, err := b.measureQueries(ctx, keepPlain)
	if lines == nil {
		return err
	}
	fmt.Fprintf(b.out, "\n%-32s %8s %8s %8s %8s %9s %8s  %-16s\n", "scenario", "p50", "p95", "p99", "max", "raw p99", "p99/raw", "target")
	fmt.Fprintln(b.out, strings.Repeat("-", 110))
	if rebuild {
		fmt.Fprintf(b.out, "%-32s %8s %8s %8s %8s %9s %8s  %-16s %s\n", "rebuild read model (events/s)",
			thousands(rebuildRate), "", "", "", "", "", ">= "+thousands(bcTargetRebuild), verdict(rebuildRate >= bcTargetRebuild))
	}
	for _, l := range lines {
		s, r := l.service, l.raw
		fmt.Fprintf(b.out, "%-32s %8s %8s %8s %8s %9s %8.2f  %-16s %s\n", l.name,
			ms(s.pct(50)), ms(s.pct(95)), ms(s.pct(99)), ms(s.max()), ms(r.pct(99)),
			float64(s.pct(99))/float64(max(r.pct(99), time.Microsecond)), "p99 <= "+ms(l.target), verdict(s.pct(99) <= l.target))
		fmt.Fprintf(b.out, "%-32s %8s %8s %8s %8s\n", "  raw (plain SQL)", ms(r.pct(50)), ms(r.pct(95)), ms(r.pct(99)), ms(r.max()))
	}
	return err
}

// ensureSeeded brings the contacts read model up to the log, then finds or
// creates the bench community and tops it up to b.n contacts, 30 %
// archived, with the projector stopped at the end.
func (b *contactsBench) ensureSeeded(ctx context.Context) error {
	if err := b.startProjector(ctx); err != nil {
		return err
	}
	if _, err := b.catchUp(ctx); err != nil {
		return err
	}
	if err := b.ensureCommunity(ctx); err != nil {
		return err
	}
	if err := b.ensureContacts(ctx); err != nil {
		return err
	}
	b.stopProjector()
	return nil
}

// measureQueries makes the raw baseline's scratch table (dropped at the end
// unless keepPlain), then measures each list and search scenario beside it.
// It returns the lines measured, even when dropping the table failed.
func (b *contactsBench) measureQueries(ctx context.Context, keepPlain bool) (lines []bcLine, err error) {
	drop, err := b.makePlain(ctx)
	if err != nil {
		return nil, err
	}
	if !keepPlain {
		defer func() { err = errors.Join(err, drop()) }()
	}
	if _, err := b.pool.Exec(ctx, `CHECKPOINT`); err != nil {
		fmt.Fprintf(b.out, "(no CHECKPOINT before the queries: %v)\n", err)
	}
	defer b.closeConsole()
	scenarios := []func(context.Context) (bcLine, error){b.archivedFirstPage, b.activePages, b.consoleActivePages, b.consoleArchivedPage}
	for _, status := range []domain.ContactStatus{domain.StatusActive, domain.StatusArchived} {
		for _, s := range bcSearches {
			scenarios = append(scenarios, func(ctx context.Context) (bcLine, error) {
				requests := b.requests
				if s.slow {
					b.requests = min(b.requests, 5)
					defer func() { b.requests = requests }()
				}
				return b.search(ctx, status, s.kind, s.fragments)
			})
		}
	}
	for _, measure := range scenarios {
		line, err := measure(ctx)
		if err != nil {
			return nil, err
		}
		lines = append(lines, line)
	}
	return lines, nil
}

// makePlain makes the raw baseline's scratch tables, afresh: the list
// columns of the contacts read model in a plain table with plain indexes,
// and an empty table for registering. It returns a function that drops
// them.
func (b *contactsBench) makePlain(ctx context.Context) (drop func() error, err error) {
	tables := []string{bcPlainTable, "bench_plain_registered"}
	drop = func() error {
		for _, t := range tables {
			if _, err := b.pool.Exec(context.WithoutCancel(ctx), `DROP TABLE IF EXISTS `+t); err != nil {
				return fmt.Errorf("bench contacts: drop scratch table %s: %w", t, err)
			}
		}
		return nil
	}
	if err := drop(); err != nil {
		return nil, err
	}
	for _, stmt := range []string{bcPlainCreate, bcPlainIndexList, bcPlainIndexSearch, `VACUUM ANALYZE ` + bcPlainTable, loadRegisterTable} {
		if _, err := b.pool.Exec(ctx, stmt); err != nil {
			return nil, fmt.Errorf("bench contacts: scratch table: %s: %w", firstLine(stmt), err)
		}
	}
	return drop, nil
}

// verdict says whether a figure met its target.
func verdict(ok bool) string {
	if ok {
		return "ok"
	}
	return "MISSED"
}

// bcProjector is a running projections.Runner with the contacts projector.
type bcProjector struct {
	runner *projections.Runner
	cancel context.CancelFunc
	done   chan struct{}
}

func (b *contactsBench) startProjector(ctx context.Context) error {
	if b.projector != nil {
		return nil
	}
	ctx, cancel := context.WithCancel(ctx)
	p := &bcProjector{runner: projections.NewRunner(b.pool, b.store, b.logger), cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(p.done)
		p.runner.Run(ctx, projections.ContactsProjector{})
	}()
	b.projector = p
	return nil
}

func (b *contactsBench) stopProjector() {
	if b.projector == nil {
		return
	}
	b.projector.cancel()
	<-b.projector.done
	b.projector = nil
}

// catchUp waits until the running projector has applied the whole log, and
// returns how many events the log holds.
func (b *contactsBench) catchUp(ctx context.Context) (int64, error) {
	end, count, err := b.logEnd(ctx)
	if err != nil {
		return 0, err
	}
	if err := b.projector.runner.WaitFor(ctx, projections.ContactsReadModel, end, bcCatchUpTimeout); err != nil {
		return 0, fmt.Errorf("bench contacts: wait for the projector to reach %s: %w", end, err)
	}
	return count, nil
}

// logEnd returns the position of the log's last event and the number of
// events in the log.
func (b *contactsBench) logEnd(ctx context.Context) (domain.Position, int64, error) {
	var (
		pos   domain.Position
		id    int64
		count int64
	)
	err := b.pool.QueryRow(ctx, `SELECT count(*) FROM events`).Scan(&count)
	if err != nil {
		return pos, 0, fmt.Errorf("bench contacts: count events: %w", err)
	}
	err = b.pool.QueryRow(ctx, `SELECT transaction_id, id FROM events ORDER BY transaction_id DESC, id DESC LIMIT 1`).
		Scan(&pos.Commit, &id)
	if errors.Is(err, pgx.ErrNoRows) {
		return domain.Start, 0, nil
	}
	if err != nil {
		return pos, 0, fmt.Errorf("bench contacts: find end of log: %w", err)
	}
	pos.Prepare = uint64(id)
	return pos, count, nil
}

func (b *contactsBench) caller() domain.Caller {
	return domain.Caller{CommunityID: b.community, Actor: "bench", CorrelationID: domain.NewID()}
}

// ensureCommunity finds the community named "bench" in the read model, or
// creates it.
func (b *contactsBench) ensureCommunity(ctx context.Context) error {
	err := b.pool.QueryRow(ctx, `SELECT id::text FROM communities WHERE name = $1 ORDER BY created_at LIMIT 1`, bcCommunityName).
		Scan(&b.community)
	if err == nil {
		return nil
	}
	if !errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("bench contacts: look up community %q: %w", bcCommunityName, err)
	}
	res, err := b.handler.CreateCommunity(ctx, domain.Caller{Actor: "bench", CorrelationID: domain.NewID()}, bcCommunityName)
	if err != nil {
		return fmt.Errorf("bench contacts: create community: %w", err)
	}
	b.community = res.ID
	return b.projector.runner.WaitFor(ctx, projections.ContactsReadModel, res.Position, bcCatchUpTimeout)
}

// counts returns the community's contacts in the read model: all, archived.
func (b *contactsBench) counts(ctx context.Context) (total, archived int, err error) {
	err = b.pool.QueryRow(ctx, `SELECT count(*), count(*) FILTER (WHERE status = 'archived') FROM contacts WHERE community_id = $1`,
		b.community).Scan(&total, &archived)
	if err != nil {
		err = fmt.Errorf("bench contacts: count contacts: %w", err)
	}
	return total, archived, err
}

// ensureContacts registers contacts until the community holds b.n, then
// archives active ones until 30% of b.n are archived, printing the rates.
func (b *contactsBench) ensureContacts(ctx context.Context) error {
	total, archived, err := b.counts(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(b.out, "community %s (%q): %s contacts, %s archived\n", b.community, bcCommunityName, thousands(float64(total)), thousands(float64(archived)))
	if total < b.n {
		err := b.timedCommands(ctx, "register", "registering", "RegisterContact", b.n-total, func(ctx context.Context, caller domain.Caller, i int) error {
			_, err := b.handler.RegisterContact(ctx, caller, bcContactValues(total+i))
			return err
		})
		if err != nil {
			return err
		}
	} else {
		fmt.Fprintf(b.out, "register: skipped (the community already holds %s contacts; remove the bench folder to measure it again)\n",
			thousands(float64(total)))
	}
	wantArchived := b.n * bcArchivedPercent / 100
	if archived >= wantArchived {
		return nil
	}
	ids, err := b.activeIDs(ctx, wantArchived-archived)
	if err != nil {
		return err
	}
	return b.timedCommands(ctx, "archive", "archiving", "ArchiveContact", len(ids), func(ctx context.Context, caller domain.Caller, i int) error {
		_, err := b.handler.ArchiveContact(ctx, caller, ids[i])
		return err
	})
}

// timedCommands stops the projector, runs n commands (do, the handler's
// method) on b.callers goroutines, prints their rate, then times the
// projector's catch-up.
func (b *contactsBench) timedCommands(ctx context.Context, what, doing, method string, n int, do func(context.Context, domain.Caller, int) error) error {
	fmt.Fprintf(b.out, "%s %s contacts through domain.Handler.%s, %d callers (projector stopped meanwhile)...\n",
		doing, thousands(float64(n)), method, b.callers)
	b.stopProjector()
	caller := b.caller()
	done, elapsed, err := seeding.Run(ctx, n, b.callers, func(ctx context.Context, i int) error {
		if err := do(ctx, caller, i); err != nil {
			return fmt.Errorf("bench contacts: %s #%d: %w", what, i, err)
		}
		return nil
	}, func(done int, elapsed time.Duration) {
		b.logger.Info(what, "done", done, "of", n, "per_second", int(float64(done)/elapsed.Seconds()))
	})
	if err != nil {
		return err
	}
	r := rate{events: done, elapsed: elapsed}
	fmt.Fprintf(b.out, "%-10s%s contacts in %s: %s contacts/s with %d callers\n",
		what+":", thousands(float64(r.events)), r.elapsed.Round(time.Millisecond), thousands(r.perSecond()), b.callers)
	return b.timedCatchUp(ctx, what)
}

// timedCatchUp starts the projector from its checkpoint, waits until it has
// applied the whole log and prints the rate of the events it applied.
func (b *contactsBench) timedCatchUp(ctx context.Context, after string) error {
	from, err := projections.Checkpoint(ctx, b.pool, projections.ContactsReadModel)
	if err != nil {
		return fmt.Errorf("bench contacts: %w", err)
	}
	var behind int64
	err = b.pool.QueryRow(ctx, `SELECT count(*) FROM events WHERE (transaction_id, id) > ($1::xid8, $2)`,
		strconv.FormatUint(from.Commit, 10), int64(from.Prepare)).Scan(&behind)
	if err != nil {
		return fmt.Errorf("bench contacts: count events behind the projector: %w", err)
	}
	start := time.Now()
	if err := b.startProjector(ctx); err != nil {
		return err
	}
	if _, err := b.catchUp(ctx); err != nil {
		return err
	}
	elapsed := time.Since(start)
	fmt.Fprintf(b.out, "catch-up after %s: the projector applied %s events in %s: %s events/s\n", after,
		thousands(float64(behind)), elapsed.Round(time.Millisecond), thousands(float64(behind)/elapsed.Seconds()))
	return nil
}

// activeIDs returns n active contacts of the community, picked at random.
func (b *contactsBench) activeIDs(ctx context.Context, n int) ([]string, error) {
	rows, err := b.pool.Query(ctx, `SELECT id::text FROM contacts WHERE community_id = $1 AND status = 'active' ORDER BY random() LIMIT $2`,
		b.community, n)
	if err != nil {
		return nil, fmt.Errorf("bench contacts: pick contacts to archive: %w", err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("bench contacts: pick contacts to archive: %w", err)
	}
	return ids, nil
}

// rebuild rebuilds the contacts read model from the whole log aside (new
// tables, loaded without secondary indexes, indexes built at the end) and
// swaps it in, as `contacts rebuild` does. It returns events/s.
func (b *contactsBench) rebuild(ctx context.Context) (float64, error) {
	if _, err := b.pool.Exec(ctx, `CHECKPOINT`); err != nil {
		fmt.Fprintf(b.out, "(no CHECKPOINT before the rebuild: %v)\n", err)
	}
	start := time.Now()
	stats, err := projections.NewRunner(b.pool, b.store, b.logger).Rebuild(ctx, projections.ContactsProjector{})
	if err != nil {
		return 0, fmt.Errorf("bench contacts: %w", err)
	}
	elapsed := time.Since(start)
	count := stats.Events
	fmt.Fprintf(b.out, "rebuild:  load %s, indexes %s, swap %s\n", stats.Load.Round(time.Millisecond),
		stats.Indexes.Round(time.Millisecond), stats.Swap.Round(time.Millisecond))
	total, archived, err := b.counts(ctx)
	if err != nil {
		return 0, err
	}
	r := float64(count) / elapsed.Seconds()
	fmt.Fprintf(b.out, "rebuild:  %s events replayed from the start of the log in %s: %s events/s (read model: %s contacts, %s archived)\n",
		thousands(float64(count)), elapsed.Round(time.Millisecond), thousands(r), thousands(float64(total)), thousands(float64(archived)))
	// The rows are fresh: set their hint bits and visibility map and give
	// the planner statistics, as autovacuum would soon after a rebuild.
	vstart := time.Now()
	if _, err := b.pool.Exec(ctx, `VACUUM ANALYZE contacts`); err != nil {
		return 0, fmt.Errorf("bench contacts: vacuum: %w", err)
	}
	fmt.Fprintf(b.out, "          then VACUUM ANALYZE contacts (untimed: %s)\n", time.Since(vstart).Round(time.Millisecond))
	return r, nil
}

// bcLine is one measured scenario.
type bcLine struct {
	name         string
	target       time.Duration
	service, raw bcLatencies
}

// compareLatency runs warm-up then b.requests rounds of service and raw,
// taking turns (alternating who goes first); param picks each round's
// parameters, shared by both sides.
func compareLatency[P any](ctx context.Context, b *contactsBench, name string, target time.Duration,
	param func(i int) P, service, raw func(context.Context, P) error) (bcLine, error) {
	line := bcLine{name: name, target: target}
	warm := bcWarmup(b.requests)
	for i := range warm + b.requests {
		p := param(i)
		sides := []struct {
			do  func(context.Context, P) error
			lat *bcLatencies
		}{{service, &line.service}, {raw, &line.raw}}
		if i%2 == 1 {
			sides[0], sides[1] = sides[1], sides[0]
		}
		for _, s := range sides {
			start := time.Now()
			if err := s.do(ctx, p); err != nil {
				return line, fmt.Errorf("bench contacts: %s: %w", name, err)
			}
			if i >= warm {
				*s.lat = append(*s.lat, time.Since(start))
			}
		}
	}
	return line, nil
}

// archivedFirstPage measures the first page of 1000 archived contacts.
func (b *contactsBench) archivedFirstPage(ctx context.Context) (bcLine, error) {
	return compareLatency(ctx, b, "archived, first page of 1000", bcTargetArchivedP99,
		func(int) struct{} { return struct{}{} },
		func(ctx context.Context, _ struct{}) error {
			page, err := b.queries.ListContacts(ctx, domain.ListQuery{
				CommunityID: b.community, Status: domain.StatusArchived, Sort: "last_name", Limit: bcArchivedPage})
			if err == nil && len(page.Items) != bcArchivedPage {
				err = fmt.Errorf("got %d contacts, want %d", len(page.Items), bcArchivedPage)
			}
			return err
		},
		func(ctx context.Context, _ struct{}) error {
			n, err := b.plainRows(ctx, bcPlainFirstPage, b.community, string(domain.StatusArchived), bcArchivedPage+1)
			if err == nil && n != bcArchivedPage+1 {
				err = fmt.Errorf("raw: got %d rows, want %d", n, bcArchivedPage+1)
			}
			return err
		})
}

// bcCursor is where an active page starts: the service's cursor and the
// keyset values it stands for.
type bcCursor struct {
	token, lastName, id string
}

// activePages walks the whole active list once (unmeasured) to collect
// every page's cursor, then measures pages of 50 at random cursors.
func (b *contactsBench) activePages(ctx context.Context) (bcLine, error) {
	var cursors []bcCursor
	token := ""
	for {
		page, err := b.queries.ListContacts(ctx, domain.ListQuery{
			CommunityID: b.community, Status: domain.StatusActive, Sort: "last_name", Cursor: token, Limit: bcActivePage})
		if err != nil {
			return bcLine{}, fmt.Errorf("bench contacts: walk the active list: %w", err)
		}
		if page.NextCursor == "" {
			break
		}
		last := page.Items[len(page.Items)-1]
		token = page.NextCursor
		cursors = append(cursors, bcCursor{token: token, lastName: last.LastName, id: last.ID})
	}
	if len(cursors) == 0 {
		return bcLine{}, fmt.Errorf("bench contacts: the active list has a single page")
	}
	return compareLatency(ctx, b, "active, page of 50 at a cursor", bcTargetActiveP99,
		func(int) bcCursor { return cursors[b.rng.IntN(len(cursors))] },
		func(ctx context.Context, c bcCursor) error {
			page, err := b.queries.ListContacts(ctx, domain.ListQuery{
				CommunityID: b.community, Status: domain.StatusActive, Sort: "last_name", Cursor: c.token, Limit: bcActivePage})
			if err == nil && len(page.Items) == 0 {
				err = fmt.Errorf("empty page")
			}
			return err
		},
		func(ctx context.Context, c bcCursor) error {
			n, err := b.plainRows(ctx, bcPlainAfter, b.community, string(domain.StatusActive), c.lastName, c.id, bcActivePage+1)
			if err == nil && n == 0 {
				err = fmt.Errorf("raw: empty page")
			}
			return err
		})
}

// search measures first pages of 50 contacts of a list (active or
// archived) matching fragments, after printing how many contacts each
// fragment matches on each side.
func (b *contactsBench) search(ctx context.Context, status domain.ContactStatus, kind string, fragments []string) (bcLine, error) {
	var counts []string
	for _, f := range fragments {
		var service, raw int
		err := b.pool.QueryRow(ctx, `SELECT count(*) FROM contacts WHERE community_id = $1 AND status = $2 AND search LIKE '%' || search_form($3) || '%'`,
			b.community, string(status), f).Scan(&service)
		if err == nil {
			err = b.pool.QueryRow(ctx, `SELECT count(*) FROM bench_plain_contacts WHERE community_id = $1 AND status = $2 AND `+
				bcPlainSearch+` LIKE '%' || search_form($3) || '%'`, b.community, string(status), f).Scan(&raw)
		}
		if err != nil {
			return bcLine{}, fmt.Errorf("bench contacts: count matches of %q: %w", f, err)
		}
		if service != raw {
			return bcLine{}, fmt.Errorf("bench contacts: %q matches %d %s contacts on the service and %d raw", f, service, status, raw)
		}
		counts = append(counts, fmt.Sprintf("%q %s", f, thousands(float64(service))))
	}
	fmt.Fprintf(b.out, "search %s, %s matches (service = raw): %s\n", kind, status, strings.Join(counts, ", "))
	return compareLatency(ctx, b, fmt.Sprintf("search %s, %s", kind, status), bcTargetSearchP99,
		func(i int) string { return fragments[b.rng.IntN(len(fragments))] },
		func(ctx context.Context, f string) error {
			_, err := b.queries.ListContacts(ctx, domain.ListQuery{
				CommunityID: b.community, Status: status, Search: f, Sort: "last_name", Limit: bcActivePage})
			return err
		},
		func(ctx context.Context, f string) error {
			_, err := b.plainRows(ctx, bcPlainSearchPage, b.community, string(status), f, bcActivePage+1)
			return err
		})
}

// plainRows runs a raw query and scans its rows into views, as the service
// does, returning how many there were.
func (b *contactsBench) plainRows(ctx context.Context, sql string, args ...any) (int, error) {
	rows, err := b.pool.Query(ctx, sql, args...)
	if err != nil {
		return 0, err
	}
	items, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (domain.ContactView, error) {
		var c domain.ContactView
		err := row.Scan(&c.ID, &c.CommunityID, &c.Status, &c.Email, &c.FirstName, &c.LastName, &c.ExternalID)
		return c, err
	})
	return len(items), err
}

// bcWarmup is the number of unmeasured rounds before a measurement.
func bcWarmup(requests int) int {
	return min(max(requests/10, 2), 200)
}

// bcLatencies are measured durations.
type bcLatencies []time.Duration

// pct returns the p-th percentile (nearest rank).
func (l bcLatencies) pct(p float64) time.Duration {
	if len(l) == 0 {
		return 0
	}
	s := slices.Clone(l)
	slices.Sort(s)
	i := int(float64(len(s))*p/100+0.999999) - 1
	return s[min(max(i, 0), len(s)-1)]
}

func (l bcLatencies) max() time.Duration {
	if len(l) == 0 {
		return 0
	}
	return slices.Max(l)
}

// ms formats a duration in milliseconds.
func ms(d time.Duration) string {
	v := float64(d) / float64(time.Millisecond)
	switch {
	case v < 10:
		return strconv.FormatFloat(v, 'f', 2, 64) + " ms"
	case v < 100:
		return strconv.FormatFloat(v, 'f', 1, 64) + " ms"
	}
	return strconv.FormatFloat(v, 'f', 0, 64) + " ms"
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}
