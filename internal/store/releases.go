package store

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"strings"

	"github.com/tokenboard/tokenboard/internal/core"
)

const msgResourceNotFound = "The requested resource does not exist."

// releaseQuery selects releases (the inner query, which does the filtering, ordering and
// paging) with their projects, one row per release and project, in the releases' order.
const releaseQuery = `SELECT r.id, r.org_id, r.version, r.ref, r.url, r.created_at, r.released_at, r.status,
		p.id, p.org_id, coalesce(p.team_id, 0), p.slug, p.name, p.platform, p.created_at
	FROM (%s) r
	LEFT JOIN release_projects rp ON rp.release_id = r.id
	LEFT JOIN projects p ON p.id = rp.project_id
	ORDER BY r.created_at DESC, r.id DESC, p.slug`

// querier runs a query: a transaction's QueryContext, or the database's prepared statements.
type querier func(ctx context.Context, query string, args ...any) (*sql.Rows, error)

// queryReleases runs releaseQuery around inner and groups the rows into releases.
func queryReleases(ctx context.Context, q querier, inner string, args ...any) ([]core.Release, error) {
	rows, err := q(ctx, strings.Replace(releaseQuery, "%s", inner, 1), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []core.Release
	for rows.Next() {
		var r core.Release
		var created int64
		var released sql.NullInt64
		var pID, pOrg, pTeam, pCreated sql.NullInt64
		var pSlug, pName, pPlatform sql.NullString
		if err := rows.Scan(&r.ID, &r.OrgID, &r.Version, &r.Ref, &r.URL, &created, &released, &r.Status,
			&pID, &pOrg, &pTeam, &pSlug, &pName, &pPlatform, &pCreated); err != nil {
			return nil, err
		}
		if n := len(out); n == 0 || out[n-1].ID != r.ID {
			r.CreatedAt, r.ReleasedAt = fromUnix(created), fromNullUnix(released)
			out = append(out, r)
		}
		if pID.Valid {
			last := &out[len(out)-1]
			last.Projects = append(last.Projects, core.Project{ID: pID.Int64, OrgID: pOrg.Int64, TeamID: pTeam.Int64,
				Slug: pSlug.String, Name: pName.String, Platform: pPlatform.String, CreatedAt: fromUnix(pCreated.Int64)})
		}
	}
	return out, rows.Err()
}

const releaseColumns = `id, org_id, version, ref, url, created_at, released_at, status`

// The size of a page of releases: by default, and at most.
const (
	releasePageDefault = 100
	releasePageMax     = 1000
)

// Releases returns a page of the organization's releases, newest first; with projectID, only
// that project's. Cache answers pages from memory between writes.
func (db *DB) Releases(ctx context.Context, orgID, projectID int64, page core.Page) ([]core.Release, error) {
	if _, err := db.authorize(ctx, nil, orgID, core.RuleReadReleases); err != nil {
		return nil, err
	}
	return db.releasePage(ctx, orgID, projectID, page.Normalize(releasePageDefault, releasePageMax))
}

// RenderedReleases is Releases rendered by render; Cache keeps the rendering with the page.
func (db *DB) RenderedReleases(ctx context.Context, orgID, projectID int64, page core.Page, _ string,
	render func([]core.Release) ([]byte, error)) ([]byte, int, error) {
	rs, err := db.Releases(ctx, orgID, projectID, page)
	if err != nil {
		return nil, 0, err
	}
	body, err := render(rs)
	return body, len(rs), err
}

// releasePage reads a normalized page of releases with their deploy and commit stats,
// without any permission check. Cache keeps the whole page, stats included: they are three
// queries per page, far more than the rest of a request.
func (db *DB) releasePage(ctx context.Context, orgID, projectID int64, page core.Page) ([]core.Release, error) {
	var rs []core.Release
	var err error
	if projectID != 0 {
		rs, err = queryReleases(ctx, db.query, `SELECT `+releaseColumns+` FROM releases WHERE org_id = ?
			AND id IN (SELECT release_id FROM release_projects WHERE project_id = ?)
			ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?`, orgID, projectID, page.Limit, page.Offset)
	} else {
		rs, err = queryReleases(ctx, db.query, `SELECT `+releaseColumns+` FROM releases WHERE org_id = ?
			ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?`, orgID, page.Limit, page.Offset)
	}
	if err != nil {
		return nil, err
	}
	return rs, db.addReleaseStats(ctx, orgID, rs)
}

// addReleaseStats fills in each release's deploy and commit stats.
func (db *DB) addReleaseStats(ctx context.Context, orgID int64, rs []core.Release) error {
	if len(rs) == 0 {
		return nil
	}
	ids := make([]int64, len(rs))
	for i, r := range rs {
		ids[i] = r.ID
	}
	deploys, err := db.deployStats(ctx, orgID, ids)
	if err != nil {
		return err
	}
	commits, err := db.commitStats(ctx, orgID, ids)
	if err != nil {
		return err
	}
	for i := range rs {
		rs[i].Deploys, rs[i].Commits = deploys[rs[i].ID], commits[rs[i].ID]
	}
	return nil
}

// copyReleases copies a cached list, so that no caller can change what the next one gets.
func copyReleases(rs []core.Release) []core.Release {
	out := make([]core.Release, len(rs))
	for i, r := range rs {
		r.Projects = append([]core.Project(nil), r.Projects...)
		r.Commits.Authors = append([]core.CommitAuthor(nil), r.Commits.Authors...)
		// The last deploy and commit are shared: they are pointers the callers only read.
		out[i] = r
	}
	return out
}

// Release returns one release by version.
func (db *DB) Release(ctx context.Context, orgID int64, version string) (*core.Release, error) {
	if _, err := db.authorize(ctx, nil, orgID, core.RuleReadReleases); err != nil {
		return nil, err
	}
	r, err := releaseByVersion(ctx, db.query, orgID, version)
	if err != nil {
		return nil, err
	}
	rs := []core.Release{*r}
	if err := db.addReleaseStats(ctx, orgID, rs); err != nil {
		return nil, err
	}
	return &rs[0], nil
}

func releaseByVersion(ctx context.Context, q querier, orgID int64, version string) (*core.Release, error) {
	rs, err := queryReleases(ctx, q, `SELECT `+releaseColumns+` FROM releases WHERE org_id = ? AND version = ?`, orgID, version)
	if err != nil {
		return nil, err
	}
	if len(rs) == 0 {
		return nil, core.Errorf(core.ENOTFOUND, msgResourceNotFound)
	}
	return &rs[0], nil
}

// CreateRelease creates a release, or adds the projects to the existing one of that version.
func (db *DB) CreateRelease(ctx context.Context, orgID int64, n core.NewRelease) (*core.Release, bool, error) {
	if err := n.Validate(); err != nil {
		return nil, false, err
	}
	var r *core.Release
	created := false
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := db.authorize(ctx, tx, orgID, core.RuleWriteReleases); err != nil {
			return err
		}
		projectIDs, err := resolveProjects(ctx, tx, orgID, n.Projects)
		if err != nil {
			return err
		}
		var id int64
		err = tx.QueryRowContext(ctx, `INSERT INTO releases (org_id, version, ref, url, created_at, released_at)
			VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (org_id, version) DO NOTHING RETURNING id`,
			orgID, n.Version, n.Ref, n.URL, unix(db.Now()), nullableUnix(n.ReleasedAt)).Scan(&id)
		switch {
		case err == nil:
			created = true
		case errors.Is(err, sql.ErrNoRows):
			// Sentry's create is get-or-create: the existing release gains the projects.
			if err := tx.QueryRowContext(ctx, `SELECT id FROM releases WHERE org_id = ? AND version = ?`,
				orgID, n.Version).Scan(&id); err != nil {
				return err
			}
		default:
			return err
		}
		if err := addReleaseProjects(ctx, tx, id, projectIDs); err != nil {
			return err
		}
		r, err = releaseByVersion(ctx, tx.QueryContext, orgID, n.Version)
		return err
	})
	if err != nil {
		return nil, false, err
	}
	return r, created, nil
}

// UpdateRelease changes a release's ref, URL or release date and adds projects to it.
func (db *DB) UpdateRelease(ctx context.Context, orgID int64, version string, u core.ReleaseUpdate) (*core.Release, error) {
	if err := u.Validate(); err != nil {
		return nil, err
	}
	var r *core.Release
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := db.authorize(ctx, tx, orgID, core.RuleWriteReleases); err != nil {
			return err
		}
		var id int64
		err := tx.QueryRowContext(ctx, `SELECT id FROM releases WHERE org_id = ? AND version = ?`, orgID, version).Scan(&id)
		if err != nil {
			return notFound(err, msgResourceNotFound)
		}
		projectIDs, err := resolveProjects(ctx, tx, orgID, u.AddProjects)
		if err != nil {
			return err
		}
		if u.Ref != nil {
			if _, err := tx.ExecContext(ctx, `UPDATE releases SET ref = ? WHERE id = ?`, *u.Ref, id); err != nil {
				return err
			}
		}
		if u.URL != nil {
			if _, err := tx.ExecContext(ctx, `UPDATE releases SET url = ? WHERE id = ?`, *u.URL, id); err != nil {
				return err
			}
		}
		if u.ReleasedAt.Set {
			if _, err := tx.ExecContext(ctx, `UPDATE releases SET released_at = ? WHERE id = ?`,
				nullableUnix(u.ReleasedAt.Value), id); err != nil {
				return err
			}
		}
		if u.Status != nil {
			if _, err := tx.ExecContext(ctx, `UPDATE releases SET status = ? WHERE id = ?`, *u.Status, id); err != nil {
				return err
			}
		}
		if err := addReleaseProjects(ctx, tx, id, projectIDs); err != nil {
			return err
		}
		r, err = releaseByVersion(ctx, tx.QueryContext, orgID, version)
		return err
	})
	return r, err
}

// DeleteRelease removes a release.
func (db *DB) DeleteRelease(ctx context.Context, orgID int64, version string) error {
	return db.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := db.authorize(ctx, tx, orgID, core.RuleDeleteReleases); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM releases WHERE org_id = ? AND version = ?`, orgID, version)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return core.Errorf(core.ENOTFOUND, msgResourceNotFound)
		}
		return nil
	})
}

// resolveProjects finds the organization's projects named by slug or id. Like Sentry, one
// unknown name fails the whole request.
func resolveProjects(ctx context.Context, tx *sql.Tx, orgID int64, refs []string) ([]int64, error) {
	ids := make([]int64, 0, len(refs))
	for _, ref := range refs {
		var id int64
		byID, _ := strconv.ParseInt(ref, 10, 64)
		err := tx.QueryRowContext(ctx, `SELECT id FROM projects WHERE org_id = ? AND (slug = ? OR id = ?)
			ORDER BY slug = ? DESC LIMIT 1`, orgID, ref, byID, ref).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			return nil, core.FieldError("projects", "Invalid project ids or slugs")
		} else if err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, nil
}

func addReleaseProjects(ctx context.Context, tx *sql.Tx, releaseID int64, projectIDs []int64) error {
	for _, pid := range projectIDs {
		if _, err := tx.ExecContext(ctx, `INSERT INTO release_projects (release_id, project_id) VALUES (?, ?)
			ON CONFLICT DO NOTHING`, releaseID, pid); err != nil {
			return err
		}
	}
	return nil
}
