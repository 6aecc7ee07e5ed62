package main

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/okrmap/okrmap/engine/postgres"
	"github.com/okrmap/okrmap/engine/testenv"
	"github.com/okrmap/okrmap/plugins/sdk/sdktest"
)

// replica is one okrmap serve process.
type replica struct {
	t    *testing.T
	cmd  *exec.Cmd
	base string

	mu      sync.Mutex
	stderr  bytes.Buffer
	storing chan struct{} // told each time stderr shows an audit storing its run
	exited  chan error
}

// startReplica starts okrmap serve with env and returns once it listens.
func startReplica(t *testing.T, bin string, env []string) *replica {
	t.Helper()
	r := &replica{t: t, cmd: exec.Command(bin, "serve", "--listen", "127.0.0.1:0"), storing: make(chan struct{}, 1), exited: make(chan error, 1)}
	r.cmd.Env = env
	stdout, _ := r.cmd.StdoutPipe()
	stderr, _ := r.cmd.StderrPipe()
	if err := r.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if r.cmd.ProcessState == nil {
			r.cmd.Process.Kill()
			<-r.exited
		}
	})
	go func() {
		// The audit's store phase starts as its previous-run phase ends.
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			r.mu.Lock()
			r.stderr.WriteString(sc.Text() + "\n")
			r.mu.Unlock()
			if strings.Contains(sc.Text(), `msg="audit phase" phase="previous run"`) {
				select {
				case r.storing <- struct{}{}:
				default:
				}
			}
		}
	}()
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		t.Fatalf("serve printed nothing: %v\n%s", err, r.log())
	}
	go func() { r.exited <- r.cmd.Wait() }()
	r.base = strings.TrimSuffix(strings.Fields(line)[2], "/api/v1")
	return r
}

// call sends a JSON request with token and header, expects status want and
// returns the body.
func (r *replica) call(t *testing.T, token, method, path string, body any, header map[string]string, want int) []byte {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, r.base+path, rd)
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		t.Fatalf("%s %s%s: %d, want %d\n%s\n%s", method, r.base, path, resp.StatusCode, want, out, r.log())
	}
	return out
}

// stop sends SIGTERM and expects a clean exit within 30 s.
func (r *replica) stop(t *testing.T) {
	t.Helper()
	r.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-r.exited:
		if err != nil {
			t.Errorf("serve after SIGTERM: %v\n%s", err, r.log())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not stop within 30 s of SIGTERM")
	}
}

// runner returns a function that runs okrmap with env and returns its
// standard output, failing t when it fails.
func runner(t *testing.T, bin string, env []string) func(args ...string) string {
	return func(args ...string) string {
		t.Helper()
		cmd := exec.Command(bin, args...)
		cmd.Env = env
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("okrmap %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
}

func (r *replica) log() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.stderr.String()
}

// TestTwoServersOnePostgres runs two okrmap serve processes on one
// PostgreSQL database, as two replicas behind a load balancer: writes and
// retries through either, a dashboard session that works on both, a
// schedule that runs once per tick between them, and a server killed with
// SIGKILL while it stores an audit, which leaves no half-stored run while
// the other carries on with the next tick.
func TestTwoServersOnePostgres(t *testing.T) {
	if testing.Short() {
		t.Skip("starts PostgreSQL and builds okrmap; skipped with -short")
	}
	dsn := testenv.PostgresDatabases(t)(t)
	dir := t.TempDir()
	bin := sdktest.BuildTo(t, ".", filepath.Join(dir, "okrmap"))
	config := filepath.Join(dir, "config.yaml")
	os.WriteFile(config, []byte("schedule:\n  - name: tick\n    cron: \"@every 1s\"\n"), 0o644)
	env := append(os.Environ(), "XDG_CONFIG_HOME="+dir, "OKRMAP_CONFIG="+config, "OKRMAP_DB="+dsn, "OKRMAP_LOG_LEVEL=debug", "OKRMAP_SERVER_AUDIT_WAIT=1ms")
	run := runner(t, bin, env)
	planFile := filepath.Join(dir, "plan.json")
	run("dev", "gen", "--kpis", "3000", "--teams", "20", "-o", "json", "--out-file", planFile)
	run("apply", "-q", planFile)
	token := strings.TrimSpace(run("token", "create", "--name", "ops", "--role", "admin"))
	var plan struct{ KPIs []struct{ Key string } }
	b, _ := os.ReadFile(planFile)
	if err := json.Unmarshal(b, &plan); err != nil || len(plan.KPIs) == 0 {
		t.Fatalf("the generated plan: %v", err)
	}
	kpi := plan.KPIs[0].Key

	db, err := postgres.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()

	a, b2 := startReplica(t, bin, env), startReplica(t, bin, env)
	started := time.Now()
	jar, _ := cookiejar.New(nil) // cookies are per host, not port: both servers see them
	client := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	call := func(r *replica, method, path string, body any, header map[string]string, want int) []byte {
		t.Helper()
		return r.call(t, token, method, path, body, header, want)
	}

	// Writes through both; a retry reaching the other server stores nothing.
	measurement := map[string]any{"measurements": []map[string]any{{"kpi": kpi, "value": 41}}}
	key := map[string]string{"Idempotency-Key": "retry-1"}
	call(a, "POST", "/api/v1/measurements", measurement, key, 201)
	var replay struct{ Replayed bool }
	json.Unmarshal(call(b2, "POST", "/api/v1/measurements", measurement, key, 201), &replay)
	if !replay.Replayed {
		t.Error("a retry with the same Idempotency-Key on the other server was not replayed")
	}
	call(b2, "POST", "/api/v1/measurements", map[string]any{"measurements": []map[string]any{{"kpi": kpi, "value": 42}}}, nil, 201)
	if ms, err := db.Measurements(context.Background(), kpi); err != nil || len(ms) != 2 {
		t.Errorf("%d measurements stored through two servers, want 2: %v", len(ms), err)
	}

	// An audit started on one server that outlasts server.audit_wait
	// (here 1 ms) is followed on the other.
	var started202 struct{ ID int64 }
	json.Unmarshal(call(a, "POST", "/api/v1/audits", map[string]any{}, nil, 202), &started202)
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		var j struct {
			Status string
			Run    int64
		}
		json.Unmarshal(call(b2, "GET", fmt.Sprintf("/api/v1/audit-jobs/%d", started202.ID), nil, nil, 200), &j)
		if j.Status == "done" && j.Run > 0 {
			break
		}
		if j.Status != "running" || time.Now().After(deadline) {
			t.Fatalf("the audit job on the other server: %+v", j)
		}
	}

	// A session started on one server is good on the other, and so is a
	// form the other rendered.
	page := func(r *replica, path string) (int, string) {
		resp, err := client.Get(r.base + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	csrf := regexp.MustCompile(`name="csrf" value="([^"]+)"`)
	_, signin := page(a, "/signin")
	m := csrf.FindStringSubmatch(signin)
	if m == nil {
		t.Fatal("the sign-in page has no CSRF token")
	}
	resp, err := client.PostForm(a.base+"/signin", url.Values{"csrf": {m[1]}, "token": {token}, "next": {"/"}})
	if err != nil || resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("signing in on one server: %v %v", resp.StatusCode, err)
	}
	resp.Body.Close()
	if code, body := page(b2, "/audits"); code != 200 || !strings.Contains(body, "Signed in as <strong>ops</strong>") {
		t.Errorf("the other server does not know the session: %d", code)
	}

	// The schedule fires on both servers every second; each tick runs once.
	var runs, claims int
	count := func() {
		t.Helper()
		if err := countRows(dsn, &runs, "SELECT count(*) FROM audit_run WHERE author = 'schedule:tick'"); err != nil {
			t.Fatal(err)
		}
		if err := countRows(dsn, &claims, "SELECT count(*) FROM schedule_claim WHERE schedule = 'tick'"); err != nil {
			t.Fatal(err)
		}
	}

	time.Sleep(5 * time.Second)
	count()
	elapsed := time.Since(started).Seconds()
	t.Logf("two servers, @every 1s, %.1f s: %d ticks claimed, %d runs stored", elapsed, claims, runs)
	if claims < 3 || float64(claims) > elapsed+1 || runs > claims || runs < claims-1 {
		t.Errorf("%d claimed ticks and %d runs in %.1f s of @every 1s on two servers; want one run per tick", claims, runs, elapsed)
	}

	// Kill whichever server is next seen storing a scheduled audit.
	for _, r := range []*replica{a, b2} {
		select {
		case <-r.storing:
		default:
		}
	}
	var victim, survivor *replica
	select {
	case <-a.storing:
		victim, survivor = a, b2
	case <-b2.storing:
		victim, survivor = b2, a
	case <-time.After(60 * time.Second):
		t.Fatalf("no scheduled audit within 60 s\n%s\n%s", a.log(), b2.log())
	}
	victim.cmd.Process.Signal(syscall.SIGKILL)
	<-victim.exited
	killed := time.Now()

	// Every stored run reads back whole.
	all, err := db.Runs(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range all {
		full, err := db.Run(context.Background(), r.ID)
		if err != nil {
			t.Fatalf("run %d after the kill: %v", r.ID, err)
		}
		if n := full.Counts["error"] + full.Counts["warning"] + full.Counts["info"] + full.Counts["waived"]; n != len(full.Findings) {
			t.Errorf("run %d counts %d findings and holds %d", r.ID, n, len(full.Findings))
		}
	}

	// The survivor runs the next ticks.
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		latest, err := db.Runs(context.Background(), "")
		if err != nil {
			t.Fatal(err)
		}
		if len(latest) > 0 && latest[0].Author == "schedule:tick" && latest[0].StartedAt.After(killed) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no scheduled run in 30 s after one server was killed\n%s", survivor.log())
		}
	}

	// No server logs the database password.
	pw, _ := url.Parse(dsn)
	secret, _ := pw.User.Password()
	for _, r := range []*replica{a, b2} {
		if strings.Contains(r.log(), secret) {
			t.Error("a server logged the database password")
		}
	}

	survivor.stop(t)
}

// countRows runs a count query on the database at dsn.
func countRows(dsn string, n *int, query string) error {
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	return db.QueryRow(query).Scan(n)
}
