package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"reflect"
)

// modernc's SQLite parses and plans a statement each time a query text reaches the connection
// without a prepared statement, and parsing costs more than running the store's queries: in a
// profile of token creation, a fifth of the server's CPU went to the parser. The read queries
// of every API request were prepared one by one (DB.prepared); write transactions, which run
// dozens of texts through *sql.Tx, were not. Rather than prepare at every call site, each
// SQLite connection keeps the statements it has run, by text, and runs a text it has seen on
// its prepared statement. database/sql hands every query text to the connection, so this is
// the one place that needs to know, and it covers reads, writes and transactions alike.

// maxCachedStatements bounds the statements one connection keeps. The store's texts are a
// fixed set of a few hundred; the few built at run time (lists of ids) could grow without
// bound, so past the limit a new text runs unprepared, as it did before.
const maxCachedStatements = 512

// sqliteConnector opens SQLite connections that keep their statements prepared.
type sqliteConnector struct {
	driver driver.Driver
	dsn    string
}

// newSQLiteConnector is the connector of modernc's registered "sqlite" driver for dsn.
func newSQLiteConnector(dsn string) (driver.Connector, error) {
	// The registered driver, as sql.Open("sqlite", …) would use it: modernc registers its
	// functions and hooks on that value.
	probe, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, err
	}
	defer probe.Close() // opens no connection: sql.Open is lazy
	return sqliteConnector{driver: probe.Driver(), dsn: dsn}, nil
}

func (c sqliteConnector) Connect(context.Context) (driver.Conn, error) {
	conn, err := c.driver.Open(c.dsn)
	if err != nil {
		return nil, err
	}
	inner, ok := conn.(sqliteDriverConn)
	if !ok {
		conn.Close()
		return nil, errUnexpectedDriver
	}
	return &sqliteConn{sqliteDriverConn: inner, stmts: map[string]*cachedStmt{}}, nil
}

func (c sqliteConnector) Driver() driver.Driver { return c.driver }

// errUnexpectedDriver would mean modernc's connection stopped implementing what it does
// today; it fails Open loudly rather than run without contexts.
var errUnexpectedDriver = errors.New("store: the sqlite driver's connection lacks the context methods")

// sqliteDriverConn is what modernc's connection implements and database/sql looks for.
type sqliteDriverConn interface {
	driver.Conn
	driver.ConnPrepareContext
	driver.ConnBeginTx
	driver.ExecerContext
	driver.QueryerContext
	driver.Pinger
	driver.SessionResetter
	driver.Validator
}

// sqliteConn is a modernc connection with its statements kept by text. database/sql uses a
// connection from one goroutine at a time, so the map needs no lock.
type sqliteConn struct {
	sqliteDriverConn
	stmts map[string]*cachedStmt
}

// preparedStmt is what modernc's prepared statement implements.
type preparedStmt interface {
	driver.Stmt
	driver.StmtExecContext
	driver.StmtQueryContext
}

// cachedStmt is a prepared statement and whether a result set still reads from it.
type cachedStmt struct {
	stmt preparedStmt
	busy bool
}

// statement returns the prepared statement for query, or nil when the text must run
// unprepared: the cache is full, or the statement is in use by open rows of the same text
// (a nested query in a transaction), which a second run would reset under them.
func (c *sqliteConn) statement(ctx context.Context, query string) (*cachedStmt, error) {
	if cs, ok := c.stmts[query]; ok {
		if cs.busy {
			return nil, nil
		}
		return cs, nil
	}
	if len(c.stmts) >= maxCachedStatements {
		return nil, nil
	}
	st, err := c.sqliteDriverConn.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	ps, ok := st.(preparedStmt)
	if !ok {
		st.Close()
		return nil, nil
	}
	cs := &cachedStmt{stmt: ps}
	c.stmts[query] = cs
	return cs, nil
}

func (c *sqliteConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	cs, err := c.statement(ctx, query)
	if err != nil {
		return nil, err
	}
	if cs == nil {
		return c.sqliteDriverConn.ExecContext(ctx, query, args)
	}
	return cs.stmt.ExecContext(ctx, args)
}

func (c *sqliteConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	cs, err := c.statement(ctx, query)
	if err != nil {
		return nil, err
	}
	if cs == nil {
		return c.sqliteDriverConn.QueryContext(ctx, query, args)
	}
	rows, err := cs.stmt.QueryContext(ctx, args)
	if err != nil {
		return nil, err
	}
	cs.busy = true
	return &cachedRows{Rows: rows, stmt: cs}, nil
}

// Close finalizes the kept statements before the connection: SQLite keeps a connection with
// unfinalized statements open.
func (c *sqliteConn) Close() error {
	for _, cs := range c.stmts {
		cs.stmt.Close()
	}
	c.stmts = nil
	return c.sqliteDriverConn.Close()
}

// cachedRows frees its statement for the next run when closed (modernc resets it then).
type cachedRows struct {
	driver.Rows
	stmt *cachedStmt
}

func (r *cachedRows) Close() error {
	err := r.Rows.Close()
	r.stmt.busy = false
	return err
}

// The column-type methods database/sql's ColumnTypes looks for, forwarded.

func (r *cachedRows) ColumnTypeDatabaseTypeName(i int) string {
	if t, ok := r.Rows.(driver.RowsColumnTypeDatabaseTypeName); ok {
		return t.ColumnTypeDatabaseTypeName(i)
	}
	return ""
}

func (r *cachedRows) ColumnTypeScanType(i int) reflect.Type {
	if t, ok := r.Rows.(driver.RowsColumnTypeScanType); ok {
		return t.ColumnTypeScanType(i)
	}
	return reflect.TypeFor[any]()
}

func (r *cachedRows) ColumnTypeNullable(i int) (nullable, ok bool) {
	if t, ok := r.Rows.(driver.RowsColumnTypeNullable); ok {
		return t.ColumnTypeNullable(i)
	}
	return false, false
}
