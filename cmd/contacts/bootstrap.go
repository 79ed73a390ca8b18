package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/assoc/contacts/apikeys"
	"github.com/assoc/contacts/cmd/internal/wire"
	"github.com/assoc/contacts/domain"
)

// bootstrapLock serialises first starts of several nodes on one database.
const bootstrapLock = 0x636f6e74_00000002

// bootstrap runs on every start and acts until a first start completes
// (marked in settings): it stores the operator key (cfg.BootstrapKey,
// CONTACTS_BOOTSTRAP_KEY, or a random one), creates the community "default" with an admin key,
// prints both once with a ready curl line, saves them under the data folder,
// and only then marks the first start done. A first start that fails half
// way is done again whole at the next start, so nobody is locked out.
func bootstrap(ctx context.Context, cfg wire.Config, pool *pgxpool.Pool, keys *apikeys.Store, handler *domain.Handler, out io.Writer) error {
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("bootstrap: %w", err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1)`, int64(bootstrapLock)); err != nil {
		return fmt.Errorf("bootstrap: %w", err)
	}
	defer conn.Exec(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, int64(bootstrapLock)) //nolint:errcheck

	var done bool
	if err := conn.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM settings WHERE name = 'bootstrapped')`).Scan(&done); err != nil || done {
		return err
	}
	operatorKey := cfg.BootstrapKey
	if operatorKey != "" {
		// Already stored by a first start that failed later: keep it.
		if _, err := keys.Add(ctx, operatorKey, apikeys.RoleOperator, ""); err != nil && domain.ErrorCode(err) != domain.ECONFLICT {
			return fmt.Errorf("CONTACTS_BOOTSTRAP_KEY: %w", err)
		}
	} else if operatorKey, _, err = keys.Create(ctx, apikeys.RoleOperator, ""); err != nil {
		return fmt.Errorf("bootstrap operator key: %w", err)
	}
	community, err := handler.CreateCommunity(ctx, domain.Caller{Actor: "bootstrap", CorrelationID: domain.NewID()}, "default")
	if err != nil {
		return fmt.Errorf("bootstrap community: %w", err)
	}
	if _, err := conn.Exec(ctx, `INSERT INTO settings (name, value) VALUES ('default_community', $1)
		ON CONFLICT (name) DO UPDATE SET value = excluded.value`, []byte(community.ID)); err != nil {
		return fmt.Errorf("bootstrap: record the default community: %w", err)
	}
	adminKey, _, err := keys.Create(ctx, apikeys.RoleAdmin, community.ID)
	if err != nil {
		return fmt.Errorf("bootstrap admin key: %w", err)
	}
	text := fmt.Sprintf(`First start: API keys created. They are shown once; keep them.
  operator key:            %s
  community "default":     %s
  its admin key:           %s
Open the console in a browser and sign in with the admin key:
  http://%s/console/
Or try the API:
  curl -s -H 'Authorization: Bearer %s' -H 'Content-Type: application/json' \
       -d '{"first_name":"Hélène","last_name":"Dupré","email":"helene@example.org"}' http://%s/v1/contacts
  curl -s -H 'Authorization: Bearer %s' 'http://%s/v1/contacts?q=helene'
`, operatorKey, community.ID, adminKey, cfg.Addr, adminKey, cfg.Addr, adminKey, cfg.Addr)
	fmt.Fprint(out, text)
	path := filepath.Join(cfg.DataDir, "secrets", "bootstrap-keys.txt")
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err == nil {
		if err := os.WriteFile(path, []byte(text), 0o600); err == nil {
			fmt.Fprintf(out, "(also saved in %s)\n", path)
		}
	}
	if _, err := conn.Exec(ctx, `INSERT INTO settings (name, value) VALUES ('bootstrapped', 'true') ON CONFLICT DO NOTHING`); err != nil {
		return fmt.Errorf("bootstrap: mark done: %w", err)
	}
	return nil
}

// defaultCommunity returns the ID of the community "default" the first
// start created (databases started before it was recorded: the oldest
// community of that name in the read model).
func defaultCommunity(ctx context.Context, pool *pgxpool.Pool) (string, error) {
	var id string
	err := pool.QueryRow(ctx, `SELECT id FROM (
		SELECT convert_from(value, 'UTF8') AS id, 0 AS rank FROM settings WHERE name = 'default_community'
		UNION ALL (SELECT id::text, 1 FROM communities WHERE name = 'default' ORDER BY created_at LIMIT 1)) c
		ORDER BY rank LIMIT 1`).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", fmt.Errorf("no community \"default\" yet: start the service once (contacts serve), or give -community ID")
	}
	if err != nil {
		return "", fmt.Errorf("find the default community: %w", err)
	}
	return id, nil
}
