// Package storetest is the test suite every okrmap store passes: each
// database package runs it against its own backend, so SQLite and
// PostgreSQL are held to the same behaviour.
package storetest

import (
	"context"
	"database/sql"
	"io/fs"
	"path/filepath"
	"slices"
	"testing"

	"github.com/okrmap/okrmap/engine"
	"github.com/okrmap/okrmap/engine/plan"
	"github.com/okrmap/okrmap/engine/store"
)

// Backend is a kind of database the suite runs against.
type Backend struct {
	// New makes a new, empty database for the rest of the test and returns
	// where it is: a file path or a URL.
	New func(t testing.TB) string
	// Open opens the database at where, migrated by migrations; nil
	// migrations are the shipped ones.
	Open func(ctx context.Context, where string, migrations fs.FS) (*store.DB, error)
}

// open opens a new database, closed when the test ends.
func (b Backend) open(t testing.TB) *store.DB {
	t.Helper()
	return b.openAt(t, b.New(t))
}

// openAt opens the database at where, closed when the test ends.
func (b Backend) openAt(t testing.TB, where string) *store.DB {
	t.Helper()
	db, err := b.Open(context.Background(), where, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// Run runs the suite against b, each test on databases of its own.
func Run(t *testing.T, b Backend) {
	tests := []struct {
		name string
		fn   func(*testing.T, Backend)
	}{
		{"MigrateFresh", testMigrateFresh},
		{"MigrateUpgradeAndRefuseNewer", testMigrateUpgradeAndRefuseNewer},
		{"MigrationFailureRollsBack", testMigrationFailureRollsBack},
		{"ApplyIsIdempotent", testApplyIsIdempotent},
		{"ApplyUpdatesAndDryRun", testApplyUpdatesAndDryRun},
		{"FailedApplyChangesNothing", testFailedApplyChangesNothing},
		{"ApplyReferencesStoredEntities", testApplyReferencesStoredEntities},
		{"ApplyFromSeesWritesDuringLoad", testApplyFromSeesWritesDuringLoad},
		{"ExportApplyRoundTrip", testExportApplyRoundTrip},
		{"AlignsToIsStored", testAlignsToIsStored},
		{"Remove", testRemove},
		{"Prune", testPrune},
		{"Reminders", testReminders},
		{"CheckIn", testCheckIn},
		{"MeasureIsAllOrNothing", testMeasureIsAllOrNothing},
		{"CloseQuarterRollForward", testCloseQuarterRollForward},
		{"ReopenRestoresThePlan", testReopenRestoresThePlan},
		{"MeasuredKeyResultsFollow", testMeasuredKeyResultsFollow},
		{"DerivedKPIs", testDerivedKPIs},
		{"RepeatedRunsStoreFindingsOnce", testRepeatedRunsStoreFindingsOnce},
		{"PruneDropsUnreferencedFindings", testPruneDropsUnreferencedFindings},
		{"TracesStoredOncePerEntity", testTracesStoredOncePerEntity},
		{"LatestRun", testLatestRun},
		{"CancelledApplyStoresNothing", testCancelledApplyStoresNothing},
		{"ConcurrentWritersAndReaders", testConcurrentWritersAndReaders},
		{"ClaimTick", testClaimTick},
		{"Sessions", testSessions},
		{"Secret", testSecret},
		{"Jobs", testJobs},
		{"ConcurrentOpen", testConcurrentOpen},
		{"Tokens", testTokens},
		{"Waivers", testWaivers},
		{"Pending", testPending},
		{"RecordAndRead", testRecordAndRead},
		{"RunsByScope", testRunsByScope},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, b) })
	}
}

// examples loads the shipped SaaS example plan.
func examples(t testing.TB) *engine.Plan {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(root(), "examples/saas-b2b/*.yaml"))
	set, err := plan.Load(files...)
	if err != nil {
		t.Fatal(err)
	}
	return set.Plan
}

// count is the number of rows in table.
func count(t testing.TB, db *store.DB, table string) int64 {
	t.Helper()
	n, err := db.Count(context.Background(), table)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// CopiesEveryTable checks that store copy copies exactly the tables
// query, run on db, names: the tables a dialect's schema has.
func CopiesEveryTable(t *testing.T, db *sql.DB, query string) {
	t.Helper()
	rows, err := db.Query(query)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var tables []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			t.Fatal(err)
		}
		tables = append(tables, name)
	}
	slices.Sort(tables)
	copied := store.CopiedTables()
	slices.Sort(copied)
	if !slices.Equal(tables, copied) {
		t.Errorf("the schema's tables %v, store copy's %v", tables, copied)
	}
}
