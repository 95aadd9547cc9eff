package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/tokenboard/tokenboard/internal/core"
)

// The CI records of issue 13: chunks, artifact bundles, debug files, deploys, repositories
// and commits (core/ci.go). Authorization follows the release operations'
// (authorize with the core rules).

// The database is the CI service.
var _ core.CIService = (*DB)(nil)

// RecordChunks notes the organization's uploaded chunks, refreshing the time of any it
// already held.
func (db *DB) RecordChunks(ctx context.Context, orgID int64, chunks []core.Chunk) error {
	if len(chunks) == 0 {
		_, err := db.authorize(ctx, nil, orgID, core.RuleWriteReleases)
		return err
	}
	return db.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := db.authorize(ctx, tx, orgID, core.RuleWriteReleases); err != nil {
			return err
		}
		now := unix(db.Now())
		for _, c := range chunks {
			if _, err := tx.ExecContext(ctx, `INSERT INTO chunks (org_id, sha1, size, created_at) VALUES (?, ?, ?, ?)
				ON CONFLICT (org_id, sha1) DO UPDATE SET created_at = excluded.created_at`,
				orgID, c.SHA1, c.Size, now); err != nil {
				return err
			}
		}
		return nil
	})
}

// chunkRefreshAfter is how old a held chunk's time may get before MissingChunks refreshes
// it: rarely enough that polling assemble does not write on every request.
const chunkRefreshAfter = time.Hour

// MissingChunks returns those of sums the organization does not hold, in their order and
// without repeats. Ownership is per organization, as in Sentry: holding a blob another
// organization uploaded proves nothing, so it must be uploaded (and deduplicated) again.
//
// Held chunks whose time is older than an hour are marked as just used, so a prune cannot
// remove them between this answer (the client then skips uploading them) and the assembly.
func (db *DB) MissingChunks(ctx context.Context, orgID int64, sums []string) ([]string, error) {
	if _, err := db.authorize(ctx, nil, orgID, core.RuleWriteReleases); err != nil {
		return nil, err
	}
	list := "[]"
	if len(sums) > 0 {
		b, err := json.Marshal(sums)
		if err != nil {
			return nil, err
		}
		list = string(b)
	}
	missing := []string{}
	stale := 0
	rows, err := db.query(ctx, `SELECT j.value, c.created_at FROM json_each(?) j
		LEFT JOIN chunks c ON c.org_id = ? AND c.sha1 = j.value ORDER BY j.key`, list, orgID)
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	staleBefore := unix(db.Now().Add(-chunkRefreshAfter))
	for rows.Next() {
		var s string
		var created sql.NullInt64
		if err := rows.Scan(&s, &created); err != nil {
			rows.Close()
			return nil, err
		}
		switch {
		case seen[s]:
		case !created.Valid:
			missing = append(missing, s)
		case created.Int64 < staleBefore:
			stale++
		}
		seen[s] = true
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if stale > 0 {
		err := db.inTx(ctx, func(tx *sql.Tx) error {
			_, err := tx.ExecContext(ctx, `UPDATE chunks SET created_at = ? WHERE org_id = ? AND created_at < ?
				AND sha1 IN (SELECT value FROM json_each(?))`, unix(db.Now()), orgID, staleBefore, list)
			return err
		})
		if err != nil {
			return nil, err
		}
	}
	return missing, nil
}

// StorageUsed adds up the organization's chunks: what its quota counts.
func (db *DB) StorageUsed(ctx context.Context, orgID int64) (int64, error) {
	if _, err := db.authorize(ctx, nil, orgID, core.RuleReadReleases); err != nil {
		return 0, err
	}
	var n int64
	err := db.db.QueryRowContext(ctx, `SELECT CAST(coalesce(sum(size), 0) AS BIGINT) FROM chunks WHERE org_id = ?`, orgID).Scan(&n)
	return n, err
}

// chunkInUse is true when a bundle or debug file of the chunk row's organization uses it.
const chunkInUse = `(EXISTS (SELECT 1 FROM artifact_bundle_chunks abc JOIN artifact_bundles ab ON ab.id = abc.bundle_id
		WHERE abc.sha1 = c.sha1 AND ab.org_id = c.org_id)
	OR EXISTS (SELECT 1 FROM debug_file_chunks dfc JOIN debug_files df ON df.id = dfc.debug_file_id
		WHERE dfc.sha1 = c.sha1 AND df.org_id = c.org_id))`

// PruneChunks forgets chunks uploaded before cutoff that nothing uses and returns the blobs
// nobody holds any more. It is the server's own maintenance (run every hour or so with
// now - core.UnassembledChunkLifetime), so it checks no actor.
func (db *DB) PruneChunks(ctx context.Context, cutoff time.Time) ([]string, error) {
	var orphans []string
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `DELETE FROM chunks AS c WHERE c.created_at < ? AND NOT `+chunkInUse+` RETURNING sha1`, unix(cutoff))
		if err != nil {
			return err
		}
		var removed []string
		for rows.Next() {
			var s string
			if err := rows.Scan(&s); err != nil {
				rows.Close()
				return err
			}
			removed = append(removed, s)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		orphans, err = ciUnheld(ctx, tx, removed)
		return err
	})
	return orphans, err
}

// unheld returns those of sums (deduplicated, sorted) that no organization holds.
func ciUnheld(ctx context.Context, tx *sql.Tx, sums []string) ([]string, error) {
	sort.Strings(sums)
	var out []string
	for i, s := range sums {
		if i > 0 && sums[i-1] == s {
			continue
		}
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM chunks WHERE sha1 = ?`, s).Scan(&n); err != nil {
			return nil, err
		}
		if n == 0 {
			out = append(out, s)
		}
	}
	return out, nil
}

// requireChunks fails unless the organization holds every chunk (a prune may have run
// between the client's upload and its assemble call).
func ciRequireChunks(ctx context.Context, tx *sql.Tx, orgID int64, sums []string) error {
	for _, s := range sums {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM chunks WHERE org_id = ? AND sha1 = ?`, orgID, s).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return core.Errorf(core.ENOTFOUND, "Chunk %s has not been uploaded", s)
		}
	}
	return nil
}

// CreateArtifactBundle records an assembled bundle with its chunks, files and projects.
func (db *DB) CreateArtifactBundle(ctx context.Context, orgID int64, n core.NewArtifactBundle) (*core.ArtifactBundle, bool, error) {
	if len(n.Projects) == 0 {
		return nil, false, core.FieldError("projects", "You need to specify at least one project")
	}
	if n.Dist != "" && n.Release == "" {
		return nil, false, core.FieldError("dist", "You need to specify a release together with a dist")
	}
	if n.BundleID == "" && len(n.Checksum) == 40 {
		// Sentry names every bundle by a UUID; sentry-cli always writes one into the
		// manifest, other clients may not. Derive a stable one from the checksum.
		c := n.Checksum
		n.BundleID = c[:8] + "-" + c[8:12] + "-" + c[12:16] + "-" + c[16:20] + "-" + c[20:32]
	}
	var b *core.ArtifactBundle
	created := false
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := db.authorize(ctx, tx, orgID, core.RuleWriteReleases); err != nil {
			return err
		}
		projectIDs, err := resolveProjects(ctx, tx, orgID, n.Projects)
		if err != nil {
			return err
		}
		if err := ciRequireChunks(ctx, tx, orgID, n.Chunks); err != nil {
			return err
		}
		var id int64
		err = tx.QueryRowContext(ctx, `INSERT INTO artifact_bundles (org_id, checksum, bundle_id, release, dist, size, file_count, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (org_id, checksum) DO NOTHING RETURNING id`,
			orgID, n.Checksum, n.BundleID, n.Release, n.Dist, n.Size, len(n.Files), unix(db.Now())).Scan(&id)
		switch {
		case err == nil:
			created = true
			for i, s := range n.Chunks {
				if _, err := tx.ExecContext(ctx, `INSERT INTO artifact_bundle_chunks (bundle_id, idx, sha1) VALUES (?, ?, ?)`, id, i, s); err != nil {
					return err
				}
			}
			for _, f := range n.Files {
				if _, err := tx.ExecContext(ctx, `INSERT INTO artifact_bundle_files (bundle_id, path, url, type, size, debug_id, sourcemap)
					VALUES (?, ?, ?, ?, ?, ?, ?)`, id, f.Path, f.URL, f.Type, f.Size, f.DebugID, f.SourceMap); err != nil {
					return err
				}
			}
		case err == sql.ErrNoRows:
			// The same bundle again (a retried CI job): it gains the projects, nothing else.
			if err := tx.QueryRowContext(ctx, `SELECT id FROM artifact_bundles WHERE org_id = ? AND checksum = ?`,
				orgID, n.Checksum).Scan(&id); err != nil {
				return err
			}
		default:
			return err
		}
		for _, pid := range projectIDs {
			if _, err := tx.ExecContext(ctx, `INSERT INTO artifact_bundle_projects (bundle_id, project_id) VALUES (?, ?)
				ON CONFLICT DO NOTHING`, id, pid); err != nil {
				return err
			}
		}
		bs, err := queryBundles(ctx, tx.QueryContext, `ab.id = ?`, []any{id}, core.Page{Limit: 1})
		if err != nil {
			return err
		}
		b = &bs[0]
		return nil
	})
	if err != nil {
		return nil, false, err
	}
	return b, created, nil
}

// queryBundles lists bundles matching where (on ab), newest first, with their project slugs.
func queryBundles(ctx context.Context, q querier, where string, args []any, page core.Page) ([]core.ArtifactBundle, error) {
	rows, err := q(ctx, `SELECT ab.id, ab.org_id, ab.checksum, ab.bundle_id, ab.release, ab.dist, ab.size, ab.file_count, ab.created_at,
			coalesce((SELECT group_concat(slug, ' ') FROM (SELECT p.slug FROM artifact_bundle_projects abp
				JOIN projects p ON p.id = abp.project_id WHERE abp.bundle_id = ab.id ORDER BY p.slug) AS s), '')
		FROM artifact_bundles ab WHERE `+where+` ORDER BY ab.created_at DESC, ab.id DESC LIMIT ? OFFSET ?`,
		append(args, page.Limit, page.Offset)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []core.ArtifactBundle
	for rows.Next() {
		var b core.ArtifactBundle
		var created int64
		var projects string
		if err := rows.Scan(&b.ID, &b.OrgID, &b.Checksum, &b.BundleID, &b.Release, &b.Dist, &b.Size, &b.FileCount, &created, &projects); err != nil {
			return nil, err
		}
		b.CreatedAt = fromUnix(created)
		if projects != "" {
			b.Projects = strings.Split(projects, " ")
		}
		out = append(out, b)
	}
	return out, rows.Err()
}

// ArtifactBundleByChecksum finds a bundle by checksum.
func (db *DB) ArtifactBundleByChecksum(ctx context.Context, orgID int64, checksum string) (*core.ArtifactBundle, error) {
	if _, err := db.authorize(ctx, nil, orgID, core.RuleReadReleases); err != nil {
		return nil, err
	}
	bs, err := queryBundles(ctx, db.db.QueryContext, `ab.org_id = ? AND ab.checksum = ?`, []any{orgID, checksum}, core.Page{Limit: 1})
	if err != nil {
		return nil, err
	}
	if len(bs) == 0 {
		return nil, core.Errorf(core.ENOTFOUND, msgResourceNotFound)
	}
	return &bs[0], nil
}

// ArtifactBundleByBundleID finds the newest bundle with that bundle (debug) id, the id
// Sentry's artifact-bundle URLs carry.
func (db *DB) ArtifactBundleByBundleID(ctx context.Context, orgID int64, bundleID string) (*core.ArtifactBundle, error) {
	if _, err := db.authorize(ctx, nil, orgID, core.RuleReadReleases); err != nil {
		return nil, err
	}
	bs, err := queryBundles(ctx, db.db.QueryContext, `ab.org_id = ? AND ab.bundle_id = ?`, []any{orgID, bundleID}, core.Page{Limit: 1})
	if err != nil {
		return nil, err
	}
	if len(bs) == 0 {
		return nil, core.Errorf(core.ENOTFOUND, msgResourceNotFound)
	}
	return &bs[0], nil
}

// ArtifactBundles lists a project's, a release's or the organization's bundles.
func (db *DB) ArtifactBundles(ctx context.Context, orgID, projectID int64, release string, page core.Page) ([]core.ArtifactBundle, error) {
	if _, err := db.authorize(ctx, nil, orgID, core.RuleReadReleases); err != nil {
		return nil, err
	}
	page = page.Normalize(100, 1000)
	where, args := `ab.org_id = ?`, []any{orgID}
	if projectID != 0 {
		where += ` AND ab.id IN (SELECT bundle_id FROM artifact_bundle_projects WHERE project_id = ?)`
		args = append(args, projectID)
	}
	if release != "" {
		where += ` AND ab.release = ?`
		args = append(args, release)
	}
	return queryBundles(ctx, db.db.QueryContext, where, args, page)
}

// ArtifactBundleFiles lists a bundle's files by path and its chunks in order.
func (db *DB) ArtifactBundleFiles(ctx context.Context, orgID, bundleID int64) ([]core.ArtifactFile, []string, error) {
	if _, err := db.authorize(ctx, nil, orgID, core.RuleReadReleases); err != nil {
		return nil, nil, err
	}
	var files []core.ArtifactFile
	var chunks []string
	err := db.inReadTx(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM artifact_bundles WHERE id = ? AND org_id = ?`, bundleID, orgID).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return core.Errorf(core.ENOTFOUND, msgResourceNotFound)
		}
		rows, err := tx.QueryContext(ctx, `SELECT path, url, type, size, debug_id, sourcemap FROM artifact_bundle_files
			WHERE bundle_id = ? ORDER BY path`, bundleID)
		if err != nil {
			return err
		}
		for rows.Next() {
			var f core.ArtifactFile
			if err := rows.Scan(&f.Path, &f.URL, &f.Type, &f.Size, &f.DebugID, &f.SourceMap); err != nil {
				rows.Close()
				return err
			}
			files = append(files, f)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		chunks, err = ciChunkList(ctx, tx, `SELECT sha1 FROM artifact_bundle_chunks WHERE bundle_id = ? ORDER BY idx`, bundleID)
		return err
	})
	return files, chunks, err
}

func ciChunkList(ctx context.Context, tx *sql.Tx, query string, id int64) ([]string, error) {
	rows, err := tx.QueryContext(ctx, query, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// DeleteArtifactBundle removes a bundle, then the organization's chunks that only it used.
// Sentry lets project:releases and project:admin delete bundles, not org:ci.
func (db *DB) DeleteArtifactBundle(ctx context.Context, orgID, bundleID int64) ([]string, error) {
	var orphans []string
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := db.authorize(ctx, tx, orgID, core.RuleDeleteReleases); err != nil {
			return err
		}
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM artifact_bundles WHERE id = ? AND org_id = ?`, bundleID, orgID).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return core.Errorf(core.ENOTFOUND, msgResourceNotFound)
		}
		sums, err := ciChunkList(ctx, tx, `SELECT sha1 FROM artifact_bundle_chunks WHERE bundle_id = ? ORDER BY idx`, bundleID)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM artifact_bundles WHERE id = ?`, bundleID); err != nil {
			return err
		}
		orphans, err = ciReleaseChunks(ctx, tx, orgID, sums)
		return err
	})
	return orphans, err
}

// releaseChunks drops the organization's hold on those of sums nothing of it uses any more,
// and returns the blobs nobody holds.
func ciReleaseChunks(ctx context.Context, tx *sql.Tx, orgID int64, sums []string) ([]string, error) {
	for _, s := range sums {
		if _, err := tx.ExecContext(ctx, `DELETE FROM chunks AS c WHERE c.org_id = ? AND c.sha1 = ? AND NOT `+chunkInUse, orgID, s); err != nil {
			return nil, err
		}
	}
	return ciUnheld(ctx, tx, append([]string(nil), sums...))
}

const debugFileColumns = `id, org_id, project_id, checksum, name, debug_id, kind, size, created_at`

func scanDebugFile(row interface{ Scan(...any) error }) (core.DebugFile, error) {
	var f core.DebugFile
	var created int64
	err := row.Scan(&f.ID, &f.OrgID, &f.ProjectID, &f.Checksum, &f.Name, &f.DebugID, &f.Kind, &f.Size, &created)
	f.CreatedAt = fromUnix(created)
	return f, err
}

// projectInOrg fails with ENOTFOUND unless the project belongs to the organization.
func ciProjectInOrg(ctx context.Context, tx *sql.Tx, orgID, projectID int64) error {
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM projects WHERE id = ? AND org_id = ?`, projectID, orgID).Scan(&n); err != nil {
		return err
	}
	if n == 0 {
		return core.Errorf(core.ENOTFOUND, msgResourceNotFound)
	}
	return nil
}

// CreateDebugFile records an assembled debug file.
func (db *DB) CreateDebugFile(ctx context.Context, orgID, projectID int64, n core.NewDebugFile) (*core.DebugFile, bool, error) {
	if n.Name == "" || len(n.Name) > 256 || !ciPrintable(n.Name) {
		return nil, false, core.FieldError("name", "A debug file needs a name of at most 256 characters.")
	}
	var f core.DebugFile
	created := false
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := db.authorize(ctx, tx, orgID, core.RuleWriteReleases); err != nil {
			return err
		}
		if err := ciProjectInOrg(ctx, tx, orgID, projectID); err != nil {
			return err
		}
		if err := ciRequireChunks(ctx, tx, orgID, n.Chunks); err != nil {
			return err
		}
		var id int64
		err := tx.QueryRowContext(ctx, `INSERT INTO debug_files (org_id, project_id, checksum, name, debug_id, kind, size, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (project_id, checksum) DO NOTHING RETURNING id`,
			orgID, projectID, n.Checksum, n.Name, n.DebugID, n.Kind, n.Size, unix(db.Now())).Scan(&id)
		switch {
		case err == nil:
			created = true
			for i, s := range n.Chunks {
				if _, err := tx.ExecContext(ctx, `INSERT INTO debug_file_chunks (debug_file_id, idx, sha1) VALUES (?, ?, ?)`, id, i, s); err != nil {
					return err
				}
			}
		case err != sql.ErrNoRows:
			return err
		}
		f, err = scanDebugFile(tx.QueryRowContext(ctx, `SELECT `+debugFileColumns+` FROM debug_files WHERE project_id = ? AND checksum = ?`,
			projectID, n.Checksum))
		return err
	})
	if err != nil {
		return nil, false, err
	}
	return &f, created, nil
}

// DebugFileByChecksum finds a project's debug file by checksum.
func (db *DB) DebugFileByChecksum(ctx context.Context, orgID, projectID int64, checksum string) (*core.DebugFile, error) {
	if _, err := db.authorize(ctx, nil, orgID, core.RuleReadReleases); err != nil {
		return nil, err
	}
	f, err := scanDebugFile(db.db.QueryRowContext(ctx, `SELECT `+debugFileColumns+` FROM debug_files
		WHERE org_id = ? AND project_id = ? AND checksum = ?`, orgID, projectID, checksum))
	if err != nil {
		return nil, notFound(err, msgResourceNotFound)
	}
	return &f, nil
}

// DebugFiles lists a project's debug files, newest first.
func (db *DB) DebugFiles(ctx context.Context, orgID, projectID int64, page core.Page) ([]core.DebugFile, error) {
	if _, err := db.authorize(ctx, nil, orgID, core.RuleReadReleases); err != nil {
		return nil, err
	}
	page = page.Normalize(100, 1000)
	rows, err := db.db.QueryContext(ctx, `SELECT `+debugFileColumns+` FROM debug_files WHERE org_id = ? AND project_id = ?
		ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?`, orgID, projectID, page.Limit, page.Offset)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []core.DebugFile
	for rows.Next() {
		f, err := scanDebugFile(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	return out, rows.Err()
}

// releaseID finds a release's id by version.
func ciReleaseID(ctx context.Context, tx *sql.Tx, orgID int64, version string) (int64, error) {
	var id int64
	err := tx.QueryRowContext(ctx, `SELECT id FROM releases WHERE org_id = ? AND version = ?`, orgID, version).Scan(&id)
	return id, notFound(err, msgResourceNotFound)
}

const deployColumns = `id, release_id, environment, name, url, started_at, finished_at`

func scanDeploy(row interface{ Scan(...any) error }) (core.Deploy, error) {
	var d core.Deploy
	var started sql.NullInt64
	var finished int64
	err := row.Scan(&d.ID, &d.ReleaseID, &d.Environment, &d.Name, &d.URL, &started, &finished)
	d.DateStarted, d.DateFinished = fromNullUnix(started), fromUnix(finished)
	return d, err
}

// CreateDeploy records a deploy of a release.
func (db *DB) CreateDeploy(ctx context.Context, orgID int64, version string, n core.NewDeploy) (*core.Deploy, error) {
	if err := n.Validate(); err != nil {
		return nil, err
	}
	var d core.Deploy
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := db.authorize(ctx, tx, orgID, core.RuleWriteReleases); err != nil {
			return err
		}
		rid, err := ciReleaseID(ctx, tx, orgID, version)
		if err != nil {
			return err
		}
		projectIDs, err := resolveProjects(ctx, tx, orgID, n.Projects)
		if err != nil {
			return err
		}
		for _, pid := range projectIDs {
			var k int
			if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM release_projects WHERE release_id = ? AND project_id = ?`, rid, pid).Scan(&k); err != nil {
				return err
			}
			if k == 0 {
				return core.FieldError("projects", "Invalid projects: the release does not belong to them")
			}
		}
		finished := db.Now()
		if n.DateFinished != nil {
			finished = *n.DateFinished
		}
		d, err = scanDeploy(tx.QueryRowContext(ctx, `INSERT INTO deploys (release_id, environment, name, url, started_at, finished_at)
			VALUES (?, ?, ?, ?, ?, ?) RETURNING `+deployColumns, rid, n.Environment, n.Name, n.URL, nullableUnix(n.DateStarted), unix(finished)))
		return err
	})
	if err != nil {
		return nil, err
	}
	return &d, nil
}

// Deploys lists a release's deploys, newest first.
func (db *DB) Deploys(ctx context.Context, orgID int64, version string) ([]core.Deploy, error) {
	if _, err := db.authorize(ctx, nil, orgID, core.RuleReadReleases); err != nil {
		return nil, err
	}
	var out []core.Deploy
	err := db.inReadTx(ctx, func(tx *sql.Tx) error {
		rid, err := ciReleaseID(ctx, tx, orgID, version)
		if err != nil {
			return err
		}
		rows, err := tx.QueryContext(ctx, `SELECT `+deployColumns+` FROM deploys WHERE release_id = ? ORDER BY finished_at DESC, id DESC`, rid)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			d, err := scanDeploy(rows)
			if err != nil {
				return err
			}
			out = append(out, d)
		}
		return rows.Err()
	})
	return out, err
}

// idJSON renders ids as a JSON array, for json_each: one statement text whatever the
// number of ids, so it is prepared once.
func idJSON(ids []int64) string {
	var b strings.Builder
	b.WriteByte('[')
	for i, id := range ids {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.FormatInt(id, 10))
	}
	b.WriteByte(']')
	return b.String()
}

// ReleaseDeployStats returns each release's deploy count and last deploy, in one query for
// the whole page of releases (the release list calls it on every request).
func (db *DB) ReleaseDeployStats(ctx context.Context, orgID int64, releaseIDs []int64) (map[int64]core.DeployStats, error) {
	if _, err := db.authorize(ctx, nil, orgID, core.RuleReadReleases); err != nil {
		return nil, err
	}
	return db.deployStats(ctx, orgID, releaseIDs)
}

// deployStats is ReleaseDeployStats without the permission check (the release page reads
// it after its own).
func (db *DB) deployStats(ctx context.Context, orgID int64, releaseIDs []int64) (map[int64]core.DeployStats, error) {
	out := make(map[int64]core.DeployStats, len(releaseIDs))
	for _, id := range releaseIDs {
		out[id] = core.DeployStats{}
	}
	if len(releaseIDs) == 0 {
		return out, nil
	}
	// One constant statement (prepared once) for any page: the ids go in as a JSON array.
	// Each release costs two index seeks on deploys_release, the count and the newest.
	// Only the organization's releases: an id from elsewhere reads as no deploys.
	rows, err := db.query(ctx, `SELECT d.id, d.release_id, d.environment, d.name, d.url, d.started_at, d.finished_at,
			(SELECT count(*) FROM deploys WHERE release_id = r.id)
		FROM releases r JOIN deploys d ON d.id = (SELECT id FROM deploys WHERE release_id = r.id ORDER BY finished_at DESC, id DESC LIMIT 1)
		WHERE r.org_id = ? AND r.id IN (SELECT CAST(value AS BIGINT) FROM json_each(?))`, orgID, idJSON(releaseIDs))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var d core.Deploy
		var started sql.NullInt64
		var finished int64
		var n int
		if err := rows.Scan(&d.ID, &d.ReleaseID, &d.Environment, &d.Name, &d.URL, &started, &finished, &n); err != nil {
			return nil, err
		}
		d.DateStarted, d.DateFinished = fromNullUnix(started), fromUnix(finished)
		out[d.ReleaseID] = core.DeployStats{Count: n, Last: &d}
	}
	return out, rows.Err()
}

// ensureRepository finds or creates the organization's repository by name.
func ensureRepository(ctx context.Context, tx *sql.Tx, orgID int64, name string, now int64) (int64, error) {
	var id int64
	err := tx.QueryRowContext(ctx, `INSERT INTO repositories (org_id, name, created_at) VALUES (?, ?, ?)
		ON CONFLICT (org_id, name) DO UPDATE SET name = excluded.name RETURNING id`, orgID, name, now).Scan(&id)
	return id, err
}

// ensureCommit finds or creates a commit, filling in what a later, fuller report adds.
func ensureCommit(ctx context.Context, tx *sql.Tx, orgID, repoID int64, c core.NewCommit, now int64) (int64, error) {
	var authorID sql.NullInt64
	if email := strings.TrimSpace(c.AuthorEmail); email != "" {
		if err := tx.QueryRowContext(ctx, `INSERT INTO commit_authors (org_id, name, email) VALUES (?, ?, ?)
			ON CONFLICT (org_id, email) DO UPDATE SET name = CASE WHEN excluded.name <> '' THEN excluded.name ELSE commit_authors.name END
			RETURNING id`, orgID, c.AuthorName, strings.ToLower(email)).Scan(&authorID); err != nil {
			return 0, err
		}
	}
	var id int64
	err := tx.QueryRowContext(ctx, `INSERT INTO commits (org_id, repository_id, key, message, author_id, committed_at, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (repository_id, key) DO UPDATE SET
			message = CASE WHEN excluded.message <> '' THEN excluded.message ELSE commits.message END,
			author_id = coalesce(excluded.author_id, commits.author_id),
			committed_at = coalesce(excluded.committed_at, commits.committed_at)
		RETURNING id`, orgID, repoID, c.Key, c.Message, authorID, nullableUnix(c.Timestamp), now).Scan(&id)
	return id, err
}

// SetReleaseCommits replaces a release's commits.
func (db *DB) SetReleaseCommits(ctx context.Context, orgID int64, version string, commits []core.NewCommit) error {
	if err := core.ValidateCommits(commits); err != nil {
		return err
	}
	return db.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := db.authorize(ctx, tx, orgID, core.RuleWriteReleases); err != nil {
			return err
		}
		rid, err := ciReleaseID(ctx, tx, orgID, version)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM release_commits WHERE release_id = ?`, rid); err != nil {
			return err
		}
		now := unix(db.Now())
		for i, c := range commits {
			repoID, err := ensureRepository(ctx, tx, orgID, c.Repository, now)
			if err != nil {
				return err
			}
			cid, err := ensureCommit(ctx, tx, orgID, repoID, c, now)
			if err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO release_commits (release_id, commit_id, position) VALUES (?, ?, ?)
				ON CONFLICT DO NOTHING`, rid, cid, i); err != nil {
				return err
			}
		}
		return nil
	})
}

// refRepositories finds the repository each ref names: by its exact name, else by the name
// in any case (sentry-cli checks --commit REPO@SHA against the list case-insensitively and
// sends REPO as the user typed it). Refs naming repositories the organization lacks are
// refused as Sentry refuses them, naming the missing ones and where to add them.
func refRepositories(ctx context.Context, tx *sql.Tx, orgID int64, refs []core.ReleaseRef) ([]int64, error) {
	ids := make([]int64, len(refs))
	var missing []string
	for i, r := range refs {
		// lower() rather than COLLATE NOCASE: the same text runs on PostgreSQL.
		err := tx.QueryRowContext(ctx, `SELECT id FROM repositories WHERE org_id = ? AND lower(name) = lower(?)
			ORDER BY name = ? DESC, id LIMIT 1`, orgID, r.Repository, r.Repository).Scan(&ids[i])
		if err == sql.ErrNoRows {
			if !slices.Contains(missing, r.Repository) {
				missing = append(missing, r.Repository)
			}
			continue
		}
		if err != nil {
			return nil, err
		}
	}
	if len(missing) == 0 {
		return ids, nil
	}
	var slug string
	if err := tx.QueryRowContext(ctx, `SELECT slug FROM orgs WHERE id = ?`, orgID).Scan(&slug); err != nil {
		return nil, err
	}
	return nil, core.MissingRepositoriesError(slug, missing)
}

// SetReleaseRefs records each repository's head commit for a release. Every repository must
// exist (Sentry's rule: a ref names a repository, it does not create one). Without a provider
// integration to fetch the commits in between (tokenboard has none), the head commit itself
// is the release's commit in that repository, as the last of any already listed.
func (db *DB) SetReleaseRefs(ctx context.Context, orgID int64, version string, refs []core.ReleaseRef) error {
	if err := core.ValidateRefs(refs); err != nil {
		return err
	}
	return db.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := db.authorize(ctx, tx, orgID, core.RuleWriteReleases); err != nil {
			return err
		}
		rid, err := ciReleaseID(ctx, tx, orgID, version)
		if err != nil {
			return err
		}
		repoIDs, err := refRepositories(ctx, tx, orgID, refs)
		if err != nil {
			return err
		}
		now := unix(db.Now())
		for i, r := range refs {
			repoID := repoIDs[i]
			if _, err := tx.ExecContext(ctx, `INSERT INTO release_heads (release_id, repository_id, commit_key, previous_commit)
				VALUES (?, ?, ?, ?) ON CONFLICT (release_id, repository_id) DO UPDATE SET commit_key = excluded.commit_key,
				previous_commit = excluded.previous_commit`, rid, repoID, r.Commit, r.PreviousCommit); err != nil {
				return err
			}
			cid, err := ensureCommit(ctx, tx, orgID, repoID, core.NewCommit{Key: r.Commit, Repository: r.Repository}, now)
			if err != nil {
				return err
			}
			// The head is the newest: shift the others down.
			var n int
			if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM release_commits WHERE release_id = ? AND commit_id = ?`, rid, cid).Scan(&n); err != nil {
				return err
			}
			if n == 0 {
				if _, err := tx.ExecContext(ctx, `UPDATE release_commits SET position = position + 1 WHERE release_id = ?`, rid); err != nil {
					return err
				}
				if _, err := tx.ExecContext(ctx, `INSERT INTO release_commits (release_id, commit_id, position) VALUES (?, ?, 0)`, rid, cid); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

const commitQuery = `SELECT c.id, c.org_id, c.key, c.message, c.committed_at, c.created_at,
		r.id, r.org_id, r.name, r.url, r.provider, r.status, r.created_at,
		a.id, a.name, a.email
	FROM release_commits rc
	JOIN commits c ON c.id = rc.commit_id
	JOIN repositories r ON r.id = c.repository_id
	LEFT JOIN commit_authors a ON a.id = c.author_id`

func ciScanCommit(row interface{ Scan(...any) error }) (core.Commit, error) {
	var c core.Commit
	var committed sql.NullInt64
	var created, rCreated int64
	var aID sql.NullInt64
	var aName, aEmail sql.NullString
	err := row.Scan(&c.ID, &c.OrgID, &c.Key, &c.Message, &committed, &created,
		&c.Repository.ID, &c.Repository.OrgID, &c.Repository.Name, &c.Repository.URL, &c.Repository.Provider, &c.Repository.Status, &rCreated,
		&aID, &aName, &aEmail)
	c.Timestamp, c.CreatedAt, c.Repository.CreatedAt = fromNullUnix(committed), fromUnix(created), fromUnix(rCreated)
	if aID.Valid {
		c.Author = &core.CommitAuthor{ID: aID.Int64, Name: aName.String, Email: aEmail.String}
	}
	return c, err
}

func ciReleaseCommits(ctx context.Context, tx *sql.Tx, rid int64, limit int) ([]core.Commit, error) {
	rows, err := tx.QueryContext(ctx, commitQuery+` WHERE rc.release_id = ? ORDER BY rc.position LIMIT ?`, rid, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []core.Commit
	for rows.Next() {
		c, err := ciScanCommit(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// ReleaseCommits lists a release's commits, newest first.
func (db *DB) ReleaseCommits(ctx context.Context, orgID int64, version string) ([]core.Commit, error) {
	if _, err := db.authorize(ctx, nil, orgID, core.RuleReadReleases); err != nil {
		return nil, err
	}
	var out []core.Commit
	err := db.inReadTx(ctx, func(tx *sql.Tx) error {
		rid, err := ciReleaseID(ctx, tx, orgID, version)
		if err != nil {
			return err
		}
		out, err = ciReleaseCommits(ctx, tx, rid, 10000)
		return err
	})
	return out, err
}

// ReleaseCommitStats returns each release's commit count, last commit and authors, in two
// queries for the whole page of releases. The two are not one snapshot: a write in between
// can show an author of a commit not yet counted, which the next request corrects.
func (db *DB) ReleaseCommitStats(ctx context.Context, orgID int64, releaseIDs []int64) (map[int64]core.CommitStats, error) {
	if _, err := db.authorize(ctx, nil, orgID, core.RuleReadReleases); err != nil {
		return nil, err
	}
	return db.commitStats(ctx, orgID, releaseIDs)
}

// commitStats is ReleaseCommitStats without the permission check.
func (db *DB) commitStats(ctx context.Context, orgID int64, releaseIDs []int64) (map[int64]core.CommitStats, error) {
	out := make(map[int64]core.CommitStats, len(releaseIDs))
	for _, id := range releaseIDs {
		out[id] = core.CommitStats{}
	}
	if len(releaseIDs) == 0 {
		return out, nil
	}
	ids := idJSON(releaseIDs)
	// As in ReleaseDeployStats: constant statements, index seeks per release.
	rows, err := db.query(ctx, `SELECT r.id, (SELECT count(*) FROM release_commits WHERE release_id = r.id),
			c.id, c.org_id, c.key, c.message, c.committed_at, c.created_at,
			repo.id, repo.org_id, repo.name, repo.url, repo.provider, repo.status, repo.created_at, a.id, a.name, a.email
		FROM releases r
		JOIN commits c ON c.id = (SELECT commit_id FROM release_commits WHERE release_id = r.id ORDER BY position LIMIT 1)
		JOIN repositories repo ON repo.id = c.repository_id
		LEFT JOIN commit_authors a ON a.id = c.author_id
		WHERE r.org_id = ? AND r.id IN (SELECT CAST(value AS BIGINT) FROM json_each(?))`, orgID, ids)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var rid int64
		var n int
		var c core.Commit
		var committed sql.NullInt64
		var created, rCreated int64
		var aID sql.NullInt64
		var aName, aEmail sql.NullString
		if err := rows.Scan(&rid, &n, &c.ID, &c.OrgID, &c.Key, &c.Message, &committed, &created,
			&c.Repository.ID, &c.Repository.OrgID, &c.Repository.Name, &c.Repository.URL, &c.Repository.Provider,
			&c.Repository.Status, &rCreated, &aID, &aName, &aEmail); err != nil {
			rows.Close()
			return nil, err
		}
		c.Timestamp, c.CreatedAt, c.Repository.CreatedAt = fromNullUnix(committed), fromUnix(created), fromUnix(rCreated)
		if aID.Valid {
			c.Author = &core.CommitAuthor{ID: aID.Int64, Name: aName.String, Email: aEmail.String}
		}
		out[rid] = core.CommitStats{Count: n, Last: &c}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows, err = db.query(ctx, `SELECT DISTINCT r.id, a.id, a.name, a.email FROM releases r
		JOIN release_commits rc ON rc.release_id = r.id
		JOIN commits c ON c.id = rc.commit_id JOIN commit_authors a ON a.id = c.author_id
		WHERE r.org_id = ? AND r.id IN (SELECT CAST(value AS BIGINT) FROM json_each(?)) ORDER BY r.id, a.email`, orgID, ids)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var rid int64
		var a core.CommitAuthor
		if err := rows.Scan(&rid, &a.ID, &a.Name, &a.Email); err != nil {
			return nil, err
		}
		s := out[rid]
		s.Authors = append(s.Authors, a)
		out[rid] = s
	}
	return out, rows.Err()
}

// PreviousReleaseWithCommits finds the newest release before this one that has commits.
func (db *DB) PreviousReleaseWithCommits(ctx context.Context, orgID int64, version string) (*core.Release, *core.Commit, error) {
	if _, err := db.authorize(ctx, nil, orgID, core.RuleReadReleases); err != nil {
		return nil, nil, err
	}
	var rel *core.Release
	var last *core.Commit
	err := db.inReadTx(ctx, func(tx *sql.Tx) error {
		var rid, created int64
		err := tx.QueryRowContext(ctx, `SELECT id, created_at FROM releases WHERE org_id = ? AND version = ?`, orgID, version).Scan(&rid, &created)
		if err != nil {
			return notFound(err, msgResourceNotFound)
		}
		var prevVersion string
		var prevID int64
		err = tx.QueryRowContext(ctx, `SELECT id, version FROM releases r WHERE org_id = ? AND (created_at < ? OR (created_at = ? AND id < ?))
			AND EXISTS (SELECT 1 FROM release_commits WHERE release_id = r.id)
			ORDER BY created_at DESC, id DESC LIMIT 1`, orgID, created, created, rid).Scan(&prevID, &prevVersion)
		if err == sql.ErrNoRows {
			return nil
		}
		if err != nil {
			return err
		}
		if rel, err = releaseByVersion(ctx, tx.QueryContext, orgID, prevVersion); err != nil {
			return err
		}
		cs, err := ciReleaseCommits(ctx, tx, prevID, 1)
		if err != nil {
			return err
		}
		last = &cs[0]
		return nil
	})
	return rel, last, err
}

const repositoryColumns = `id, org_id, name, url, provider, status, created_at`

func scanRepository(row interface{ Scan(...any) error }, extra ...any) (core.Repository, error) {
	var r core.Repository
	var created int64
	err := row.Scan(append([]any{&r.ID, &r.OrgID, &r.Name, &r.URL, &r.Provider, &r.Status, &created}, extra...)...)
	r.CreatedAt = fromUnix(created)
	return r, err
}

// repositoryReleases counts the releases that list a commit of the repository, or name it in
// a ref: what a removal would take from them.
const repositoryReleases = `(SELECT count(*) FROM (
		SELECT rc.release_id FROM commits c JOIN release_commits rc ON rc.commit_id = c.id WHERE c.repository_id = repositories.id
		UNION SELECT release_id FROM release_heads WHERE repository_id = repositories.id) AS listed)`

// Repositories lists the organization's repositories by name, each with its commit count and
// the number of releases listing its commits. Both counts seek indexes (commits by
// repository, release_commits by commit); the list is a settings page's and sentry-cli's
// set-commits', not a hot path.
func (db *DB) Repositories(ctx context.Context, orgID int64) ([]core.Repository, error) {
	if _, err := db.authorize(ctx, nil, orgID, core.RuleReadRepositories); err != nil {
		return nil, err
	}
	rows, err := db.db.QueryContext(ctx, `SELECT `+repositoryColumns+`,
			(SELECT count(*) FROM commits WHERE repository_id = repositories.id), `+repositoryReleases+`
		FROM repositories WHERE org_id = ? ORDER BY name`, orgID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []core.Repository
	for rows.Next() {
		var commits, releases int
		r, err := scanRepository(rows, &commits, &releases)
		if err != nil {
			return nil, err
		}
		r.CommitCount, r.ReleaseCount = commits, releases
		out = append(out, r)
	}
	return out, rows.Err()
}

// AddRepository adds a repository an owner or manager names on Settings > Repositories, and
// audits it. A name the organization already has, in any case, is a conflict: sentry-cli
// matches names case-insensitively, so two such names could not be told apart.
func (db *DB) AddRepository(ctx context.Context, orgID int64, n core.NewRepository) (*core.Repository, error) {
	if err := n.Validate(); err != nil {
		return nil, err
	}
	var r core.Repository
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := db.authorize(ctx, tx, orgID, core.RuleManageRepositories); err != nil {
			return err
		}
		var existing string
		err := tx.QueryRowContext(ctx, `SELECT name FROM repositories WHERE org_id = ? AND lower(name) = lower(?) LIMIT 1`,
			orgID, n.Name).Scan(&existing)
		if err == nil {
			e := core.FieldError("name", "The repository "+existing+" has already been added.")
			e.Code = core.ECONFLICT
			return e
		} else if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		r, err = scanRepository(tx.QueryRowContext(ctx, `INSERT INTO repositories (org_id, name, url, created_at) VALUES (?, ?, ?, ?)
			RETURNING `+repositoryColumns, orgID, n.Name, n.URL, unix(db.Now())))
		if err != nil {
			return conflictAs(err, "name", "The repository "+n.Name+" has already been added.")
		}
		return db.audit(ctx, tx, orgID, core.AuditRepositoryAdded, n.Name)
	})
	if err != nil {
		return nil, err
	}
	return &r, nil
}

// RemoveRepository removes a repository with the commits recorded for it, and audits it. A
// repository that a release lists (a commit, or a ref's head) is kept: removing it would
// rewrite those releases' history, so the owner is told which and how many instead. Sentry
// hides a removed repository at once and deletes it with its commits later; tokenboard has
// no background deletion to hide behind, so it removes only what nothing shows.
func (db *DB) RemoveRepository(ctx context.Context, orgID, repoID int64) (*core.Repository, error) {
	var r core.Repository
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := db.authorize(ctx, tx, orgID, core.RuleManageRepositories); err != nil {
			return err
		}
		var releases int
		var err error
		r, err = scanRepository(tx.QueryRowContext(ctx, `SELECT `+repositoryColumns+`, `+repositoryReleases+`
			FROM repositories WHERE org_id = ? AND id = ?`, orgID, repoID), &releases)
		if err != nil {
			return notFound(err, "The repository does not exist.")
		}
		r.ReleaseCount = releases
		if r.ReleaseCount > 0 {
			return core.Errorf(core.EINVALID, "%s cannot be removed: %d %s its commits. Delete those releases first, or keep the repository.",
				r.Name, r.ReleaseCount, plural(r.ReleaseCount, "release lists", "releases list"))
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM repositories WHERE org_id = ? AND id = ?`, orgID, repoID); err != nil {
			return err
		}
		return db.audit(ctx, tx, orgID, core.AuditRepositoryRemoved, r.Name)
	})
	if err != nil {
		return nil, err
	}
	return &r, nil
}

// plural picks the singular or plural phrase for n.
func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// printable reports whether s has no control characters.
func ciPrintable(s string) bool {
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			return false
		}
	}
	return true
}
