package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"credreg/catalog"
	"credreg/registry"
	"credreg/schema"
)

const checkUsage = `Usage: credreg check [--server URL | --store URL] [--date YYYY-MM-DD] [--json] CTID|NAME

Asks a registry whether a credential is of value: by which agencies, for
which Clusters and regions, on which criteria. The answer is the
registry's GET /check: from a running registry (--server), or read from a
store no server holds (--store).

Exit status: 0 of value, 1 not of value (or not found), 2 bad usage or no
answer, 3 the name matches several credentials (they are listed).

Flags:
`

// checkCmd runs "credreg check": a client of GET /check.
func checkCmd(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("credreg check", flag.ContinueOnError)
	fs.SetOutput(stderr)
	server := fs.String("server", envOr("CREDREG_SERVER", "http://127.0.0.1:8080"), "the registry to ask (env CREDREG_SERVER)")
	date := fs.String("date", "", "the day to check (default today)")
	store := fs.String("store", "", "answer from this store instead of a server (badger:///dir); the store must not be held by a running credreg")
	asJSON := fs.Bool("json", false, "print the registry's whole answer as JSON")
	fs.Usage = func() { fmt.Fprint(stderr, checkUsage); fs.PrintDefaults() }
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return 2
	}
	if *store != "" {
		return checkStore(ctx, *store, strings.TrimSpace(fs.Arg(0)), *date, *asJSON, stdout, stderr)
	}
	q := url.Values{}
	if arg := strings.TrimSpace(fs.Arg(0)); schema.ValidCTID(arg) {
		q.Set("ctid", arg)
	} else {
		q.Set("name", arg)
	}
	if *date != "" {
		q.Set("date", *date)
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(*server, "/")+"/check?"+q.Encode(), nil)
	if err != nil {
		fmt.Fprintf(stderr, "credreg check: --server: %v\n", err)
		return 2
	}
	req.Header.Set("Accept", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		fmt.Fprintf(stderr, "credreg check: %v\n", err)
		return 2
	}
	defer res.Body.Close()
	body, err := io.ReadAll(io.LimitReader(res.Body, 16<<20))
	if err != nil {
		fmt.Fprintf(stderr, "credreg check: %v\n", err)
		return 2
	}
	if *asJSON {
		_, _ = stdout.Write(body)
	}
	switch res.StatusCode {
	case http.StatusOK:
	case http.StatusMultipleChoices:
		var amb struct {
			Detail     string
			Candidates []struct{ CTID, Name string }
		}
		_ = json.Unmarshal(body, &amb)
		if !*asJSON {
			fmt.Fprintln(stdout, amb.Detail)
			for _, c := range amb.Candidates {
				fmt.Fprintf(stdout, "  %s  %s\n", c.CTID, c.Name)
			}
		}
		return 3
	default:
		var p struct{ Detail string }
		_ = json.Unmarshal(body, &p)
		if p.Detail == "" {
			p.Detail = res.Status
		}
		fmt.Fprintf(stderr, "credreg check: %s\n", p.Detail)
		if res.StatusCode == http.StatusNotFound {
			return 1
		}
		return 2
	}
	var ans struct {
		OfValue bool
		Summary string
	}
	if err := json.Unmarshal(body, &ans); err != nil {
		fmt.Fprintf(stderr, "credreg check: the registry's answer is not JSON: %v\n", err)
		return 2
	}
	if !*asJSON {
		fmt.Fprintln(stdout, ans.Summary)
	}
	if ans.OfValue {
		return 0
	}
	return 1
}

// checkStore answers "credreg check --store": the same answer as GET
// /check, read from the store through the catalog.
func checkStore(ctx context.Context, store, arg, date string, asJSON bool, stdout, stderr io.Writer) int {
	day := date
	if day == "" {
		day = time.Now().Format("2006-01-02")
	} else if _, err := time.Parse("2006-01-02", day); err != nil {
		fmt.Fprintf(stderr, "credreg check: malformed --date %q: use YYYY-MM-DD\n", day)
		return 2
	}
	base, _ := schema.NewBase("http://127.0.0.1:8080")
	st, err := registry.Open(ctx, store, registry.Options{Base: base, AdoptStoredBase: true, MustExist: true, DocumentCache: -1,
		Logger: slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))})
	if err != nil {
		fmt.Fprintf(stderr, "credreg check: %v\n", err)
		return 2
	}
	defer st.Close()
	cat := catalog.New(st, catalog.Options{Logger: slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))})
	defer cat.Close()
	var a *catalog.Check
	if schema.ValidCTID(arg) {
		a, err = catalog.CheckCredential(ctx, cat, st.Base().Resource(arg), day)
	} else {
		a, err = catalog.CheckName(ctx, cat, arg, day, 5)
	}
	var (
		none *catalog.NoMatchError
		amb  *catalog.Ambiguous
		nc   *catalog.NotCredentialError
	)
	switch {
	case errors.As(err, &amb):
		if asJSON {
			_ = json.NewEncoder(stdout).Encode(amb)
			return 3
		}
		fmt.Fprintln(stdout, amb.Detail)
		for _, c := range amb.Candidates {
			fmt.Fprintf(stdout, "  %s  %s\n", c.CTID, c.Name)
		}
		return 3
	case errors.As(err, &none):
		fmt.Fprintf(stderr, "credreg check: %v\n", none)
		for _, c := range none.Suggestions {
			fmt.Fprintf(stderr, "  did you mean %s  %s\n", c.CTID, c.Name)
		}
		return 1
	case errors.Is(err, registry.ErrNotFound):
		fmt.Fprintf(stderr, "credreg check: no credential with CTID %s\n", arg)
		return 1
	case errors.As(err, &nc):
		fmt.Fprintf(stderr, "credreg check: %v\n", nc)
		return 1
	case err != nil:
		fmt.Fprintf(stderr, "credreg check: %v\n", err)
		return 2
	}
	if asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		_ = enc.Encode(a)
	} else {
		fmt.Fprintln(stdout, a.Summary)
	}
	if a.OfValue {
		return 0
	}
	return 1
}
