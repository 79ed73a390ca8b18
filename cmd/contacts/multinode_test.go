package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/assoc/contacts/eventstore/esdb/esdbtest"
	"github.com/assoc/contacts/pgtest"
)

// cluster is several `contacts serve` nodes on one PostgreSQL (and, when
// set, one EventStoreDB), as behind a load balancer.
type cluster struct {
	dbURL, master, esdbURL string
	nodes                  []*node
	admin                  string
	client                 *http.Client
}

// node is one serve process.
type node struct {
	name, url string
	cmd       *exec.Cmd
	logs      *syncBuffer
}

// startCluster starts n nodes on a database of their own, sharing the
// master key; the first makes the bootstrap keys.
func startCluster(t *testing.T, n int, esdbURL string) *cluster {
	t.Helper()
	key := make([]byte, 32)
	rand.Read(key) //nolint:errcheck // never fails
	c := &cluster{dbURL: pgtest.NewDatabase(t), master: base64.StdEncoding.EncodeToString(key), esdbURL: esdbURL,
		client: &http.Client{Timeout: patience}}
	for i := range n {
		name := fmt.Sprintf("node%d", i+1)
		dataDir := t.TempDir()
		env := []string{"DATABASE_URL=" + withAppName(c.dbURL, name), "CONTACTS_MASTER_KEY=" + c.master}
		if esdbURL != "" {
			env = append(env, "EVENTSTORE_URL="+esdbURL)
		}
		url, cmd, logs := startServe(t, dataDir, env...)
		c.nodes = append(c.nodes, &node{name: name, url: url, cmd: cmd, logs: logs})
		if i == 0 {
			saved, err := os.ReadFile(filepath.Join(dataDir, "secrets", "bootstrap-keys.txt"))
			if err != nil {
				t.Fatal(err)
			}
			c.admin = string(regexp.MustCompile(`its admin key:\s+(\S+)`).FindSubmatch(saved)[1])
		}
	}
	return c
}

// withAppName names a node's connections, so a test sees which node holds
// a projector's lock.
func withAppName(dbURL, name string) string {
	if strings.HasPrefix(dbURL, "postgres://") || strings.HasPrefix(dbURL, "postgresql://") {
		sep := "?"
		if strings.Contains(dbURL, "?") {
			sep = "&"
		}
		return dbURL + sep + "application_name=" + name
	}
	return dbURL + " application_name=" + name
}

// call sends a request to node i (round robin) and decodes a JSON answer.
func (c *cluster) call(t *testing.T, i int, method, path, body string, out any) (int, http.Header) {
	t.Helper()
	n := c.nodes[i%len(c.nodes)]
	req, _ := http.NewRequestWithContext(t.Context(), method, n.url+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+c.admin)
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.client.Do(req)
	if err != nil {
		t.Fatalf("%s %s on %s: %v", method, path, n.name, err)
	}
	defer resp.Body.Close()
	if out != nil {
		json.NewDecoder(resp.Body).Decode(out) //nolint:errcheck // the status says what to expect
	}
	return resp.StatusCode, resp.Header
}

// readsBackOnOtherNodes: every write, on any node, reads back at once on
// the others, with and without after=: the one rule of consistency.
func (c *cluster) readsBackOnOtherNodes(t *testing.T) {
	t.Helper()
	behind := 0
	// what a read right after a write needs: nothing, unless the write
	// said the read models were behind (past its wait), then its position.
	after := func(h http.Header, pos string) string {
		if h.Get("Read-Models-Behind") == "" {
			return ""
		}
		behind++
		return "?after=" + pos
	}
	for i := range 9 {
		var created struct{ ID, Position string }
		status, h := c.call(t, i, "POST", "/v1/contacts", fmt.Sprintf(`{"first_name":"Node","last_name":"N%d"}`, i), &created)
		if status != http.StatusCreated {
			t.Fatalf("register on node %d = %d", i%len(c.nodes)+1, status)
		}
		var got struct {
			Status  string
			Version int64
		}
		for j, path := range []string{"/v1/contacts/" + created.ID + after(h, created.Position), "/v1/contacts/" + created.ID + "?after=" + created.Position} {
			if status, _ := c.call(t, i+1+j, "GET", path, "", &got); status != http.StatusOK || got.Status != "active" {
				t.Fatalf("write on node %d, read on node %d (%s) = %d %+v", i%len(c.nodes)+1, (i+1+j)%len(c.nodes)+1, path, status, got)
			}
		}
		var bulk struct {
			Results  []struct{ Version int64 }
			Position string
		}
		_, h = c.call(t, i, "POST", "/v1/contacts/archive", `{"ids":["`+created.ID+`"]}`, &bulk)
		if status, _ := c.call(t, i+2, "GET", "/v1/contacts/"+created.ID+after(h, bulk.Position), "", &got); status != http.StatusOK ||
			got.Status != "archived" || got.Version != bulk.Results[0].Version {
			t.Fatalf("archive on node %d, read on node %d: %+v, want archived at %d", i%len(c.nodes)+1, (i+2)%len(c.nodes)+1, got, bulk.Results[0].Version)
		}
	}
	if behind > 0 {
		t.Logf("%d of 18 writes answered before the read models applied them (a loaded machine), and said so", behind)
	}
}

// oneEmailOnce: 50 registrations of one email at once, spread over the
// nodes: exactly one wins, the others are told it is taken.
func (c *cluster) oneEmailOnce(t *testing.T) {
	t.Helper()
	statuses := make([]int, 50)
	var wg sync.WaitGroup
	for i := range statuses {
		wg.Go(func() {
			statuses[i], _ = c.call(t, i, "POST", "/v1/contacts", `{"first_name":"Race","email":"race@example.org"}`, nil)
		})
	}
	wg.Wait()
	won := 0
	for _, s := range statuses {
		switch s {
		case http.StatusCreated:
			won++
		case http.StatusConflict:
		default:
			t.Fatalf("a registration answered %d; all: %v", s, statuses)
		}
	}
	if won != 1 {
		t.Fatalf("%d registrations of one email won over %d nodes, want 1: %v", won, len(c.nodes), statuses)
	}
}

// TestNodes runs three nodes on one PostgreSQL: writes read back on any
// node, one email is held once, and when the node running the projectors
// is killed (SIGKILL) another takes them over, and the read models then
// equal a rebuild from the log.
func TestNodes(t *testing.T) {
	if testing.Short() {
		t.Skip("runs three serve processes")
	}
	t.Parallel()
	c := startCluster(t, 3, "")
	c.readsBackOnOtherNodes(t)
	c.oneEmailOnce(t)

	pool, err := pgxpool.New(t.Context(), c.dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	holder := c.projectorNode(t, pool)
	killed := time.Now()
	holder.cmd.Process.Kill() //nolint:errcheck
	holder.cmd.Wait()         //nolint:errcheck
	var taker string
	waitUntil(t, "another node to take the projectors over", func() bool {
		taker = c.projectorHolder(t, pool)
		return taker != "" && taker != holder.name
	})
	tookOver := time.Since(killed)
	c.nodes = slices.DeleteFunc(c.nodes, func(n *node) bool { return n == holder })
	var created struct{ ID, Position string }
	if status, _ := c.call(t, 0, "POST", "/v1/contacts", `{"first_name":"After","last_name":"Takeover"}`, &created); status != http.StatusCreated {
		t.Fatalf("register after the takeover = %d", status)
	}
	if status, h := c.call(t, 1, "GET", "/v1/contacts/"+created.ID, "", nil); status != http.StatusOK {
		t.Fatalf("read after the takeover = %d %v", status, h)
	}
	applied := time.Since(killed)
	t.Logf("%s killed: %s held the projectors %s later; a write on a surviving node was applied and read %s after the kill",
		holder.name, taker, tookOver.Round(time.Millisecond), applied.Round(time.Millisecond))
	c.equalsARebuild(t, pool)
}

// TestNodesOnEventStoreDB: the same two first checks with the log in
// EventStoreDB (the fake server).
func TestNodesOnEventStoreDB(t *testing.T) {
	if testing.Short() {
		t.Skip("runs three serve processes")
	}
	t.Parallel()
	c := startCluster(t, 3, esdbtest.New(t).URL())
	c.readsBackOnOtherNodes(t)
	c.oneEmailOnce(t)
}

// projectorHolder is the node whose connection holds the contacts read
// model's projector lock ("" when none).
func (c *cluster) projectorHolder(t *testing.T, pool *pgxpool.Pool) string {
	t.Helper()
	var name string
	err := pool.QueryRow(t.Context(), `SELECT coalesce(max(a.application_name), '') FROM pg_locks l JOIN pg_stat_activity a USING (pid)
		WHERE l.locktype = 'advisory' AND l.classid = $1 AND l.objid = $2 AND l.objsubid = 2 AND l.granted`,
		uint32(0x636f6e75), projectorKey("contacts")).Scan(&name)
	if err != nil {
		t.Fatal(err)
	}
	return name
}

// projectorNode is the node that runs the contacts projector.
func (c *cluster) projectorNode(t *testing.T, pool *pgxpool.Pool) *node {
	t.Helper()
	name := c.projectorHolder(t, pool)
	for _, n := range c.nodes {
		if n.name == name {
			return n
		}
	}
	t.Fatalf("no node holds the projector's lock (holder %q)", name)
	return nil
}

// projectorKey is projections' second lock key: the FNV-1a hash of the
// read model's name, as an unsigned objid.
func projectorKey(name string) uint32 {
	h := uint32(2166136261)
	for i := range len(name) {
		h ^= uint32(name[i])
		h *= 16777619
	}
	return h
}

// equalsARebuild checks that the read models, as the projectors left them
// through the kill, equal a rebuild from the log: nothing lost, nothing
// applied twice.
func (c *cluster) equalsARebuild(t *testing.T, pool *pgxpool.Pool) {
	t.Helper()
	before := snapshotReadModel(t, pool)
	cmd := exec.Command(os.Args[0], "rebuild")
	cmd.Env = append(verbEnv(), "CONTACTS_RUN_MAIN=1", "CONTACTS_DATA="+t.TempDir(), "DATABASE_URL="+c.dbURL, "CONTACTS_MASTER_KEY="+c.master)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("contacts rebuild: %v\n%s", err, out)
	}
	after := snapshotReadModel(t, pool)
	if len(before) != len(after) {
		t.Fatalf("the read model has %d rows, a rebuild %d", len(before), len(after))
	}
	for i := range before {
		if before[i] != after[i] {
			t.Fatalf("row %d differs from a rebuild:\nafter the kill: %s\nrebuilt:        %s", i, before[i], after[i])
		}
	}
}

// snapshotReadModel is every row of the contacts read model, as text.
func snapshotReadModel(t *testing.T, pool *pgxpool.Pool) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), patience)
	defer cancel()
	rows, err := pool.Query(ctx, `
		SELECT 'contact ' || row_to_json(c)::text FROM contacts c
		UNION ALL SELECT 'community ' || row_to_json(m)::text FROM communities m
		UNION ALL SELECT 'field ' || row_to_json(f)::text FROM community_fields f
		ORDER BY 1`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	return out
}
