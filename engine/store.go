package engine

import (
	"context"
	"time"
)

// Store keeps the model and its history: the contract the application
// service stands on. Package store implements it over SQLite and
// PostgreSQL. Every method that writes is one transaction, all or nothing;
// reads see one consistent moment. Methods return ENOTFOUND for a missing
// key or id, EINVALID for what cannot be stored, ECONFLICT for what
// clashes with what is stored.
type Store interface {
	// The model.
	Plan(ctx context.Context) (*Plan, error)
	Apply(ctx context.Context, p *Plan, dryRun bool) (Changes, error)
	ApplyAs(ctx context.Context, p *Plan, dryRun bool, author string) (Changes, error)
	// ApplyFrom is ApplyAs of the plan load returns, read while load runs,
	// with the options of a plan set.
	ApplyFrom(ctx context.Context, load func() (*Plan, error), opts ApplyOptions) (Changes, error)
	// Remove deletes entities, archiving them with their history.
	Remove(ctx context.Context, keys []string, opts RemoveOptions) (Removal, error)
	// Reminded reports which of rs were sent already; RecordReminders
	// stores sent ones, each once.
	Reminded(ctx context.Context, rs []Reminded) (map[Reminded]bool, error)
	RecordReminders(ctx context.Context, rs []Reminded) error
	// Archived lists deleted entities, newest first; key's only when set.
	Archived(ctx context.Context, key string) ([]Archived, error)
	Snapshot(ctx context.Context) (*Snapshot, error)
	// FiscalYearStart is the month the stored fiscal periods were applied
	// with, 0 when none was recorded; SetFiscalYearStart records it once.
	FiscalYearStart(ctx context.Context) (int, error)
	SetFiscalYearStart(ctx context.Context, month int) error
	KPIKeys(ctx context.Context) (map[string]bool, error)

	// Check-ins and measurements, append-only.
	CheckIn(ctx context.Context, c CheckIn) error
	Measure(ctx context.Context, ms ...Measurement) error
	Record(ctx context.Context, b Batch) (Recorded, error)
	CheckIns(ctx context.Context, key string) ([]CheckIn, error)
	Measurements(ctx context.Context, key string) ([]Measurement, error)
	MeasurementsSince(ctx context.Context, since time.Time) (map[string][]Measurement, error)
	LatestMeasurement(ctx context.Context, key string) (m Measurement, ok bool, err error)
	LatestMeasurements(ctx context.Context) (map[string]Measurement, error)
	CountNoted(ctx context.Context, note string) (measurements, checkIns int, err error)
	Recompute(ctx context.Context) ([]string, error)

	// Quarters.
	CloseQuarter(ctx context.Context, period, next string) (*CloseResult, error)
	ClosePeriod(ctx context.Context, req CloseRequest) (*CloseResult, error)
	Reopen(ctx context.Context, period string) (*ReopenResult, error)

	// Audit runs.
	SaveRun(ctx context.Context, run *AuditRun) error
	Runs(ctx context.Context, scope string) ([]*AuditRun, error)
	Run(ctx context.Context, id int64) (*AuditRun, error)
	LatestRun(ctx context.Context, scope string, full func(fingerprint, rule string) bool) (*AuditRun, error)
	PreviousRun(ctx context.Context, scope string, id int64) (*AuditRun, error)
	PruneRuns(ctx context.Context, keep int, cutoff time.Time, dryRun bool) ([]int64, error)

	// Waivers.
	Waivers(ctx context.Context) ([]Waiver, error)
	AddWaivers(ctx context.Context, author string, ws ...Waiver) error
	RemoveWaiver(ctx context.Context, id int64) (Waiver, error)
	ImportWaivers(ctx context.Context, marker string, ws []Waiver) (bool, error)

	// API tokens.
	CreateToken(ctx context.Context, t *Token) error
	Tokens(ctx context.Context) ([]Token, error)
	TokenByHash(ctx context.Context, hash string) (Token, error)
	TouchToken(ctx context.Context, id int64, at time.Time) error
	RevokeToken(ctx context.Context, name string) error

	// Webhook notifications not yet delivered.
	AddPending(ctx context.Context, url string, body []byte) error
	PendingFor(ctx context.Context, url string) ([]Pending, error)
	SettlePending(ctx context.Context, id int64, delivered bool) error

	// What servers on one database share: dashboard sessions (by the
	// hashes of their cookie and token), signing keys, and which server
	// runs each tick of a schedule.
	AddSession(ctx context.Context, id, tokenHash string, expires time.Time) error
	Session(ctx context.Context, id string) (tokenHash string, expires time.Time, err error)
	RemoveSession(ctx context.Context, id string) error
	Secret(ctx context.Context, name string) ([]byte, error)
	ClaimTick(ctx context.Context, schedule string, slot time.Time, owner string) (bool, error)
	StartJob(ctx context.Context, owner string) (int64, error)
	BeatJob(ctx context.Context, id int64) error
	FinishJob(ctx context.Context, id, run int64, failure string) error
	Job(ctx context.Context, id int64) (Job, error)

	// The database.
	Revision(ctx context.Context) (int64, error)
	Commits() int64
	SchemaVersion(ctx context.Context) (int, error)
	KnownVersion() int
	Path() string
	// Size is the bytes the database takes on disk.
	Size(ctx context.Context) (int64, error)
	Backup(ctx context.Context, dest string) error
	SetNow(now func() time.Time)
	Close() error
}

// The values the Store takes and returns beside the model's.

// Snapshot is the model and its history as of one moment.
type Snapshot struct {
	Plan     *Plan
	CheckIns []CheckIn
	Latest   map[string]Measurement
	Syncs    map[string]SyncStatus
}

// Batch is check-ins and measurements recorded together.
type Batch struct {
	CheckIns     []CheckIn
	Measurements []Measurement
	// IdempotencyKey, when set, makes a retried batch store nothing twice:
	// the key is stored with RequestHash in the same transaction.
	IdempotencyKey string
	RequestHash    string
	// IdempotencyOwner is who sent the key (a token's name): keys are kept
	// per owner, so one caller cannot block another's by guessing keys.
	IdempotencyOwner string
	// Syncs replace the stored sync status of their KPIs.
	Syncs []SyncStatus
}

// Recorded says what Record stored.
type Recorded struct {
	Stored int `json:"stored"`
	// Duplicates were already stored: same entity, time and value.
	Duplicates int `json:"duplicates"`
	// Replayed is set when the idempotency key was used before for this
	// request: nothing was stored again.
	Replayed bool `json:"replayed"`
	// StoredBy counts the measurements stored anew per KPI.
	StoredBy map[string]int `json:"-"`
}

// Pending is a webhook body that could not be delivered.
type Pending struct {
	ID       int64
	URL      string
	Body     []byte
	Attempts int
}

// CloseResult says what closing a period did.
type CloseResult struct {
	Period string
	Scores []KRScore // every key result of the period, scored
	Closed []string  // objectives closed
	Next   string    // the roll-forward period, if any
	Rolled []Rolled  // objectives and key results copied into Next
	Links  []Rolled  // KPI links copied to rolled objectives and key results
}

// KRScore is a key result's score at close.
type KRScore struct {
	KeyResult string
	Objective string
	Score     float64
}

// Rolled is one entity copied forward: From in the closed period, To in the
// next. For links, From is the KPI and To the new target.
type Rolled struct {
	Kind Kind
	From string
	To   string
}

// CloseRequest asks to close a period.
type CloseRequest struct {
	Period, Next string
	// Rename gives rolled objectives and key results their new keys, by
	// old key; the others are named by the next period (see quarter close).
	Rename map[string]string
	// DryRun scores and plans the roll-forward, and writes nothing.
	DryRun bool
	// Today is the day the close happens; a period that has not ended by
	// then is refused unless Force.
	Today  Date
	Force  bool
	Author string
}

// ReopenResult says what reopening restored.
type ReopenResult struct {
	Period   string
	Reopened []string // objectives active again
	Removed  []string // rolled copies deleted
}

// Token is a stored API token: never its secret, only the secret's hash.
type Token struct {
	ID        int64     `json:"id"`
	Name      string    `json:"name"`
	Role      string    `json:"role"`
	Hash      string    `json:"-"`
	CreatedAt time.Time `json:"created_at"`
	ExpiresAt time.Time `json:"expires_at,omitzero"`
	RevokedAt time.Time `json:"revoked_at,omitzero"`
	LastUsed  time.Time `json:"last_used_at,omitzero"`
}

// Job is an audit started over HTTP, as any server on the database sees it.
type Job struct {
	ID     int64
	Status string // running, done or failed
	Run    int64  // the stored run, when done
	Error  string // what stopped it, when failed
	// Owner is the server running it; BeatAt its last sign of life.
	Owner     string
	StartedAt time.Time
	BeatAt    time.Time
}
