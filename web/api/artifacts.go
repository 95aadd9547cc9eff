package api

import (
	"encoding/base64"
	"net/http"
	"regexp"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/tokenboard/tokenboard/internal/bundle"
	"github.com/tokenboard/tokenboard/internal/core"
)

// Artifact bundles (docs/CI-PROTOCOL.md, section 2): sentry-cli's "sourcemaps upload" builds
// a bundle, uploads its chunks and asks the server to assemble it; the project's bundles are
// listed and deleted through Sentry's endpoints for them.

// versionPattern is Sentry's schema for the assemble request's version.
var versionPattern = regexp.MustCompile(`^[^/]+$`)

// artifactAssembleRequest is the body of POST …/artifactbundle/assemble/.
type artifactAssembleRequest struct {
	Checksum *string  `json:"checksum"`
	Chunks   []string `json:"chunks"`
	Projects []any    `json:"projects"`
	Version  *string  `json:"version"`
	Dist     *string  `json:"dist"`
}

// ArtifactBundleAssemble answers POST /api/0/organizations/:org/artifactbundle/assemble/ in
// Sentry's order: chunks the organization lacks, a bundle already assembled, an empty poll,
// then assembly, which runs within the request, so the answer is final ("ok" or "error").
func (s *Endpoints) ArtifactBundleAssemble(c echo.Context) error {
	ctx, org := c.Request().Context(), currentAPIOrg(c).Org
	var req artifactAssembleRequest
	if msg := readAssembleBody(c, &req, true); msg != "" {
		return assembleError(c, msg)
	}
	switch {
	case req.Checksum == nil:
		return assembleError(c, "'checksum' is a required property")
	case !sha1Pattern.MatchString(*req.Checksum):
		return assembleError(c, "'"+*req.Checksum+"' does not match '^[0-9a-f]{40}$'")
	case req.Chunks == nil:
		return assembleError(c, "'chunks' is a required property")
	case len(req.Projects) == 0:
		return assembleError(c, "You need to specify at least one project")
	case req.Version != nil && !versionPattern.MatchString(*req.Version):
		return assembleError(c, "'"+*req.Version+"' does not match '^[^/]+$'")
	case req.Dist != nil && *req.Dist != "" && (req.Version == nil || *req.Version == ""):
		return assembleError(c, "You need to specify a release together with a dist")
	}
	for _, sum := range req.Chunks {
		if !sha1Pattern.MatchString(sum) {
			return assembleError(c, "'"+sum+"' does not match '^[0-9a-f]{40}$'")
		}
	}
	projects, err := s.resolveAssembleProjects(c, req.Projects)
	if err != nil {
		return err
	}
	if projects == nil {
		return assembleError(c, "One or more projects are invalid")
	}
	checksum := *req.Checksum
	n := core.NewArtifactBundle{Checksum: checksum, Chunks: req.Chunks, Projects: slugs(projects)}
	if req.Version != nil {
		n.Release = *req.Version
	}
	if req.Dist != nil {
		n.Dist = *req.Dist
	}

	missing, err := s.svc.CI.MissingChunks(ctx, org.ID, req.Chunks)
	if err != nil {
		return apiErr(err)
	}
	if len(missing) > 0 {
		return c.JSON(http.StatusOK, missingResult(missing))
	}
	if _, err := s.svc.CI.ArtifactBundleByChecksum(ctx, org.ID, checksum); err == nil {
		// Assembled before (a retried job, or a poll): the bundle gains any new project.
		if _, _, err := s.svc.CI.CreateArtifactBundle(ctx, org.ID, n); err != nil && !chunkNotUploaded(err) {
			return apiErr(err)
		}
		s.recordCIUse(c, projects[0].ID, core.ActionUploadSourceMaps)
		return c.JSON(http.StatusOK, okResult())
	} else if core.ErrorCode(err) != core.ENOTFOUND {
		return err
	}
	refusalKey := "bundle:" + strconv.FormatInt(org.ID, 10) + ":" + checksum
	if detail, ok := s.refused.get(refusalKey, s.now()); ok {
		return c.JSON(http.StatusOK, errorResult(detail))
	}
	if len(req.Chunks) == 0 {
		return c.JSON(http.StatusOK, missingResult([]string{}))
	}

	file, gone, refused, err := s.openVerified(ctx, checksum, req.Chunks)
	switch {
	case err != nil:
		return err
	case gone != "":
		return c.JSON(http.StatusOK, missingResult([]string{gone}))
	case refused != "":
		s.refused.put(refusalKey, refused, s.now())
		return c.JSON(http.StatusOK, errorResult(refused))
	}
	defer file.Close()
	a, err := bundle.ReadArtifact(file, file.Size(), bundle.DefaultLimits())
	if err != nil {
		if be, ok := err.(*bundle.Error); ok {
			s.refused.put(refusalKey, be.Message, s.now())
			return c.JSON(http.StatusOK, errorResult(be.Message))
		}
		return err
	}
	n.Size, n.BundleID = file.Size(), a.BundleID
	for _, f := range a.Files {
		n.Files = append(n.Files, core.ArtifactFile{Path: f.Path, URL: f.URL, Type: f.Type, Size: f.Size,
			DebugID: f.DebugID, SourceMap: f.SourceMap})
	}
	if _, _, err := s.svc.CI.CreateArtifactBundle(ctx, org.ID, n); err != nil {
		if chunkNotUploaded(err) {
			return c.JSON(http.StatusOK, missingResult(req.Chunks))
		}
		return apiErr(err)
	}
	s.recordCIUse(c, projects[0].ID, core.ActionUploadSourceMaps)
	return c.JSON(http.StatusOK, okResult())
}

// resolveAssembleProjects finds the organization's projects an assemble request names (slugs,
// or ids when all digits); nil when one of them does not exist.
func (s *Endpoints) resolveAssembleProjects(c echo.Context, names []any) ([]core.Project, error) {
	all, err := s.svc.Orgs.Projects(c.Request().Context(), currentAPIOrg(c).Org.ID)
	if err != nil {
		return nil, apiErr(err)
	}
	var out []core.Project
	for _, n := range names {
		var name string
		switch v := n.(type) {
		case string:
			name = v
		case float64:
			name = strconv.FormatInt(int64(v), 10)
		default:
			return nil, nil
		}
		found := false
		for _, p := range all {
			if p.Slug == name || strconv.FormatInt(p.ID, 10) == name {
				out, found = append(out, p), true
				break
			}
		}
		if !found {
			return nil, nil
		}
	}
	return out, nil
}

func slugs(ps []core.Project) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.Slug
	}
	return out
}

// apiBundleAssociation is a bundle's release and dist, as Sentry lists them.
type apiBundleAssociation struct {
	Release string  `json:"release"`
	Dist    *string `json:"dist"`
}

// apiArtifactBundle is one entry of a project's artifact bundle list.
type apiArtifactBundle struct {
	BundleID     string                 `json:"bundleId"`
	Associations []apiBundleAssociation `json:"associations"`
	FileCount    int                    `json:"fileCount"`
	Date         isoTime                `json:"date"`
	DateModified isoTime                `json:"dateModified"`
}

func artifactBundleJSON(b core.ArtifactBundle) apiArtifactBundle {
	out := apiArtifactBundle{BundleID: b.BundleID, Associations: []apiBundleAssociation{}, FileCount: b.FileCount,
		Date: isoTime(b.CreatedAt), DateModified: isoTime(b.CreatedAt)}
	if b.Release != "" {
		out.Associations = append(out.Associations, apiBundleAssociation{Release: b.Release, Dist: nullable(b.Dist)})
	}
	return out
}

// ArtifactBundles answers GET /api/0/projects/:org/:project/files/artifact-bundles/: the
// project's bundles, newest first.
func (s *Endpoints) ArtifactBundles(c echo.Context) error {
	p, err := s.apiProjectParam(c)
	if err != nil {
		return err
	}
	page, err := apiPage(c)
	if err != nil {
		return err
	}
	bs, err := s.svc.CI.ArtifactBundles(c.Request().Context(), currentAPIOrg(c).Org.ID, p.ID, "",
		core.Page{Offset: page.Offset, Limit: page.Limit + 1})
	if err != nil {
		return apiErr(err)
	}
	hasMore := len(bs) > page.Limit
	if hasMore {
		bs = bs[:page.Limit]
	}
	out := make([]apiArtifactBundle, len(bs))
	for i, b := range bs {
		out[i] = artifactBundleJSON(b)
	}
	s.setLinkHeader(c, page, hasMore)
	return c.JSON(http.StatusOK, out)
}

// apiBundleFile is one file of a bundle, as Sentry's bundle files endpoint shows it.
type apiBundleFile struct {
	ID        string  `json:"id"`
	FilePath  string  `json:"filePath"`
	FileSize  int64   `json:"fileSize"`
	FileType  int     `json:"fileType"`
	DebugID   *string `json:"debugId"`
	SourceMap *string `json:"sourcemap"`
}

// fileTypes are Sentry's numbers for the manifest's file types.
var fileTypes = map[string]int{
	bundle.TypeSource: 1, bundle.TypeMinifiedSource: 2, bundle.TypeSourceMap: 3, bundle.TypeIndexedRAMBundle: 4,
}

type apiBundleFiles struct {
	apiArtifactBundle
	Files []apiBundleFile `json:"files"`
}

// projectBundle loads the bundle a :bundleId route names; it must belong to the project.
func (s *Endpoints) projectBundle(c echo.Context, bundleID string) (*core.ArtifactBundle, error) {
	p, err := s.apiProjectParam(c)
	if err != nil {
		return nil, err
	}
	b, err := s.svc.CI.ArtifactBundleByBundleID(c.Request().Context(), currentAPIOrg(c).Org.ID, bundleID)
	if err != nil {
		return nil, apiErr(err)
	}
	for _, slug := range b.Projects {
		if slug == p.Slug {
			return b, nil
		}
	}
	return nil, core.Errorf(core.ENOTFOUND, msgNotFound)
}

// ArtifactBundleFiles answers GET /api/0/projects/:org/:project/artifact-bundles/:bundle/files/.
func (s *Endpoints) ArtifactBundleFiles(c echo.Context) error {
	b, err := s.projectBundle(c, pathParam(c, "bundle"))
	if err != nil {
		return err
	}
	files, _, err := s.svc.CI.ArtifactBundleFiles(c.Request().Context(), b.OrgID, b.ID)
	if err != nil {
		return apiErr(err)
	}
	out := apiBundleFiles{apiArtifactBundle: artifactBundleJSON(*b), Files: make([]apiBundleFile, len(files))}
	for i, f := range files {
		out.Files[i] = apiBundleFile{ID: base64.URLEncoding.EncodeToString([]byte(f.Path)), FilePath: f.URL,
			FileSize: f.Size, FileType: fileTypes[f.Type], DebugID: nullable(f.DebugID), SourceMap: nullable(f.SourceMap)}
	}
	return c.JSON(http.StatusOK, out)
}

// ArtifactBundleDelete answers DELETE /api/0/projects/:org/:project/files/artifact-bundles/?bundleId=…
// with 204. The chunks only this bundle used are released, and their blobs deleted once no
// organization holds them.
func (s *Endpoints) ArtifactBundleDelete(c echo.Context) error {
	id := c.QueryParam("bundleId")
	if id == "" {
		return core.Errorf(core.EINVALID, "Missing bundleId parameter")
	}
	b, err := s.projectBundle(c, id)
	if err != nil {
		return err
	}
	started := s.now()
	orphans, err := s.svc.CI.DeleteArtifactBundle(c.Request().Context(), b.OrgID, b.ID)
	if err != nil {
		return apiErr(err)
	}
	for _, sum := range orphans {
		// A failure leaves a blob nobody holds; maintenance does not find those, but a later
		// upload of the same bytes reuses it. Not worth failing the request over.
		s.svc.Blobs.DeleteIfIdleSince(c.Request().Context(), sum, started)
	}
	return c.NoContent(http.StatusNoContent)
}
