package server

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"credreg/catalog"
	"credreg/catalog/catalogtest"
	"credreg/ingest"
	"credreg/ingest/seed"
	"credreg/registry"
)

// TestCTDLExport serves credentials in CTDL's shape and reads them back
// with the CTDL reader into a registry holding only the reference data:
// the credential comes back with the same name, type, owners, codes and
// competencies.
// umbDesignation is a value designation of the fixtures.
const umbDesignation = "ce-bed19894-d81d-41ac-9e0b-98330eeca6bc"

func TestCTDLExport(t *testing.T) {
	srv, store := newUmbrellaServer(t)
	ctx := context.Background()
	const securityPlus = "ce-753d4e3a-bc16-4cc6-9d35-37f186c36532"
	for _, ctid := range []string{securityPlus, umbNREMT, umbAWSCloud} {
		res, body := do(t, http.MethodGet, srv.URL+"/resources/"+ctid+"?profile=ctdl", nil)
		if res.StatusCode != http.StatusOK || !strings.Contains(res.Header.Get("Content-Type"), `profile="https://credreg.net/ctdl/schema/context/json"`) {
			t.Fatalf("%s: %d %s\n%s", ctid, res.StatusCode, res.Header.Get("Content-Type"), body)
		}
		var doc map[string]any
		if err := json.Unmarshal([]byte(body), &doc); err != nil {
			t.Fatal(err)
		}
		if doc["@context"] != ingest.CTDLContextURL || !strings.HasPrefix(doc["@type"].(string), "ceterms:") {
			t.Errorf("%s: context %v, type %v", ctid, doc["@context"], doc["@type"])
		}
		// The fixtures' names carry no language: they come back as they are
		// (a CTDL language map is for text that has one).
		if name, ok := doc["ceterms:name"].(string); !ok || name == "" {
			t.Errorf("%s: name %v is not the stored text", ctid, doc["ceterms:name"])
		}

		fresh, err := registry.Open(ctx, "badger://"+t.TempDir(), registry.Options{Base: store.Base(), Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			t.Fatal(err)
		}
		// The reference data, and the sample's organizations and competencies.
		if _, err := seed.Load(ctx, fresh, seed.Options{Logger: slog.New(slog.DiscardHandler)}); err != nil {
			t.Fatal(err)
		}
		recs, err := seed.Sample(store.Base())
		if err != nil {
			t.Fatal(err)
		}
		var reference []registry.Record
		for _, r := range recs {
			if !isCredentialOrDesignation(r) {
				reference = append(reference, r)
			}
		}
		if _, err := fresh.PutBatch(ctx, "reference", reference); err != nil {
			t.Fatal(err)
		}
		src, err := ingest.CTDL("export.json", strings.NewReader(body), store.Base())
		if err != nil {
			t.Fatal(err)
		}
		rep, err := ingest.Run(ctx, fresh, src, ingest.FormatCTDL, ingest.Options{Actor: "re-import"})
		if err != nil || len(rep.Problems) > 0 {
			t.Fatalf("%s: the CTDL export does not read back: %v %v", ctid, err, rep.Problems)
		}
		iri := store.Base().Resource(ctid)
		want, err := catalogtest.Of(t, store).Credential(ctx, iri)
		if err != nil {
			t.Fatal(err)
		}
		got, err := catalogtest.Of(t, fresh).Credential(ctx, iri)
		if err != nil {
			t.Fatal(err)
		}
		fields := func(v *catalog.CredentialView) []any {
			return []any{v.CTID, v.Name, v.Description, v.Types, v.OwnedBy, v.OfferedBy, v.Occupations, v.Industries, v.Programs, v.Competencies, v.SupersededBy}
		}
		if !reflect.DeepEqual(fields(want), fields(got)) {
			t.Errorf("%s read back as\n%v\nwant\n%v", ctid, fields(got), fields(want))
		}
		_ = fresh.Close()
	}
	// Every record CTDL can express is exported: an organization too.
	res, body := do(t, http.MethodGet, srv.URL+"/resources/"+umbCompTIA+"?profile=ctdl", nil)
	var org map[string]any
	if res.StatusCode != http.StatusOK || json.Unmarshal([]byte(body), &org) != nil || org["@type"] != "ceterms:CredentialOrganization" || org["ceterms:name"] != "CompTIA" {
		t.Errorf("organization in CTDL: %d\n%s", res.StatusCode, body)
	}
	// The Accept profile asks for it too; a value designation (credreg's
	// own class), an unknown profile or another format are refused.
	res, _ = do(t, http.MethodGet, srv.URL+"/resources/"+securityPlus, map[string]string{"Accept": `application/ld+json; profile="https://credreg.net/ctdl/schema/context/json"`})
	if !strings.Contains(res.Header.Get("Content-Type"), "profile=") {
		t.Errorf("Accept with the CTDL profile: %s", res.Header.Get("Content-Type"))
	}
	for path, status := range map[string]int{
		"/resources/" + umbDesignation + "?profile=ctdl":         http.StatusNotAcceptable,
		"/resources/" + securityPlus + "?profile=dublin":         http.StatusBadRequest,
		"/resources/" + securityPlus + "?profile=ctdl&format=nq": http.StatusBadRequest,
		"/resources/" + umbNoSuch + "?profile=ctdl":              http.StatusNotFound,
	} {
		if res, body := do(t, http.MethodGet, srv.URL+path, nil); res.StatusCode != status {
			t.Errorf("%s: %d, want %d\n%s", path, res.StatusCode, status, body)
		}
	}
}
