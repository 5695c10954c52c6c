package pgtest

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// pgBin is where Debian's PostgreSQL 15 keeps its server programs.
const pgBin = "/usr/lib/postgresql/15/bin"

// NewStandby makes a hot standby of the administrator's PostgreSQL server:
// a copy taken with pg_basebackup (streaming replication, -R), started on
// a free loopback port in a directory of its own, stopped and removed when
// the test ends. It returns dsn (a database URL on the primary) rewritten
// to the standby. The primary must accept replication connections from
// 127.0.0.1 as the administrator (Debian's default pg_hba does, with a
// password). Server programs run as the postgres OS user, so the test
// runs as root or as postgres.
//
// Like NewDatabase, it skips without what it needs, except under CI.
func NewStandby(t testing.TB, dsn string) string {
	t.Helper()
	fail := func(format string, args ...any) {
		t.Helper()
		if os.Getenv("CI") == "true" {
			t.Fatalf(format, args...)
		}
		t.Skipf(format, args...)
	}
	au, err := admin()
	if err != nil {
		fail("%v", err)
	}
	primary, err := url.Parse(au)
	if err != nil {
		t.Fatalf("parse %s: %v", redact(au), err)
	}
	if primary.Hostname() == "" || strings.HasPrefix(primary.Hostname(), "/") {
		fail("a standby needs the primary over TCP (set %s to a postgres://user:password@127.0.0.1:5432/postgres URL)", EnvAdminURL)
	}
	if _, err := os.Stat(filepath.Join(pgBin, "pg_ctl")); err != nil {
		fail("PostgreSQL 15's server programs: %v", err)
	}
	asPostgres, err := postgresRunner()
	if err != nil {
		fail("%v", err)
	}
	port, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	dir, err := os.MkdirTemp("", "credreg-standby-")
	if err != nil {
		t.Fatal(err)
	}
	data := filepath.Join(dir, "data")
	run := func(what string, env []string, name string, args ...string) {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		cmd := asPostgres(ctx, name, args...)
		cmd.Env = append(os.Environ(), env...)
		if out, err := cmd.CombinedOutput(); err != nil {
			log, _ := os.ReadFile(filepath.Join(dir, "log"))
			t.Fatalf("%s: %v\n%s\n%s", what, err, out, log)
		}
	}
	if err := chownToPostgres(dir); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	password, _ := primary.User.Password()
	run("pg_basebackup", []string{"PGPASSWORD=" + password}, filepath.Join(pgBin, "pg_basebackup"),
		"-h", primary.Hostname(), "-p", portOf(primary), "-U", primary.User.Username(),
		"-D", data, "-R", "-X", "stream", "-c", "fast")
	// Debian keeps the configuration outside the data directory: the
	// standby gets a small one of its own.
	conf := fmt.Sprintf("port = %d\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '%s'\nhot_standby = on\nshared_buffers = 32MB\n", port, dir)
	hba := "local all all trust\nhost all all 127.0.0.1/32 scram-sha-256\n"
	for name, text := range map[string]string{"postgresql.conf": conf, "pg_hba.conf": hba, "pg_ident.conf": ""} {
		path := filepath.Join(data, name)
		if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := chownToPostgres(path); err != nil {
			t.Fatal(err)
		}
	}
	run("start the standby", nil, filepath.Join(pgBin, "pg_ctl"), "-D", data, "-l", filepath.Join(dir, "log"), "-w", "-t", "60", "start")
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if out, err := asPostgres(ctx, filepath.Join(pgBin, "pg_ctl"), "-D", data, "-m", "immediate", "-w", "stop").CombinedOutput(); err != nil {
			t.Errorf("stop the standby: %v\n%s", err, out)
		}
	})
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatalf("parse %s: %v", redact(dsn), err)
	}
	u.Host = net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	return u.String()
}

// postgresRunner returns how to run a command as the postgres OS user.
func postgresRunner() (func(ctx context.Context, name string, args ...string) *exec.Cmd, error) {
	me, err := user.Current()
	if err != nil {
		return nil, err
	}
	switch me.Username {
	case "postgres":
		return func(ctx context.Context, name string, args ...string) *exec.Cmd {
			return exec.CommandContext(ctx, name, args...)
		}, nil
	case "root":
		return func(ctx context.Context, name string, args ...string) *exec.Cmd {
			return exec.CommandContext(ctx, "runuser", append([]string{"-u", "postgres", "--", name}, args...)...)
		}, nil
	}
	return nil, fmt.Errorf("a standby's server runs as the postgres OS user: run the test as root or postgres, not %s", me.Username)
}

func chownToPostgres(path string) error {
	pg, err := user.Lookup("postgres")
	if err != nil {
		return err
	}
	uid, _ := strconv.Atoi(pg.Uid)
	gid, _ := strconv.Atoi(pg.Gid)
	if err := os.Chown(path, uid, gid); err != nil && !os.IsPermission(err) {
		return err
	}
	return nil
}

func portOf(u *url.URL) string {
	if p := u.Port(); p != "" {
		return p
	}
	return "5432"
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
