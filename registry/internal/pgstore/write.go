package pgstore

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/cayleygraph/quad"
	"github.com/jackc/pgx/v5"
)

// row is a statement as term ids, in S, P, O, G order; G is 0 for the
// default graph.
type row [4]int64

func cmpRow(a, b row) int {
	for i := range a {
		if c := cmp.Compare(a[i], b[i]); c != 0 {
			return c
		}
	}
	return 0
}

// termsOf returns the terms of q in S, P, O, G order (G nil for the
// default graph), checking that subject, predicate and object are set.
func termsOf(q quad.Quad) ([4]quad.Value, error) {
	if q.Subject == nil || q.Predicate == nil || q.Object == nil {
		return [4]quad.Value{}, fmt.Errorf("pgstore: invalid statement %v: subject, predicate and object are required", q)
	}
	return [4]quad.Value{q.Subject, q.Predicate, q.Object, q.Label}, nil
}

// encoded is a term's dictionary key and, for a long term, its encoding
// (stored beside the hash key).
type encoded struct {
	key  string
	full []byte // nil when key is the encoding
}

func encode(v quad.Value) (encoded, error) {
	enc, err := encodeTerm(v)
	if err != nil {
		return encoded{}, err
	}
	k := termKey(enc)
	if len(k) == len(enc) {
		return encoded{key: string(enc)}, nil
	}
	return encoded{key: string(k), full: enc}, nil
}

// Apply removes the statements of remove, then adds those of add, in one
// transaction. A statement of remove must be stored and one of add must
// not be; otherwise nothing is written and the error wraps ErrConflict (as
// it does when PostgreSQL aborts the transaction for a concurrent writer).
func (s *Store) Apply(ctx context.Context, remove, add []quad.Quad) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	// Encode every term first: a statement that cannot be stored fails
	// before anything is sent.
	terms := map[string]encoded{}
	collect := func(qs []quad.Quad) ([][4]string, error) {
		out := make([][4]string, len(qs))
		for j, q := range qs {
			ts, err := termsOf(q)
			if err != nil {
				return nil, err
			}
			for i, v := range ts {
				if v == nil {
					continue // the default graph
				}
				e, err := encode(v)
				if err != nil {
					return nil, fmt.Errorf("pgstore: statement %v: %w", q, err)
				}
				terms[e.key] = e
				out[j][i] = e.key
			}
		}
		return out, nil
	}
	removeKeys, err := collect(remove)
	if err != nil {
		return err
	}
	addKeys, err := collect(add)
	if err != nil {
		return err
	}
	if len(remove) == 0 && len(add) == 0 {
		return nil
	}
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("pgstore: begin a write: %w", err)
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()
	created, err := s.apply(ctx, tx, terms, removeKeys, addKeys)
	if err == nil {
		err = tx.Commit(ctx)
		if err != nil {
			err = fmt.Errorf("pgstore: commit: %w", err)
		}
	}
	if err != nil {
		if isConflict(err) && !errors.Is(err, ErrConflict) {
			return fmt.Errorf("%w: %w", ErrConflict, err)
		}
		return err
	}
	for k, id := range created {
		s.ids.put(k, id)
	}
	return nil
}

// apply does Apply's work in tx and returns the ids of the terms it looked
// up or created, for the cache once the commit has succeeded.
func (s *Store) apply(ctx context.Context, tx pgx.Tx, terms map[string]encoded, remove, add [][4]string) (map[string]int64, error) {
	ids, err := s.termIDs(ctx, tx, terms, len(add) > 0)
	if err != nil {
		return nil, err
	}
	toRows := func(qs [][4]string) ([]row, bool) {
		out := make([]row, 0, len(qs))
		for _, q := range qs {
			var r row
			for i, k := range q {
				if k == "" {
					continue // only the graph can be empty: the default graph, 0
				}
				id, ok := ids[k]
				if !ok {
					return nil, false
				}
				r[i] = id
			}
			out = append(out, r)
		}
		slices.SortFunc(out, cmpRow) // one lock order for all writers
		return out, true
	}
	pcount := map[int64]int64{}
	gpcount := map[[2]int64]int64{}
	if len(remove) > 0 {
		rows, ok := toRows(remove)
		if !ok {
			return nil, fmt.Errorf("%w: a statement to remove is not stored (a term of it is unknown)", ErrConflict)
		}
		n, err := execRows(ctx, tx, `DELETE FROM credreg_quads q USING unnest($1::int8[], $2::int8[], $3::int8[], $4::int8[]) AS d(s, p, o, g)
			WHERE q.s = d.s AND q.p = d.p AND q.o = d.o AND q.g = d.g`, rows)
		if err != nil {
			return nil, fmt.Errorf("pgstore: remove statements: %w", err)
		}
		if n != int64(len(rows)) {
			return nil, fmt.Errorf("%w: %d of %d statements to remove are not stored", ErrConflict, int64(len(rows))-n, len(rows))
		}
		for _, r := range rows {
			pcount[r[1]]--
			gpcount[[2]int64{r[3], r[1]}]--
		}
	}
	if len(add) > 0 {
		rows, ok := toRows(add)
		if !ok {
			return nil, errors.New("pgstore: a term to add has no id") // termIDs created them all
		}
		n, err := execRows(ctx, tx, `INSERT INTO credreg_quads (s, p, o, g)
			SELECT * FROM unnest($1::int8[], $2::int8[], $3::int8[], $4::int8[]) ON CONFLICT DO NOTHING`, rows)
		if err != nil {
			return nil, fmt.Errorf("pgstore: add statements: %w", err)
		}
		if n != int64(len(rows)) {
			return nil, fmt.Errorf("%w: %d of %d statements to add are already stored", ErrConflict, int64(len(rows))-n, len(rows))
		}
		for _, r := range rows {
			pcount[r[1]]++
			gpcount[[2]int64{r[3], r[1]}]++
		}
	}
	var ps, ns []int64
	for p, n := range pcount {
		if n != 0 {
			ps = append(ps, p)
		}
	}
	slices.Sort(ps) // one lock order for all writers
	for _, p := range ps {
		ns = append(ns, pcount[p])
	}
	if len(ps) > 0 {
		_, err := tx.Exec(ctx, `INSERT INTO credreg_pcounts (p, n) SELECT * FROM unnest($1::int8[], $2::int8[])
			ON CONFLICT (p) DO UPDATE SET n = credreg_pcounts.n + excluded.n`, ps, ns)
		if err != nil {
			return nil, fmt.Errorf("pgstore: update the predicate counts: %w", err)
		}
	}
	if err := updateGraphCounts(ctx, tx, gpcount); err != nil {
		return nil, err
	}
	return ids, nil
}

// updateGraphCounts adds the changes of the statements per graph and
// predicate, in key order (one lock order for all writers).
func updateGraphCounts(ctx context.Context, tx pgx.Tx, delta map[[2]int64]int64) error {
	keys := make([][2]int64, 0, len(delta))
	for k, n := range delta {
		if n != 0 {
			keys = append(keys, k)
		}
	}
	if len(keys) == 0 {
		return nil
	}
	slices.SortFunc(keys, func(a, b [2]int64) int {
		if c := cmp.Compare(a[0], b[0]); c != 0 {
			return c
		}
		return cmp.Compare(a[1], b[1])
	})
	gs, ps, ns := make([]int64, len(keys)), make([]int64, len(keys)), make([]int64, len(keys))
	for i, k := range keys {
		gs[i], ps[i], ns[i] = k[0], k[1], delta[k]
	}
	_, err := tx.Exec(ctx, `INSERT INTO credreg_gpcounts (g, p, n) SELECT * FROM unnest($1::int8[], $2::int8[], $3::int8[])
		ON CONFLICT (g, p) DO UPDATE SET n = credreg_gpcounts.n + excluded.n`, gs, ps, ns)
	if err != nil {
		return fmt.Errorf("pgstore: update the graph counts: %w", err)
	}
	return nil
}

// execRows runs sql with the four columns of rows as arrays $1..$4 and
// returns the number of rows it affected.
func execRows(ctx context.Context, tx pgx.Tx, sql string, rows []row) (int64, error) {
	var cols [4][]int64
	for i := range cols {
		cols[i] = make([]int64, len(rows))
	}
	for j, r := range rows {
		for i := range cols {
			cols[i][j] = r[i]
		}
	}
	tag, err := tx.Exec(ctx, sql, cols[0], cols[1], cols[2], cols[3])
	if err != nil {
		return 0, err
	}
	return tag.RowsAffected(), nil
}

// termIDs returns the ids of terms by key: from the cache, then from the
// dictionary, and (with create) inserting those it lacks. A term another
// writer inserts at the same time is read back after its commit.
func (s *Store) termIDs(ctx context.Context, tx pgx.Tx, terms map[string]encoded, create bool) (map[string]int64, error) {
	ids := make(map[string]int64, len(terms))
	var missing []encoded
	for _, e := range terms {
		if id, ok := s.ids.get(e.key); ok {
			ids[e.key] = id
		} else {
			missing = append(missing, e)
		}
	}
	if len(missing) == 0 {
		return ids, nil
	}
	slices.SortFunc(missing, func(a, b encoded) int { return cmp.Compare(a.key, b.key) })
	keys := make([][]byte, len(missing))
	for i, e := range missing {
		keys[i] = []byte(e.key)
	}
	if err := readIDs(ctx, tx, keys, ids); err != nil {
		return nil, err
	}
	if !create {
		return ids, nil
	}
	var newKeys, newFull [][]byte
	for _, e := range missing {
		if _, ok := ids[e.key]; !ok {
			newKeys = append(newKeys, []byte(e.key))
			newFull = append(newFull, e.full)
		}
	}
	if len(newKeys) == 0 {
		return ids, nil
	}
	rows, err := tx.Query(ctx, `INSERT INTO credreg_terms (k, v) SELECT * FROM unnest($1::bytea[], $2::bytea[])
		ON CONFLICT (k) DO NOTHING RETURNING id, k`, newKeys, newFull)
	if err != nil {
		return nil, fmt.Errorf("pgstore: add terms: %w", err)
	}
	if err := scanIDs(rows, ids); err != nil {
		return nil, fmt.Errorf("pgstore: add terms: %w", err)
	}
	var raced [][]byte
	for _, k := range newKeys {
		if _, ok := ids[string(k)]; !ok {
			raced = append(raced, k)
		}
	}
	if len(raced) > 0 {
		if err := readIDs(ctx, tx, raced, ids); err != nil {
			return nil, err
		}
		for _, k := range raced {
			if _, ok := ids[string(k)]; !ok {
				return nil, fmt.Errorf("%w: a term added by another writer is not visible", ErrConflict)
			}
		}
	}
	return ids, nil
}

func readIDs(ctx context.Context, q querier, keys [][]byte, into map[string]int64) error {
	rows, err := q.Query(ctx, `SELECT id, k FROM credreg_terms WHERE k = ANY($1::bytea[])`, keys)
	if err != nil {
		return fmt.Errorf("pgstore: read term ids: %w", err)
	}
	if err := scanIDs(rows, into); err != nil {
		return fmt.Errorf("pgstore: read term ids: %w", err)
	}
	return nil
}

func scanIDs(rows pgx.Rows, into map[string]int64) error {
	defer rows.Close()
	var id int64
	var k []byte
	for rows.Next() {
		if err := rows.Scan(&id, &k); err != nil {
			return err
		}
		into[string(k)] = id
	}
	return rows.Err()
}
