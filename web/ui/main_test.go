package ui_test

import (
	"testing"

	"github.com/tokenboard/tokenboard/internal/apptest"
)

// TestMain shares one Chromium across the package's browser tests.
func TestMain(m *testing.M) { apptest.Main(m) }
