package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/tokenboard/tokenboard/internal/core"
)

// The pieces every /api/0 handler shares: Sentry's cursor pagination and Link header, path
// parameters, and reading JSON bodies field by field with Django REST framework's messages.

// apiPerPage is Sentry's default and largest page size.
const apiPerPage = 100

// apiPage reads ?per_page and Sentry's ?cursor ("value:offset:is_prev"; its offset paginator
// only uses the offset). An empty cursor is the first page, as sentry-cli's first request
// sends "?cursor=".
func apiPage(c echo.Context) (core.Page, error) {
	page := core.Page{Limit: apiPerPage}
	if v := c.QueryParam("per_page"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > apiPerPage {
			return page, core.Errorf(core.EINVALID, "Invalid per_page parameter. Max is %d", apiPerPage)
		}
		page.Limit = n
	}
	cursor := c.QueryParam("cursor")
	if cursor == "" {
		return page, nil
	}
	parts := strings.Split(cursor, ":")
	if len(parts) != 3 {
		return page, core.Errorf(core.EINVALID, "Invalid cursor parameter.")
	}
	for _, part := range parts {
		if _, err := strconv.ParseUint(part, 10, 31); err != nil {
			return page, core.Errorf(core.EINVALID, "Invalid cursor parameter.")
		}
	}
	page.Offset, _ = strconv.Atoi(parts[1])
	return page, nil
}

// setLinkHeader writes Sentry's pagination header for a page of an offset-paginated list:
// a "previous" and a "next" link, each saying whether it has results. sentry-cli follows
// rel="next" while results="true".
func (s *Endpoints) setLinkHeader(c echo.Context, page core.Page, hasMore bool) {
	q := url.Values{}
	for k, v := range c.QueryParams() {
		if k != "cursor" {
			q[k] = v
		}
	}
	uri := strings.TrimRight(s.cfg.BaseURL, "/") + (&url.URL{Path: c.Request().URL.Path}).EscapedPath() + "?" + q.Encode()
	// Written piece by piece into one buffer: every paginated response (a CI job's release
	// list among them) carries this header.
	var b strings.Builder
	b.Grow(2*len(uri) + 160)
	link := func(rel string, offset, isPrev int, results bool) {
		b.WriteByte('<')
		b.WriteString(uri)
		b.WriteString("&cursor=")
		writeCursor(&b, offset, isPrev)
		b.WriteString(`>; rel="`)
		b.WriteString(rel)
		b.WriteString(`"; results="`)
		b.WriteString(strconv.FormatBool(results))
		b.WriteString(`"; cursor="`)
		writeCursor(&b, offset, isPrev)
		b.WriteByte('"')
	}
	link("previous", max(0, page.Offset-page.Limit), 1, page.Offset > 0)
	b.WriteString(", ")
	link("next", page.Offset+page.Limit, 0, hasMore)
	c.Response().Header().Set("Link", b.String())
}

// writeCursor writes Sentry's cursor for a page: "0:<offset>:<is previous>".
func writeCursor(b *strings.Builder, offset, isPrev int) {
	b.WriteString("0:")
	b.WriteString(strconv.Itoa(offset))
	b.WriteByte(':')
	b.WriteString(strconv.Itoa(isPrev))
}

// paginate answers a list request with one page of all (the lists small enough to load
// whole: organizations, projects, teams, members) and its Link header.
func paginate[T, J any](s *Endpoints, c echo.Context, all []T, shape func(T) J) error {
	page, err := apiPage(c)
	if err != nil {
		return err
	}
	start := min(page.Offset, len(all))
	end := min(start+page.Limit, len(all))
	out := make([]J, 0, end-start)
	for _, item := range all[start:end] {
		out = append(out, shape(item))
	}
	s.setLinkHeader(c, page, end < len(all))
	return c.JSON(http.StatusOK, out)
}

// pathParam returns a path parameter decoded. Echo matches on the escaped path when the
// request's path had escapes (a release "my app@1.0+1" arrives as "my%20app@1.0%2B1"), and on
// the decoded one otherwise.
func pathParam(c echo.Context, name string) string {
	v := c.Param(name)
	if c.Request().URL.RawPath == "" {
		return v
	}
	if d, err := url.PathUnescape(v); err == nil {
		return d
	}
	return v
}

// jsonBody is a request's JSON object, read field by field so that each field's type error
// gets its own message, as Django REST framework reports them.
type jsonBody struct {
	fields map[string]json.RawMessage
	errs   map[string]string
}

// readJSON reads the request body as a JSON object. An empty body is an empty object.
func readJSON(c echo.Context) (*jsonBody, error) {
	b := &jsonBody{fields: map[string]json.RawMessage{}, errs: map[string]string{}}
	raw, err := io.ReadAll(c.Request().Body)
	var tooLarge *http.MaxBytesError
	var limit *echo.HTTPError
	switch {
	case errors.As(err, &limit):
		// The body limit middleware's 413, for a body longer than its Content-Length said.
		return nil, limit
	case errors.As(err, &tooLarge):
		return nil, echo.NewHTTPError(http.StatusRequestEntityTooLarge, "Request body too large.")
	case err != nil:
		return nil, core.Errorf(core.EINVALID, "Malformed request.")
	case len(strings.TrimSpace(string(raw))) == 0:
		return b, nil
	}
	var top any
	if err := json.Unmarshal(raw, &top); err != nil {
		return nil, core.Errorf(core.EINVALID, "JSON parse error - %s", err.Error())
	}
	if _, ok := top.(map[string]any); !ok {
		return nil, core.Errorf(core.EINVALID, "Invalid data. Expected a dictionary, but got %s.", jsonTypeName(top))
	}
	if err := json.Unmarshal(raw, &b.fields); err != nil {
		return nil, core.Errorf(core.EINVALID, "JSON parse error - %s", err.Error())
	}
	return b, nil
}

func jsonTypeName(v any) string {
	switch v.(type) {
	case []any:
		return "list"
	case string:
		return "str"
	case float64:
		return "int"
	case bool:
		return "bool"
	case nil:
		return "NoneType"
	}
	return "dict"
}

// has reports whether the field is present (null included).
func (b *jsonBody) has(field string) bool {
	_, ok := b.fields[field]
	return ok
}

func (b *jsonBody) isNull(field string) bool {
	return string(b.fields[field]) == "null"
}

// str returns a string field; ok is false when it is absent or null, and a field of another
// type is recorded as an error.
func (b *jsonBody) str(field string) (value string, ok bool) {
	raw, present := b.fields[field]
	if !present || b.isNull(field) {
		return "", false
	}
	if err := json.Unmarshal(raw, &value); err != nil {
		b.errs[field] = "Not a valid string."
		return "", false
	}
	return value, true
}

// required returns a string field that must be present and not null.
func (b *jsonBody) required(field string) string {
	v, ok := b.str(field)
	if !ok && b.errs[field] == "" {
		if b.has(field) {
			b.errs[field] = "This field may not be null."
		} else {
			b.errs[field] = "This field is required."
		}
	}
	return v
}

// time returns a date-time field: RFC 3339 (what sentry-cli sends), null clearing it.
func (b *jsonBody) time(field string) core.OptionalTime {
	if !b.has(field) {
		return core.OptionalTime{}
	}
	if b.isNull(field) {
		return core.OptionalTime{Set: true}
	}
	s, ok := b.str(field)
	if !ok {
		b.errs[field] = "Datetime has wrong format. Use one of these formats instead: YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z]."
		return core.OptionalTime{}
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		b.errs[field] = "Datetime has wrong format. Use one of these formats instead: YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z]."
		return core.OptionalTime{}
	}
	t = t.UTC()
	return core.OptionalTime{Set: true, Value: &t}
}

// slugsOrIDs returns a list of project slugs or ids: sentry-cli sends an all-digits project as
// a JSON number (an id), anything else as a string.
func (b *jsonBody) slugsOrIDs(field string) []string {
	raw, ok := b.fields[field]
	if !ok || b.isNull(field) {
		return nil
	}
	var items []json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil {
		var v any
		json.Unmarshal(raw, &v)
		b.errs[field] = fmt.Sprintf("Expected a list of items but got type %q.", jsonTypeName(v))
		return nil
	}
	out := make([]string, 0, len(items))
	for _, item := range items {
		var s string
		var n json.Number
		switch {
		case json.Unmarshal(item, &s) == nil:
			out = append(out, s)
		case json.Unmarshal(item, &n) == nil:
			if _, err := n.Int64(); err != nil {
				b.errs[field] = "Invalid project ids or slugs"
				return nil
			}
			out = append(out, n.String())
		default:
			b.errs[field] = "Invalid project ids or slugs"
			return nil
		}
	}
	return out
}

// scopes returns a list of scope names, with the messages of Django REST framework's
// MultipleChoiceField, which Sentry uses, except that an empty list is refused too: a token
// without scopes can do nothing.
func (b *jsonBody) scopes(field string) core.ScopeSet {
	raw, present := b.fields[field]
	switch {
	case !present:
		b.errs[field] = "This field is required."
		return 0
	case b.isNull(field):
		b.errs[field] = "This field may not be null."
		return 0
	}
	var items []json.RawMessage
	if json.Unmarshal(raw, &items) != nil {
		var v any
		json.Unmarshal(raw, &v)
		b.errs[field] = fmt.Sprintf("Expected a list of items but got type %q.", jsonTypeName(v))
		return 0
	}
	if len(items) == 0 {
		b.errs[field] = "This list may not be empty."
		return 0
	}
	var set core.ScopeSet
	for _, item := range items {
		var name string
		if json.Unmarshal(item, &name) != nil {
			b.errs[field] = `"` + string(item) + `" is not a valid choice.`
			return 0
		}
		sc, ok := core.ParseScope(name)
		if !ok {
			b.errs[field] = `"` + name + `" is not a valid choice.`
			return 0
		}
		set = set.Union(core.NewScopeSet(sc))
	}
	return set
}

// err returns the recorded field errors as one validation error, or nil.
func (b *jsonBody) err() error {
	if len(b.errs) == 0 {
		return nil
	}
	return &core.Error{Code: core.EINVALID, Message: "Invalid request.", Fields: b.errs}
}

// jsonLine is what Echo's c.JSON writes for v: its JSON and a newline. Handlers that keep an
// answer's bytes (the organization detail, the release list's pages) render it with this.
func jsonLine(v any) ([]byte, error) {
	b, err := json.Marshal(v)
	return append(b, '\n'), err
}
