package registry

import (
	"context"
	"testing"
	"time"

	"credreg/internal/pgtest"
)

// BenchmarkAuthenticate measures what every authenticated request costs:
// Authenticate of an active token in a store holding 100 tokens, on
// Badger and (when a PostgreSQL answers) on PostgreSQL.
func BenchmarkAuthenticate(b *testing.B) {
	ctx := context.Background()
	for _, kind := range []string{"badger", "postgres"} {
		b.Run(kind, func(b *testing.B) {
			url := "badger://" + b.TempDir()
			if kind == "postgres" {
				url = pgtest.NewDatabase(b)
			}
			s, err := Open(ctx, url, Options{Base: testBaseIRI(b)})
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			recs := sampleRecords(b)
			if _, err := s.PutBatch(ctx, "a", recs); err != nil {
				b.Fatal(err)
			}
			var secret string
			for i := 0; i < 100; i++ {
				sec, _, err := s.CreateToken(ctx, recs[1].IRI, RoleAgency, time.Time{})
				if err != nil {
					b.Fatal(err)
				}
				if i == 50 {
					secret = sec
				}
			}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := s.Authenticate(ctx, secret); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
