package pgtest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
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
// password). PostgreSQL's programs run as the postgres OS user: the test
// runs as root (runuser), as postgres, or as a user that may sudo to
// postgres without a password.
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
	var rnd [6]byte
	if _, err := rand.Read(rnd[:]); err != nil {
		t.Fatal(err)
	}
	// The directory is the postgres user's from the start: made, written
	// and removed through asPostgres.
	dir := filepath.Join(os.TempDir(), "credreg-standby-"+hex.EncodeToString(rnd[:]))
	data := filepath.Join(dir, "data")
	run := func(what string, stdin []byte, env []string, name string, args ...string) {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		cmd := asPostgres(ctx, env, name, args...)
		if stdin != nil {
			cmd.Stdin = bytes.NewReader(stdin)
		}
		if out, err := cmd.CombinedOutput(); err != nil {
			log, _ := asPostgres(ctx, nil, "cat", filepath.Join(dir, "log")).Output()
			t.Fatalf("%s: %v\n%s\n%s", what, err, out, log)
		}
	}
	run("make the standby's directory", nil, nil, "mkdir", "-m", "0700", dir)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		_ = asPostgres(ctx, nil, "rm", "-rf", dir).Run()
	})
	password, _ := primary.User.Password()
	run("pg_basebackup", nil, []string{"PGPASSWORD=" + password}, filepath.Join(pgBin, "pg_basebackup"),
		"-h", primary.Hostname(), "-p", portOf(primary), "-U", primary.User.Username(),
		"-D", data, "-R", "-X", "stream", "-c", "fast")
	// Debian keeps the configuration outside the data directory: the
	// standby gets a small one of its own.
	conf := fmt.Sprintf("port = %d\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '%s'\nhot_standby = on\nshared_buffers = 32MB\n", port, dir)
	hba := "local all all trust\nhost all all 127.0.0.1/32 scram-sha-256\n"
	for name, text := range map[string]string{"postgresql.conf": conf, "pg_hba.conf": hba, "pg_ident.conf": ""} {
		run("write the standby's "+name, []byte(text), nil, "sh", "-c", `cat > "$0"`, filepath.Join(data, name))
	}
	run("start the standby", nil, nil, filepath.Join(pgBin, "pg_ctl"), "-D", data, "-l", filepath.Join(dir, "log"), "-w", "-t", "60", "start")
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if out, err := asPostgres(ctx, nil, filepath.Join(pgBin, "pg_ctl"), "-D", data, "-m", "immediate", "-w", "stop").CombinedOutput(); err != nil {
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

// runner makes a command that runs as the postgres OS user, with env added
// to its environment.
type runner func(ctx context.Context, env []string, name string, args ...string) *exec.Cmd

// postgresRunner returns how to run a command as the postgres OS user.
func postgresRunner() (runner, error) {
	me, err := user.Current()
	if err != nil {
		return nil, err
	}
	switch me.Username {
	case "postgres":
		return func(ctx context.Context, env []string, name string, args ...string) *exec.Cmd {
			cmd := exec.CommandContext(ctx, name, args...)
			cmd.Env = append(os.Environ(), env...)
			return cmd
		}, nil
	case "root":
		return func(ctx context.Context, env []string, name string, args ...string) *exec.Cmd {
			cmd := exec.CommandContext(ctx, "runuser", append([]string{"-u", "postgres", "--", name}, args...)...)
			cmd.Env = append(os.Environ(), env...)
			return cmd
		}, nil
	}
	if err := exec.Command("sudo", "-n", "-u", "postgres", "true").Run(); err != nil {
		return nil, fmt.Errorf("a standby's server runs as the postgres OS user: run the test as root or postgres, or as a user that may sudo -u postgres without a password (%s may not: %v)", me.Username, err)
	}
	return func(ctx context.Context, env []string, name string, args ...string) *exec.Cmd {
		// sudo resets the environment: env(1) sets what the command needs.
		argv := append([]string{"-n", "-u", "postgres", "--", "env"}, env...)
		return exec.CommandContext(ctx, "sudo", append(append(argv, name), args...)...)
	}, nil
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
