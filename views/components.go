package views

import "strconv"

func itoa(n int) string     { return strconv.Itoa(n) }
func itoa64(n int64) string { return strconv.FormatInt(n, 10) }

// Pager links to the previous and next pages of a list; an empty URL disables the link.
type Pager struct {
	PrevURL string
	NextURL string
	// Summary says which rows are shown, e.g. "Showing 1–50".
	Summary string
}
