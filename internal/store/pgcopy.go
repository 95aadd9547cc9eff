package store

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/tokenboard/tokenboard/internal/blob"
)

// CopyReport says what CopySQLiteToPostgres copied.
type CopyReport struct {
	// Tables are the tables in the order they were copied, with their row counts.
	Tables []TableRows
	// Blobs and BlobBytes count the uploaded files copied into the database.
	Blobs, BlobBytes int64
}

// TableRows is one table's copied row count.
type TableRows struct {
	Table string
	Rows  int64
}

// CopySQLiteToPostgres moves an installation from SQLite to PostgreSQL: it copies every row
// of src (a SQLite store, migrated to the schema dst has) into dst (an empty PostgreSQL
// store), and the uploaded files of files (the SQLite installation's <data>/blobs; nil when
// there are none) into dst's blobs table.
//
// It is all or nothing: one PostgreSQL transaction, which holds the instances' write lock so
// that no instance already serving dst writes in between. It refuses a dst with any row in
// it (an import is not a merge) and a src with a table or column dst lacks (rows that would
// be dropped); what only PostgreSQL has starts empty or at its default. Tables
// go parent before child (foreign keys), each with COPY; SQLite's integer booleans become
// PostgreSQL booleans; each identity sequence is moved past the largest copied id, so the
// next row PostgreSQL numbers does not collide. Nothing is derived or re-hashed: token
// hashes, password hashes, sessions and secrets are copied as stored, so every token and
// password that worked before works after.
func CopySQLiteToPostgres(ctx context.Context, src, dst *DB, files *blob.FS) (CopyReport, error) {
	if _, ok := src.backend.(sqliteBackend); !ok {
		return CopyReport{}, errors.New("copy: the source is not a SQLite database")
	}
	if _, ok := dst.backend.(postgresBackend); !ok {
		return CopyReport{}, errors.New("copy: the destination is not a PostgreSQL database")
	}
	conn, err := dst.db.Conn(ctx)
	if err != nil {
		return CopyReport{}, err
	}
	defer conn.Close()
	var report CopyReport
	err = conn.Raw(func(driverConn any) error {
		pc, ok := driverConn.(*pgConn)
		if !ok {
			return fmt.Errorf("copy: unexpected PostgreSQL connection %T", driverConn)
		}
		tx, err := pc.Conn.Conn().Begin(ctx)
		if err != nil {
			return err
		}
		defer tx.Rollback(context.WithoutCancel(ctx))
		if report, err = copyInto(ctx, src, tx, files); err != nil {
			return err
		}
		// Instances already serving the database drop what they cached (nothing, it was
		// empty) when this commits.
		if _, err := tx.Exec(ctx, `SELECT pg_notify($1, '')`, invalidateChannel); err != nil {
			return err
		}
		return tx.Commit(ctx)
	})
	if err != nil {
		return CopyReport{}, err
	}
	dst.Invalidate()
	return report, nil
}

// pgColumn is a column of the PostgreSQL schema.
type pgColumn struct {
	name, dataType string
	identity       bool
}

func copyInto(ctx context.Context, src *DB, tx pgx.Tx, files *blob.FS) (CopyReport, error) {
	var report CopyReport
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(writeLockKey)); err != nil {
		return report, err
	}
	tables, err := pgTablesInKeyOrder(ctx, tx)
	if err != nil {
		return report, err
	}
	if err := refuseNonEmpty(ctx, tx, append(slices.Clone(tables), "blobs")); err != nil {
		return report, err
	}
	inSQLite, err := sqliteTables(ctx, src, tables)
	if err != nil {
		return report, err
	}
	for _, table := range tables {
		if !inSQLite[table] {
			continue
		}
		cols, err := pgColumns(ctx, tx, table)
		if err != nil {
			return report, err
		}
		n, err := copyTable(ctx, src, tx, table, cols)
		if err != nil {
			return report, fmt.Errorf("copy %s: %w", table, err)
		}
		if err := resetIdentities(ctx, tx, table, cols); err != nil {
			return report, fmt.Errorf("copy %s: %w", table, err)
		}
		report.Tables = append(report.Tables, TableRows{Table: table, Rows: n})
	}
	if files != nil {
		if report.Blobs, report.BlobBytes, err = copyBlobs(ctx, tx, files); err != nil {
			return report, err
		}
	}
	return report, nil
}

// copiedTableExcluded are the tables the copy leaves alone: each database keeps its own
// migration history, and blobs are copied from the files.
var copiedTableExcluded = map[string]bool{"schema_migrations": true, "blobs": true}

// pgTablesInKeyOrder lists the tables of dst's schema, every table after the tables its
// foreign keys reference (ties by name, so the order is the same on every run).
func pgTablesInKeyOrder(ctx context.Context, tx pgx.Tx) ([]string, error) {
	rows, err := tx.Query(ctx, `SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY tablename`)
	if err != nil {
		return nil, err
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, err
	}
	parents := map[string][]string{}
	rows, err = tx.Query(ctx, `
		SELECT child.relname, parent.relname
		FROM pg_constraint c
		JOIN pg_class child ON child.oid = c.conrelid
		JOIN pg_class parent ON parent.oid = c.confrelid
		JOIN pg_namespace n ON n.oid = child.relnamespace
		WHERE c.contype = 'f' AND n.nspname = current_schema()`)
	if err != nil {
		return nil, err
	}
	var child, parent string
	if _, err := pgx.ForEachRow(rows, []any{&child, &parent}, func() error {
		if child != parent {
			parents[child] = append(parents[child], parent)
		}
		return nil
	}); err != nil {
		return nil, err
	}
	var order []string
	done := map[string]bool{}
	for len(order) < len(names) {
		progress := false
		for _, t := range names {
			if done[t] {
				continue
			}
			ready := true
			for _, p := range parents[t] {
				ready = ready && done[p]
			}
			if ready {
				done[t] = true
				order = append(order, t)
				progress = true
			}
		}
		if !progress {
			return nil, errors.New("copy: the foreign keys between tables form a cycle")
		}
	}
	return slices.DeleteFunc(order, func(t string) bool { return copiedTableExcluded[t] }), nil
}

// refuseNonEmpty fails unless every table is empty.
func refuseNonEmpty(ctx context.Context, tx pgx.Tx, tables []string) error {
	for _, t := range tables {
		var any bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM `+pgx.Identifier{t}.Sanitize()+`)`).Scan(&any); err != nil {
			return err
		}
		if any {
			return fmt.Errorf("the PostgreSQL database is not empty (table %s has rows): import only into a new database", t)
		}
	}
	return nil
}

// sqliteTables lists the SQLite database's tables, and fails when one is not in PostgreSQL's
// schema (its rows would be left behind). Tables only PostgreSQL has (state several
// instances share, which one SQLite process keeps in memory) start empty.
func sqliteTables(ctx context.Context, src *DB, pgTables []string) (map[string]bool, error) {
	rows, err := src.db.QueryContext(ctx, `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	have := map[string]bool{}
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			return nil, err
		}
		if copiedTableExcluded[name] {
			continue
		}
		if !slices.Contains(pgTables, name) {
			return nil, fmt.Errorf("copy: the SQLite database has a table %s that PostgreSQL's schema lacks (run both on the same tokenboard version)", name)
		}
		have[name] = true
	}
	return have, rows.Err()
}

// pgColumns lists a table's columns in order.
func pgColumns(ctx context.Context, tx pgx.Tx, table string) ([]pgColumn, error) {
	rows, err := tx.Query(ctx, `
		SELECT column_name, data_type, is_identity = 'YES'
		FROM information_schema.columns
		WHERE table_schema = current_schema() AND table_name = $1
		ORDER BY ordinal_position`, table)
	if err != nil {
		return nil, err
	}
	var cols []pgColumn
	var c pgColumn
	_, err = pgx.ForEachRow(rows, []any{&c.name, &c.dataType, &c.identity}, func() error {
		cols = append(cols, c)
		return nil
	})
	return cols, err
}

// copyTable streams the SQLite table's rows into PostgreSQL with COPY, converting each value
// to the column's PostgreSQL type.
func copyTable(ctx context.Context, src *DB, tx pgx.Tx, table string, cols []pgColumn) (int64, error) {
	srcCols, err := sqliteColumns(ctx, src, table)
	if err != nil {
		return 0, err
	}
	// SQLite's columns, each of which PostgreSQL must have; a column only PostgreSQL has
	// takes its default.
	byName := map[string]pgColumn{}
	for _, c := range cols {
		byName[c.name] = c
	}
	cols = cols[:0:0]
	var names, quoted []string
	for _, name := range srcCols {
		c, ok := byName[name]
		if !ok {
			return 0, fmt.Errorf("SQLite has a column %s that PostgreSQL's schema lacks (run both on the same tokenboard version)", name)
		}
		cols = append(cols, c)
		names = append(names, name)
		quoted = append(quoted, pgx.Identifier{name}.Sanitize())
	}
	rows, err := src.db.QueryContext(ctx, `SELECT `+strings.Join(quoted, ", ")+` FROM `+pgx.Identifier{table}.Sanitize())
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	values := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range values {
		ptrs[i] = &values[i]
	}
	var convErr error
	n, err := tx.CopyFrom(ctx, pgx.Identifier{table}, names, pgx.CopyFromFunc(func() ([]any, error) {
		if !rows.Next() {
			return nil, rows.Err()
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		row := make([]any, len(cols))
		for i, c := range cols {
			if row[i], convErr = toPostgres(values[i], c); convErr != nil {
				return nil, convErr
			}
		}
		return row, nil
	}))
	return n, err
}

// sqliteColumns lists a SQLite table's column names.
func sqliteColumns(ctx context.Context, src *DB, table string) ([]string, error) {
	rows, err := src.db.QueryContext(ctx, `SELECT name FROM pragma_table_info(?)`, table)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var names []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, err
		}
		names = append(names, n)
	}
	return names, rows.Err()
}

// toPostgres converts a value SQLite returned to what the PostgreSQL column takes: SQLite has
// no boolean (0 and 1 in an integer column) and may hand text back as bytes or the reverse.
func toPostgres(v any, c pgColumn) (any, error) {
	if v == nil {
		return nil, nil
	}
	switch c.dataType {
	case "boolean":
		switch b := v.(type) {
		case int64:
			if b != 0 && b != 1 {
				return nil, fmt.Errorf("column %s: %d is not a boolean", c.name, b)
			}
			return b == 1, nil
		case bool:
			return b, nil
		}
	case "text":
		switch s := v.(type) {
		case string:
			return s, nil
		case []byte:
			return string(s), nil
		}
	case "bytea":
		switch b := v.(type) {
		case []byte:
			return b, nil
		case string:
			return []byte(b), nil
		}
	case "bigint", "integer", "smallint":
		if i, ok := v.(int64); ok {
			return i, nil
		}
	default:
		return v, nil
	}
	return nil, fmt.Errorf("column %s: a SQLite %T where PostgreSQL keeps %s", c.name, v, c.dataType)
}

// resetIdentities moves each identity column's sequence to the largest copied value, so
// PostgreSQL's next id follows it (rows were copied with their ids, which leaves the
// sequence at its start).
func resetIdentities(ctx context.Context, tx pgx.Tx, table string, cols []pgColumn) error {
	for _, c := range cols {
		if !c.identity {
			continue
		}
		col := pgx.Identifier{c.name}.Sanitize()
		_, err := tx.Exec(ctx, `SELECT setval(pg_get_serial_sequence($1, $2), coalesce(max(`+col+`), 1), max(`+col+`) IS NOT NULL) FROM `+
			pgx.Identifier{table}.Sanitize(), pgx.Identifier{table}.Sanitize(), c.name)
		if err != nil {
			return fmt.Errorf("sequence of %s: %w", c.name, err)
		}
	}
	return nil
}

// copyBlobs inserts every file of the file store into the blobs table, checking each
// against its address (a file damaged on disk stops the import rather than moving on).
func copyBlobs(ctx context.Context, tx pgx.Tx, files *blob.FS) (count, bytes int64, err error) {
	err = files.Each(ctx, func(sum string) error {
		b, err := files.Open(ctx, sum)
		if err != nil {
			return err
		}
		defer b.Close()
		data, err := io.ReadAll(b)
		if err != nil {
			return err
		}
		h := sha1.Sum(data)
		if hex.EncodeToString(h[:]) != sum {
			return fmt.Errorf("copy blobs: %s: %w", sum, blob.ErrChecksum)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO blobs (sha1, data, size, put_at) VALUES ($1, $2, $3, now())`, sum, data, len(data)); err != nil {
			return err
		}
		count++
		bytes += int64(len(data))
		return nil
	})
	return count, bytes, err
}
