package api

import (
	"net/http"
	"sort"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/tokenboard/tokenboard/internal/bundle"
	"github.com/tokenboard/tokenboard/internal/core"
)

// Debug information files (docs/CI-PROTOCOL.md, section 3): sentry-cli's "debug-files upload"
// uses the same chunk protocol, one assemble request for all the files of a project.

// difAssembleFile is one file of a difs assemble request.
type difAssembleFile struct {
	Name    string   `json:"name"`
	DebugID *string  `json:"debug_id"`
	Chunks  []string `json:"chunks"`
}

// apiDifData is what the CLI prints of a file's kind: symbolic's object class.
type apiDifData struct {
	Type     string   `json:"type"`
	Features []string `json:"features"`
}

// apiDif is a recorded debug file, as the assemble answer reports it.
type apiDif struct {
	ID         string     `json:"id"`
	UUID       string     `json:"uuid"`
	DebugID    string     `json:"debugId"`
	ObjectName string     `json:"objectName"`
	CPUName    string     `json:"cpuName"`
	SHA1       string     `json:"sha1"`
	Data       apiDifData `json:"data"`
}

func difJSON(f *core.DebugFile) *apiDif {
	// tokenboard does not parse the files: "dbg" (a debug companion) is the class the CLI
	// accepts for any of them, "src" for a source bundle.
	class := "dbg"
	if f.Kind == bundle.KindSourceBundle {
		class = "src"
	}
	return &apiDif{ID: idString(f.ID), UUID: f.DebugID, DebugID: f.DebugID, ObjectName: f.Name, CPUName: "unknown",
		SHA1: f.Checksum, Data: apiDifData{Type: class, Features: []string{}}}
}

// DifsAssemble answers POST /api/0/projects/:org/:project/files/difs/assemble/: for each file
// (keyed by its SHA-1), in Sentry's order, a remembered refusal, an existing debug file of
// the project, no chunks, missing chunks, and otherwise assembly within the request.
func (s *Endpoints) DifsAssemble(c echo.Context) error {
	org := currentAPIOrg(c).Org
	p, err := s.apiProjectParam(c)
	if err != nil {
		return err
	}
	var req map[string]difAssembleFile
	if msg := readAssembleBody(c, &req, false); msg != "" {
		return assembleError(c, msg)
	}
	sums := make([]string, 0, len(req))
	for sum, f := range req {
		if !sha1Pattern.MatchString(sum) {
			return assembleError(c, "'"+sum+"' does not match '^[0-9a-f]{40}$'")
		}
		for _, ch := range f.Chunks {
			if !sha1Pattern.MatchString(ch) {
				return assembleError(c, "'"+ch+"' does not match '^[0-9a-f]{40}$'")
			}
		}
		sums = append(sums, sum)
	}
	sort.Strings(sums)
	out := make(map[string]assembleResult, len(req))
	recorded := false
	for _, sum := range sums {
		f := req[sum]
		res, err := s.assembleDif(c, org.ID, p, sum, f)
		if err != nil {
			return err
		}
		recorded = recorded || res.State == stateOK
		out[sum] = res
	}
	if recorded {
		s.recordCIUse(c, p.ID, core.ActionUploadDebugFiles)
	}
	return c.JSON(http.StatusOK, out)
}

func (s *Endpoints) assembleDif(c echo.Context, orgID int64, p *core.Project, sum string, f difAssembleFile) (assembleResult, error) {
	ctx := c.Request().Context()
	refusalKey := "dif:" + strconv.FormatInt(p.ID, 10) + ":" + sum
	if detail, ok := s.refused.get(refusalKey, s.now()); ok {
		return errorResult(detail), nil
	}
	if d, err := s.svc.CI.DebugFileByChecksum(ctx, orgID, p.ID, sum); err == nil {
		res := okResult()
		res.Dif = difJSON(d)
		return res, nil
	} else if core.ErrorCode(err) != core.ENOTFOUND {
		return assembleResult{}, apiErr(err)
	}
	if len(f.Chunks) == 0 {
		return missingResult([]string{}), nil
	}
	missing, err := s.svc.CI.MissingChunks(ctx, orgID, f.Chunks)
	if err != nil {
		return assembleResult{}, apiErr(err)
	}
	if len(missing) > 0 {
		return missingResult(missing), nil
	}
	file, gone, refused, err := s.openVerified(ctx, sum, f.Chunks)
	switch {
	case err != nil:
		return assembleResult{}, err
	case gone != "":
		return missingResult([]string{gone}), nil
	case refused != "":
		s.refused.put(refusalKey, refused, s.now())
		return errorResult(refused), nil
	}
	defer file.Close()
	n := core.NewDebugFile{Checksum: sum, Chunks: f.Chunks, Name: f.Name, Kind: bundle.DetectKind(file), Size: file.Size()}
	if f.DebugID != nil {
		n.DebugID, _ = bundle.NormalizeDebugID(*f.DebugID)
	}
	d, _, err := s.svc.CI.CreateDebugFile(ctx, orgID, p.ID, n)
	if err != nil {
		if chunkNotUploaded(err) {
			return missingResult(f.Chunks), nil
		}
		if core.ErrorCode(err) == core.EINVALID {
			s.refused.put(refusalKey, core.ErrorMessage(err), s.now())
			return errorResult(core.ErrorMessage(err)), nil
		}
		return assembleResult{}, apiErr(err)
	}
	res := okResult()
	res.Dif = difJSON(d)
	return res, nil
}
