package harvest

import (
	"testing"

	"credreg/internal/pgtest"
)

// TestPostgres runs the harvest tests written for Badger on stores opened
// by postgres:// URLs (a database per store directory, so a test that
// reopens its store reopens its database; skipped without a PostgreSQL,
// failed under CI).
func TestPostgres(t *testing.T) {
	pgtest.NewDatabase(t) // skips (fails under CI) without a PostgreSQL
	saved := testStoreURL
	testStoreURL = pgtest.DatabasePerDir()
	onPostgres = true
	t.Cleanup(func() { testStoreURL, onPostgres = saved, false })
	for _, tc := range []struct {
		name string
		run  func(*testing.T)
	}{
		{"FragmentsEveryPattern", TestFragmentsEveryPattern},
		{"FragmentPagesStable", TestFragmentPagesStable},
		{"DumpIsTheRecords", TestDumpIsTheRecords},
		{"HarvestCountsFollowWrites", TestHarvestCountsFollowWrites},
	} {
		t.Run(tc.name, tc.run)
	}
}
