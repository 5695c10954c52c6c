package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"credreg/schema"
)

const checkUsage = `Usage: credreg check [--server URL] [--date YYYY-MM-DD] [--json] CTID|NAME

Asks a running registry whether a credential is of value: by which
agencies, for which Clusters and regions, on which criteria. The answer is
the registry's GET /check.

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
