package views

import "strconv"

// ByteSize writes a size in bytes for people: "812 B", "14.2 KB", "3.1 MB" (powers of 1024,
// as file managers and Sentry show upload sizes).
func ByteSize(n int64) string {
	const unit = 1024
	if n < unit {
		return strconv.FormatInt(n, 10) + " B"
	}
	v, suffix := float64(n)/unit, "KB"
	for _, s := range []string{"MB", "GB", "TB"} {
		if v < unit {
			break
		}
		v, suffix = v/unit, s
	}
	return strconv.FormatFloat(v, 'f', 1, 64) + " " + suffix
}
