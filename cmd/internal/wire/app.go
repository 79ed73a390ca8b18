// Package wire opens the program in one place: the database (the private
// PostgreSQL, or DATABASE_URL; migrated), the secrets, the event log with
// personal data sealed, the command handler, the read models' runner and
// queries, and the services on them. Open opens them in that order and
// Close closes them in reverse, as benbjohnson/wtf's Main does.
//
// Both binaries use it: cmd/contacts (the service and its verbs) and
// cmd/contacts-bench (the benchmarks, which measure the service as it is
// wired). It lives under cmd/internal so that only commands can import
// it: the packages it wires never depend on their wiring.
package wire

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/assoc/contacts/apikeys"
	"github.com/assoc/contacts/domain"
	"github.com/assoc/contacts/eventstore/sealed"
	chttp "github.com/assoc/contacts/http"
	"github.com/assoc/contacts/projections"
	"github.com/assoc/contacts/spreadsheet"
	importstore "github.com/assoc/contacts/spreadsheet/postgres"
)

// Part is how much of the program Open opens; each part holds the ones
// before it. A verb opens no more than it uses: what it opens, it also
// records (a master key file, the log's backend, the key secret).
type Part int

const (
	// Database is PostgreSQL, migrated (contacts migrate).
	Database Part = iota + 1
	// Log adds the event log, personal data sealed, and the read models'
	// runner (the auditors' and operators' verbs).
	Log
	// Services adds the key secret, the command handler, the read models'
	// queries, the API keys and the Excel service (serve, seed, export,
	// import).
	Services
)

// App is the program, opened.
type App struct {
	Config Config
	Logger *slog.Logger
	// Pool is the PostgreSQL of the read models, settings and keys (and of
	// the log, unless it is in EventStoreDB).
	Pool *pgxpool.Pool

	// From Log on.
	Store  *sealed.Store
	Runner *projections.Runner

	// From Services on.
	Handler *domain.Handler
	Queries *projections.Queries
	Keys    *apikeys.Store
	Excel   *spreadsheet.Service

	db         *database
	closeStore func()
	bgCtx      context.Context
	bgStop     context.CancelFunc
	bg         sync.WaitGroup
}

// Open opens the program up to part. On error, what it opened is closed.
func Open(ctx context.Context, cfg Config, part Part, logger *slog.Logger) (_ *App, err error) {
	a := &App{Config: cfg, Logger: logger}
	a.bgCtx, a.bgStop = context.WithCancel(context.WithoutCancel(ctx))
	defer func() {
		if err != nil {
			a.Close() //nolint:errcheck // the error that stopped Open says more
		}
	}()
	if a.db, err = openDatabase(ctx, cfg, logger); err != nil {
		return nil, err
	}
	a.Pool = a.db.Pool
	var master []byte
	if part >= Log {
		if master, err = a.openLog(ctx); err != nil {
			return nil, err
		}
	}
	if part >= Services {
		if err := a.openServices(ctx, master); err != nil {
			return nil, err
		}
	}
	return a, nil
}

// openLog opens the event log, personal data sealed under keys the master
// key wraps (which it returns), and the read models' runner.
func (a *App) openLog(ctx context.Context) ([]byte, error) {
	master, err := masterKey(a.Config)
	if err != nil {
		return nil, err
	}
	if a.Store, a.closeStore, err = openEventStore(ctx, a.Config, a.Pool, master, a.Logger); err != nil {
		return nil, err
	}
	a.Runner = projections.NewRunner(a.Pool, a.Store, a.Logger)
	return master, nil
}

// openServices makes the command handler and the services on the log and
// the read models.
func (a *App) openServices(ctx context.Context, master []byte) error {
	secret, err := keySecret(master)
	if err != nil {
		return err
	}
	legacy, err := legacyKeySecret(ctx, a.Pool)
	if err != nil {
		return err
	}
	cursors, err := cursorKey(master)
	if err != nil {
		return err
	}
	a.Handler = &domain.Handler{Store: a.Store, KeySecret: secret, LegacyKeySecret: legacy}
	a.Queries = &projections.Queries{Pool: a.Pool, CursorKey: cursors}
	a.Keys = apikeys.New(a.Pool)
	a.Excel = &spreadsheet.Service{Handler: a.Handler, Queries: a.Queries,
		Reports:  &importstore.Reports{Pool: a.Pool, Sealer: a.Store.Keyring()},
		CaughtUp: importstore.CaughtUp(a.Pool, a.Store, time.Second)}
	return nil
}

// HTTPServices are the services the API's routes call, all of them.
func (a *App) HTTPServices() chttp.Services {
	return chttp.Services{
		Commands:    a.Handler,
		Contacts:    &domain.Reader{Queries: a.Queries, ReadModels: a.Runner, Store: a.Store},
		Events:      &domain.Feed{Store: a.Store, Wake: a.Store.Inner()},
		Keys:        a.Keys,
		Projections: a.Runner,
		Excel:       a.Excel,
		Database:    a.db.Reachable(),
		Sessions:    a.Keys,
	}
}

// ReadModels are the projectors the service runs.
func (a *App) ReadModels() []projections.Projector {
	return []projections.Projector{projections.ContactsProjector{}, sealed.Erasure{Store: a.Store, Also: eraseElsewhere}}
}

// Background runs f in a goroutine until Close, which cancels its context
// (not Open's: a signal stops the caller first, then Close stops these) and
// waits for it to return.
func (a *App) Background(f func(ctx context.Context)) {
	a.bg.Go(func() { f(a.bgCtx) })
}

// ProjectContacts runs the contacts projector until ctx ends, for
// Background: a verb that reads the contacts read model keeps it up to date
// (a standby where a serve runs it already).
func (a *App) ProjectContacts(ctx context.Context) {
	a.Runner.Run(ctx, projections.ContactsProjector{})
}

// CaughtUp waits, up to timeout, until the contacts read model has applied
// the whole log, whichever process projects it (its checkpoint is in the
// database).
func (a *App) CaughtUp(ctx context.Context, timeout time.Duration) error {
	done, err := importstore.CaughtUp(a.Pool, a.Store, timeout)(ctx)
	if err == nil && !done {
		err = fmt.Errorf("the contacts read model is still behind the log after %s", timeout)
	}
	return err
}

// Close stops what runs in the background, then closes the event log and
// the database (stopping the private PostgreSQL this process started, and
// releasing the data folder).
func (a *App) Close() error {
	a.bgStop()
	a.bg.Wait()
	if a.closeStore != nil {
		a.closeStore()
	}
	if a.db == nil {
		return nil
	}
	return a.db.Close()
}
