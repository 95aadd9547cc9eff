package ui

import "testing"

func TestPagerSummarySaysOfHowMany(t *testing.T) {
	for _, tc := range []struct {
		pageNo, shown, total int
		want                 string
	}{
		{2, 50, 10000, "Showing 51–100 of 10,000"},
		{1, 3, 3, "Showing 1–3 of 3"},
		{200, 50, 1234567, "Showing 9,951–10,000 of 1,234,567"},
		{3, 0, 100, ""},
	} {
		if got := pagerSummary(tc.pageNo, 50, tc.shown, tc.total); got != tc.want {
			t.Errorf("pagerSummary(%d, 50, %d, %d) = %q, want %q", tc.pageNo, tc.shown, tc.total, got, tc.want)
		}
	}
}
