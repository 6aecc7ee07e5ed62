package testenv

import (
	"database/sql"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the pgx driver
)

// Postgres starts a PostgreSQL server from Debian's package in a new
// directory, on a free local port, for the rest of the test, and returns
// its address, once it accepts queries, and the password of its superuser
// okrmap. It is stopped when the test ends.
func Postgres(t testing.TB) (addr, password string) {
	t.Helper()
	bin := find(t, "PostgreSQL (apt-get install postgresql)", "/usr/lib/postgresql/*/bin/initdb")
	dir, cred := serverDir(t, "postgres")
	password = "pg-test-Secret"
	pwfile := filepath.Join(dir, "pw")
	write(t, pwfile, password)
	data := filepath.Join(dir, "data")
	run(t, cred, filepath.Join(filepath.Dir(bin), "initdb"), "-D", data, "-U", "okrmap", "--pwfile", pwfile,
		"--auth", "scram-sha-256", "--no-sync", "-E", "UTF8", "--locale", "C")
	port := freePort(t)
	start(t, cred, filepath.Join(dir, "log"), filepath.Join(filepath.Dir(bin), "postgres"), "-D", data, "-p", strconv.Itoa(port),
		"-k", dir, "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off", "-c", "max_connections=100")
	addr = fmt.Sprintf("127.0.0.1:%d", port)
	waitPort(t, addr, filepath.Join(dir, "log"))
	// Listening is not yet accepting queries: wait for pg_isready.
	ready := filepath.Join(filepath.Dir(bin), "pg_isready")
	for deadline := time.Now().Add(60 * time.Second); exec.Command(ready, "-q", "-h", "127.0.0.1", "-p", strconv.Itoa(port)).Run() != nil; {
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(filepath.Join(dir, "log"))
			t.Fatalf("PostgreSQL did not become ready within 60 s:\n%s", log)
		}
		time.Sleep(100 * time.Millisecond)
	}
	return addr, password
}

// MariaDB starts a MariaDB server from Debian's package like Postgres
// does, and returns its address; its root user has no password and may
// connect from 127.0.0.1.
func MariaDB(t testing.TB) (addr string) {
	t.Helper()
	install := find(t, "MariaDB (apt-get install mariadb-server)", "/usr/bin/mariadb-install-db")
	server := find(t, "MariaDB (apt-get install mariadb-server)", "/usr/sbin/mariadbd")
	dir, cred := serverDir(t, "mysql")
	data := filepath.Join(dir, "data")
	args := []string{"--datadir=" + data, "--auth-root-authentication-method=normal", "--skip-test-db"}
	if cred != nil {
		args = append(args, "--user=mysql")
	}
	run(t, nil, install, args...)
	if cred != nil {
		run(t, nil, "chown", "-R", "mysql:mysql", data)
	}
	port := freePort(t)
	sargs := []string{"--no-defaults", "--datadir=" + data, "--socket=" + filepath.Join(dir, "sock"), "--port=" + strconv.Itoa(port),
		"--bind-address=127.0.0.1", "--pid-file=" + filepath.Join(dir, "pid"), "--skip-log-bin", "--innodb-flush-log-at-trx-commit=0"}
	if cred != nil {
		sargs = append(sargs, "--user=mysql")
	}
	start(t, nil, filepath.Join(dir, "log"), server, sargs...)
	addr = fmt.Sprintf("127.0.0.1:%d", port)
	waitPort(t, addr, filepath.Join(dir, "log"))
	return addr
}

// Prometheus starts Prometheus from Debian's package scraping target (a
// host:port) every second, and returns its URL.
func Prometheus(t testing.TB, target string) string {
	t.Helper()
	bin := find(t, "Prometheus (apt-get install prometheus)", "/usr/bin/prometheus")
	dir, _ := serverDir(t, "")
	cfg := filepath.Join(dir, "prometheus.yml")
	write(t, cfg, fmt.Sprintf("global: {scrape_interval: 1s}\nscrape_configs:\n  - job_name: okrmap-test\n    static_configs: [{targets: [%q]}]\n", target))
	port := freePort(t)
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	start(t, nil, filepath.Join(dir, "log"), bin, "--config.file="+cfg, "--storage.tsdb.path="+filepath.Join(dir, "data"),
		"--web.listen-address="+addr)
	waitPort(t, addr, filepath.Join(dir, "log"))
	return "http://" + addr
}

// find returns the first file matching pattern, or skips the test.
func find(t testing.TB, what, pattern string) string {
	t.Helper()
	m, _ := filepath.Glob(pattern)
	if len(m) == 0 {
		SkipOutsideCI(t, what+" is not installed (.ci/run installs it)")
	}
	return m[len(m)-1]
}

// serverDir makes a directory for a server's files, owned by account when
// running as root (servers refuse to run as root), and returns the
// credential to run the server with (nil: as ourselves).
func serverDir(t testing.TB, account string) (string, *syscall.Credential) {
	t.Helper()
	dir, err := os.MkdirTemp("", "okrmap-test-server-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if os.Geteuid() != 0 || account == "" {
		return dir, nil
	}
	u, err := user.Lookup(account)
	if err != nil {
		t.Fatalf("running as root needs the %s account the package creates: %v", account, err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	if err := os.Chown(dir, uid, gid); err != nil {
		t.Fatal(err)
	}
	return dir, &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
}

func write(t testing.TB, path, text string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

func run(t testing.TB, cred *syscall.Credential, name string, args ...string) {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", name, err, out)
	}
}

// start runs a server for the rest of the test, its output in logFile.
func start(t testing.TB, cred *syscall.Credential, logFile, name string, args ...string) {
	t.Helper()
	log, err := os.Create(logFile)
	if err != nil {
		t.Fatal(err)
	}
	if cred != nil {
		os.Chown(logFile, int(cred.Uid), int(cred.Gid))
	}
	cmd := exec.Command(name, args...)
	cmd.Stdout, cmd.Stderr = log, log
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred, Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	t.Cleanup(func() {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(15 * time.Second):
			syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-done
		}
		log.Close()
	})
}

// waitPort waits until addr accepts connections.
func waitPort(t testing.TB, addr, logFile string) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			c.Close()
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	log, _ := os.ReadFile(logFile)
	t.Fatalf("the server did not listen on %s within 60 s:\n%s", addr, log)
}

// freePort returns a local port nothing listens on now.
func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// PostgresDatabases starts a PostgreSQL server as Postgres does and
// returns a function that creates a new, empty database on it and returns
// its URL.
func PostgresDatabases(t testing.TB) func(testing.TB) string {
	t.Helper()
	addr, password := Postgres(t)
	admin, err := sql.Open("pgx", fmt.Sprintf("postgres://okrmap:%s@%s/postgres?sslmode=disable", password, addr))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { admin.Close() })
	var n atomic.Int64
	return func(t testing.TB) string {
		t.Helper()
		name := fmt.Sprintf("okrmap_test_%d", n.Add(1))
		if _, err := admin.Exec("CREATE DATABASE " + name); err != nil {
			t.Fatalf("create database %s: %v", name, err)
		}
		return fmt.Sprintf("postgres://okrmap:%s@%s/%s?sslmode=disable", password, addr, name)
	}
}
