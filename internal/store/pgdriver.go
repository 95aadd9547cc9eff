package store

import (
	"context"
	"database/sql/driver"
	"strconv"
	"strings"
	"sync"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

// The store's queries are written once, with SQLite's placeholders: "?" (numbered in order) and
// "?N" (the Nth argument). PostgreSQL knows only "$N". Rather than keep a second copy of every
// query, the PostgreSQL connections rewrite the placeholders as each query reaches the driver:
// database/sql hands every query text to the connection, so this is the one place that needs
// to know, and the rewrite is cached per text (the store's texts are constants).

// pgConnector is pgx's database/sql connector with placeholder rewriting.
type pgConnector struct {
	inner driver.Connector
}

func newPGConnector(cfg *pgx.ConnConfig) driver.Connector {
	return pgConnector{inner: stdlib.GetConnector(*cfg)}
}

func (c pgConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.inner.Connect(ctx)
	if err != nil {
		return nil, err
	}
	return &pgConn{Conn: conn.(*stdlib.Conn)}, nil
}

func (c pgConnector) Driver() driver.Driver { return c.inner.Driver() }

// pgConn is a pgx connection whose query texts are rewritten by rebind. It forwards every
// optional interface database/sql looks for on pgx's connection.
type pgConn struct {
	*stdlib.Conn
}

func (c *pgConn) Prepare(query string) (driver.Stmt, error) {
	return c.Conn.Prepare(rebind(query))
}

func (c *pgConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	return c.Conn.PrepareContext(ctx, rebind(query))
}

func (c *pgConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	return c.Conn.ExecContext(ctx, rebind(query), args)
}

func (c *pgConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	return c.Conn.QueryContext(ctx, rebind(query), args)
}

// rebinds caches rebind's answers: the store's query texts are a fixed set.
var rebinds = newRebindCache()

// rebind rewrites SQLite placeholders to PostgreSQL's: each bare "?" becomes the next "$N",
// and "?N" becomes "$N". Placeholders inside quoted strings, quoted identifiers and comments
// are left alone.
func rebind(query string) string {
	if !strings.Contains(query, "?") {
		return query
	}
	if out, ok := rebinds.get(query); ok {
		return out
	}
	var b strings.Builder
	b.Grow(len(query) + 8)
	next := 1
	for i := 0; i < len(query); i++ {
		ch := query[i]
		switch {
		case ch == '\'' || ch == '"':
			end := strings.IndexByte(query[i+1:], ch)
			if end < 0 {
				b.WriteString(query[i:])
				i = len(query)
				continue
			}
			b.WriteString(query[i : i+end+2])
			i += end + 1
		case ch == '-' && i+1 < len(query) && query[i+1] == '-':
			end := strings.IndexByte(query[i:], '\n')
			if end < 0 {
				end = len(query) - i
			}
			b.WriteString(query[i : i+end])
			i += end - 1
		case ch == '?':
			j := i + 1
			for j < len(query) && query[j] >= '0' && query[j] <= '9' {
				j++
			}
			b.WriteByte('$')
			if j > i+1 {
				b.WriteString(query[i+1 : j])
			} else {
				b.WriteString(strconv.Itoa(next))
				next++
			}
			i = j - 1
		default:
			b.WriteByte(ch)
		}
	}
	out := b.String()
	rebinds.put(query, out)
	return out
}

// rebindCache maps query texts to their rewrites. A few queries are built at run time (lists
// of ids), so the cache is bounded: when full it starts again.
type rebindCache struct {
	mu sync.RWMutex
	m  map[string]string
}

const rebindCacheMax = 4096

func newRebindCache() *rebindCache { return &rebindCache{m: make(map[string]string)} }

func (c *rebindCache) get(q string) (string, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	out, ok := c.m[q]
	return out, ok
}

func (c *rebindCache) put(q, out string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) >= rebindCacheMax {
		c.m = make(map[string]string)
	}
	c.m[q] = out
}
