package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"text/tabwriter"
	"time"

	"credreg/registry"
	"credreg/schema"
)

const tokenUsage = `Usage:
  credreg token create [--store URL] --agency CTID|NAME [--role agency|admin] [--expires 2027-06-30|90d]
  credreg token list   [--store URL]
  credreg token revoke [--store URL] ID

Write tokens let an agency write over HTTP (imports, designations,
retirements); reads need none. A token is bound to one agency (an
organization in the store). An agency token writes under the registry's
rule (its own designations, never the reference data); an admin token is
the operator over HTTP (it writes anything and revokes any token, with
POST /tokens/{id}/revoke). "create" prints the token alone on its last
line, once: the store keeps only its hash.
`

// tokenCmd runs "credreg token".
func tokenCmd(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "help" || args[0] == "--help" || args[0] == "-h" {
		fmt.Fprint(stderr, tokenUsage)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	sub := args[0]
	fs := flag.NewFlagSet("credreg token "+sub, flag.ContinueOnError)
	fs.SetOutput(stderr)
	store := fs.String("store", envOr("CREDREG_STORE", "badger://./credreg-data"), "the store (env CREDREG_STORE); not while a server holds it")
	var agency, expires, role string
	if sub == "create" {
		fs.StringVar(&agency, "agency", "", "the agency the token writes for: its CTID or exact name")
		fs.StringVar(&role, "role", "agency", "agency (writes for its agency) or admin (the registry's operator over HTTP)")
		fs.StringVar(&expires, "expires", "", "when the token stops working: a date (2027-06-30) or a duration in days (90d); default never")
	}
	fs.Usage = func() { fmt.Fprint(stderr, tokenUsage+"\nFlags:\n"); fs.PrintDefaults() }
	if err := fs.Parse(args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	var until time.Time
	if expires != "" {
		t, err := registry.ParseExpiry(expires, time.Now())
		if err != nil {
			fmt.Fprintf(stderr, "credreg token create: --expires: %v\n", err)
			return 2
		}
		until = t
	}
	switch sub {
	case "create":
		if agency == "" || fs.NArg() > 0 {
			fmt.Fprint(stderr, "credreg token create: give --agency CTID|NAME and nothing else\n")
			return 2
		}
	case "list":
		if fs.NArg() > 0 {
			fmt.Fprint(stderr, "credreg token list: takes no arguments\n")
			return 2
		}
	case "revoke":
		if fs.NArg() != 1 {
			fmt.Fprint(stderr, "credreg token revoke: give the token's ID (from credreg token list)\n")
			return 2
		}
	default:
		fmt.Fprintf(stderr, "credreg token: unknown command %q\n\n%s", sub, tokenUsage)
		return 2
	}
	base, _ := schema.NewBase("http://127.0.0.1:8080")
	st, err := registry.Open(ctx, *store, registry.Options{Base: base, AdoptStoredBase: true, MustExist: true, Logger: slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))})
	if errors.Is(err, registry.ErrLocked) {
		fmt.Fprintf(stderr, "credreg token: %v\n\nA running server holds the store. Make, list and revoke tokens over HTTP with an admin token:\n  curl -X POST -H \"Authorization: Bearer $ADMIN_TOKEN\" -d '{\"agency\": \"NAME or CTID\"}' http://HOST/tokens\nor stop the server and run credreg token again.\n", err)
		return 1
	}
	if err != nil {
		fmt.Fprintf(stderr, "credreg token: %v\n", err)
		return 1
	}
	defer st.Close()
	switch sub {
	case "create":
		iri, err := st.FindOrganization(ctx, agency)
		if err != nil {
			fmt.Fprintf(stderr, "credreg token create: %v\n", err)
			return 1
		}
		r, err := registry.ParseRole(role)
		if err != nil {
			fmt.Fprintf(stderr, "credreg token create: --role: %v\n", err)
			return 2
		}
		secret, tok, err := st.CreateToken(ctx, iri, r, until)
		if err != nil {
			fmt.Fprintf(stderr, "credreg token create: %v\n", err)
			return 1
		}
		name, _ := st.Label(ctx, iri)
		exp := "never expires"
		if !tok.Expires.IsZero() {
			exp = "expires " + tok.Expires.Format(time.RFC3339)
		}
		fmt.Fprintf(stdout, "%s token %s for %s (%s), %s; keep it secret, it is not shown again:\n%s\n", tok.Role, tok.ID, name, iri, exp, secret)
	case "list":
		toks, err := st.Tokens(ctx)
		if err != nil {
			fmt.Fprintf(stderr, "credreg token list: %v\n", err)
			return 1
		}
		tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tAGENCY\tROLE\tCREATED\tEXPIRES\tSTATUS")
		for _, t := range toks {
			name, _ := st.Label(ctx, t.Agency)
			exp, status := "never", "active"
			if !t.Expires.IsZero() {
				exp = t.Expires.Format("2006-01-02")
			}
			switch {
			case !t.Revoked.IsZero():
				status = "revoked " + t.Revoked.Format("2006-01-02")
			case !t.Active(time.Now()):
				status = "expired"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", t.ID, name, t.Role, t.Created.Format("2006-01-02"), exp, status)
		}
		_ = tw.Flush()
	case "revoke":
		if err := st.RevokeToken(ctx, fs.Arg(0)); err != nil {
			fmt.Fprintf(stderr, "credreg token revoke: %v\n", err)
			return 1
		}
		fmt.Fprintf(stdout, "token %s revoked\n", fs.Arg(0))
	}
	return 0
}
