package pgstore

import (
	"context"
	"encoding/binary"
	"fmt"
	"strconv"
	"strings"

	"github.com/cayleygraph/quad"
	"github.com/jackc/pgx/v5"
)

// Positions of a statement's terms, as bits of a mask (the registry's
// Positions use the same bits).
const (
	PosSubject uint8 = 1 << iota
	PosPredicate
	PosObject
	PosGraph
	PosAll = PosSubject | PosPredicate | PosObject | PosGraph
)

// columns are the quads table's columns by position.
var columns = [4]string{"s", "p", "o", "g"}

// orders[mask] is the column order of the index that serves a pattern
// binding the positions of mask (bit i = columns[i]): the bound columns
// lead it, so the pattern is one index range and its pages follow the
// remaining columns.
var orders = func() [16][4]int {
	spog, posg, ospg := [4]int{0, 1, 2, 3}, [4]int{1, 2, 0, 3}, [4]int{2, 0, 1, 3}
	gspo, pgos, ogsp := [4]int{3, 0, 1, 2}, [4]int{1, 3, 2, 0}, [4]int{2, 3, 0, 1}
	return [16][4]int{
		0: spog, 1: spog, 2: posg, 3: spog, 4: ospg, 5: ospg, 6: posg, 7: spog,
		8: gspo, 9: gspo, 10: pgos, 11: gspo, 12: ogsp, 13: ogsp, 14: pgos, 15: spog,
	}
}()

// bound is a pattern resolved to ids.
type bound struct {
	mask uint8
	ids  row // the ids of the bound positions
	// except are the ids of the graphs left out (with the graph free);
	// graphs the dictionary lacks hold nothing and are not listed.
	except []int64
}

// resolve looks up the ids of p's terms; ok is false when one is not in
// the dictionary (nothing can match).
func (s *Store) resolve(ctx context.Context, q querier, p Pattern) (b bound, ok bool, err error) {
	for i, v := range [4]quad.Value{p.Subject, p.Predicate, p.Object, p.Graph} {
		if v == nil {
			continue
		}
		e, err := encode(v)
		if err != nil {
			return b, false, fmt.Errorf("pgstore: pattern: %w", err)
		}
		id, found := s.ids.get(e.key)
		if !found {
			err := q.QueryRow(ctx, `SELECT id FROM credreg_terms WHERE k = $1`, []byte(e.key)).Scan(&id)
			if err == pgx.ErrNoRows {
				return b, false, nil
			}
			if err != nil {
				return b, false, fmt.Errorf("pgstore: read a term id: %w", err)
			}
			s.ids.put(e.key, id)
		}
		b.mask |= 1 << i
		b.ids[i] = id
	}
	if p.Graph == nil {
		for _, g := range p.Except {
			if g == nil {
				b.except = append(b.except, 0) // the default graph
				continue
			}
			id, found, err := s.termID(ctx, q, g)
			if err != nil {
				return b, false, err
			}
			if found {
				b.except = append(b.except, id)
			}
		}
	}
	return b, true, nil
}

// termID looks up the id of one term.
func (s *Store) termID(ctx context.Context, q querier, v quad.Value) (int64, bool, error) {
	e, err := encode(v)
	if err != nil {
		return 0, false, fmt.Errorf("pgstore: pattern: %w", err)
	}
	if id, found := s.ids.get(e.key); found {
		return id, true, nil
	}
	var id int64
	err = q.QueryRow(ctx, `SELECT id FROM credreg_terms WHERE k = $1`, []byte(e.key)).Scan(&id)
	if err == pgx.ErrNoRows {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("pgstore: read a term id: %w", err)
	}
	s.ids.put(e.key, id)
	return id, true, nil
}

// exceptClause adds the condition leaving out b's excepted graphs.
func exceptClause(b bound, where []string, args []any) ([]string, []any) {
	if len(b.except) == 0 {
		return where, args
	}
	args = append(args, b.except)
	return append(where, "g <> ALL($"+strconv.Itoa(len(args))+")"), args
}

// pageQuery is the SQL of a page of b's matches: the bound columns are
// $1.., then (with a cursor) the free columns' values after which to
// start, then the limit. args gives the arguments but the limit.
func pageQuery(b bound, after *row) (sql string, args []any) {
	order := orders[b.mask]
	if b.mask == 0 && len(b.except) > 0 {
		// Every published statement: graph by graph (a dump's order).
		order = orders[8]
	}
	var where, free []string
	for _, c := range order {
		if b.mask&(1<<c) != 0 {
			args = append(args, b.ids[c])
			where = append(where, columns[c]+" = $"+strconv.Itoa(len(args)))
		} else {
			free = append(free, columns[c])
		}
	}
	if after != nil && len(free) > 0 {
		var ph []string
		for _, c := range order {
			if b.mask&(1<<c) == 0 {
				args = append(args, after[c])
				ph = append(ph, "$"+strconv.Itoa(len(args)))
			}
		}
		where = append(where, "("+strings.Join(free, ", ")+") > ("+strings.Join(ph, ", ")+")")
	}
	where, args = exceptClause(b, where, args)
	var sb strings.Builder
	sb.WriteString("SELECT s, p, o, g FROM credreg_quads")
	if len(where) > 0 {
		sb.WriteString(" WHERE " + strings.Join(where, " AND "))
	}
	if len(free) > 0 {
		sb.WriteString(" ORDER BY " + strings.Join(free, ", "))
	}
	sb.WriteString(" LIMIT $" + strconv.Itoa(len(args)+1))
	return sb.String(), args
}

// page reads up to limit id rows of b's matches after the cursor row.
func page(ctx context.Context, q querier, b bound, after *row, limit int) ([]row, error) {
	if after != nil && b.mask == 15 {
		return nil, nil // the one statement was read already
	}
	sql, args := pageQuery(b, after)
	rows, err := q.Query(ctx, sql, append(args, limit)...)
	if err != nil {
		return nil, fmt.Errorf("pgstore: read statements: %w", err)
	}
	defer rows.Close()
	var out []row
	var r row
	for rows.Next() {
		if err := rows.Scan(&r[0], &r[1], &r[2], &r[3]); err != nil {
			return nil, fmt.Errorf("pgstore: read statements: %w", err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("pgstore: read statements: %w", err)
	}
	return out, nil
}

// values returns the terms of rows' positions in want, reading from the
// dictionary those the cache lacks.
func (s *Store) values(ctx context.Context, q querier, rows []row, want uint8) ([]quad.Quad, error) {
	// The terms found in the cache are kept here, not looked up there
	// again: the cache forgets everything when it fills up, which the
	// terms put below (or another reader's) may make it do meanwhile.
	var missing []int64
	got := map[int64]quad.Value{}
	seen := map[int64]bool{}
	for _, r := range rows {
		for i, id := range r {
			if want&(1<<i) == 0 || id == 0 || seen[id] {
				continue
			}
			seen[id] = true
			if v, ok := s.terms.get(id); ok {
				got[id] = v
			} else {
				missing = append(missing, id)
			}
		}
	}
	if len(missing) > 0 {
		trs, err := q.Query(ctx, `SELECT id, k, v FROM credreg_terms WHERE id = ANY($1::int8[])`, missing)
		if err != nil {
			return nil, fmt.Errorf("pgstore: read terms: %w", err)
		}
		defer trs.Close()
		var id int64
		var k, v []byte
		for trs.Next() {
			if err := trs.Scan(&id, &k, &v); err != nil {
				return nil, fmt.Errorf("pgstore: read terms: %w", err)
			}
			enc := k
			if v != nil {
				enc = v
			}
			val, err := decodeTerm(enc)
			if err != nil {
				return nil, fmt.Errorf("pgstore: term %d: %w", id, err)
			}
			got[id] = val
			s.terms.put(id, val)
		}
		if err := trs.Err(); err != nil {
			return nil, fmt.Errorf("pgstore: read terms: %w", err)
		}
	}
	term := func(id int64) (quad.Value, error) {
		if v, ok := got[id]; ok {
			return v, nil
		}
		return nil, fmt.Errorf("pgstore: statement refers to term %d, which is not in the dictionary", id)
	}
	out := make([]quad.Quad, len(rows))
	for j, r := range rows {
		var vs [4]quad.Value
		for i, id := range r {
			if want&(1<<i) == 0 || id == 0 {
				continue
			}
			v, err := term(id)
			if err != nil {
				return nil, err
			}
			vs[i] = v
		}
		out[j] = quad.Quad{Subject: vs[0], Predicate: vs[1], Object: vs[2], Label: vs[3]}
	}
	return out, nil
}

// cursorLen is the length of a Match cursor: the last row's four ids.
const cursorLen = 32

func encodeCursor(r row) []byte {
	b := make([]byte, 0, cursorLen)
	for _, id := range r {
		b = binary.BigEndian.AppendUint64(b, uint64(id))
	}
	return b
}

func decodeCursor(b []byte, bd bound) (*row, error) {
	if len(b) != cursorLen {
		return nil, ErrBadCursor
	}
	var r row
	for i := range r {
		r[i] = int64(binary.BigEndian.Uint64(b[8*i:]))
		if bd.mask&(1<<i) != 0 && r[i] != bd.ids[i] {
			return nil, ErrBadCursor
		}
	}
	return &r, nil
}

// Match returns up to limit statements matching p after the cursor after
// (nil for the first page) in the order of the index that serves p, and
// the cursor of the next page (nil on the last). A cursor is the last
// statement's ids, so it stays valid across writes.
func (s *Store) Match(ctx context.Context, p Pattern, after []byte, limit int) ([]quad.Quad, []byte, error) {
	if limit <= 0 {
		return nil, nil, fmt.Errorf("pgstore: Match needs a positive limit")
	}
	b, ok, err := s.resolve(ctx, s.pool, p)
	if err != nil || !ok {
		return nil, nil, err
	}
	var from *row
	if after != nil {
		if from, err = decodeCursor(after, b); err != nil {
			return nil, nil, err
		}
	}
	rows, err := page(ctx, s.pool, b, from, limit+1)
	if err != nil {
		return nil, nil, err
	}
	var next []byte
	if len(rows) > limit {
		rows = rows[:limit]
		next = encodeCursor(rows[limit-1])
	}
	out, err := s.values(ctx, s.pool, rows, PosAll)
	if err != nil {
		return nil, nil, err
	}
	return out, next, nil
}

func countErr(err error) error {
	if err != nil {
		return fmt.Errorf("pgstore: count: %w", err)
	}
	return nil
}

// Skip passes n statements matching p after the cursor after (nil: from
// the first), in Match's order, reading ids only, and returns the cursor
// of the n-th (Match after it gives what follows), or nil when fewer than
// n remain.
func (s *Store) Skip(ctx context.Context, p Pattern, after []byte, n int) ([]byte, error) {
	if n <= 0 {
		return after, nil
	}
	b, ok, err := s.resolve(ctx, s.pool, p)
	if err != nil || !ok {
		return nil, err
	}
	var from *row
	if after != nil {
		if from, err = decodeCursor(after, b); err != nil {
			return nil, err
		}
	}
	// Only the last row of the n is wanted: skip the rest in SQL.
	sql, args := pageQuery(b, from)
	sql += " OFFSET $" + strconv.Itoa(len(args)+2)
	var r row
	err = s.pool.QueryRow(ctx, sql, append(args, 1, n-1)...).Scan(&r[0], &r[1], &r[2], &r[3])
	if err == pgx.ErrNoRows {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("pgstore: skip statements: %w", err)
	}
	return encodeCursor(r), nil
}

// Count returns the exact number of statements matching p: from the
// predicate counts with no position or only the predicate bound, otherwise
// by counting one index range.
func (s *Store) Count(ctx context.Context, p Pattern) (int64, error) {
	b, ok, err := s.resolve(ctx, s.pool, p)
	if err != nil || !ok {
		return 0, err
	}
	var n int64
	const g = PosGraph
	switch {
	case b.mask == 0 && len(b.except) > 0:
		// Everything but some graphs: every statement less theirs.
		err = s.pool.QueryRow(ctx, `SELECT (SELECT coalesce(sum(n), 0) FROM credreg_pcounts)
			- (SELECT coalesce(sum(n), 0) FROM credreg_gpcounts WHERE g = ANY($1))`, b.except).Scan(&n)
		return n, countErr(err)
	case b.mask == PosPredicate && len(b.except) > 0:
		err = s.pool.QueryRow(ctx, `SELECT coalesce((SELECT n FROM credreg_pcounts WHERE p = $1), 0)
			- (SELECT coalesce(sum(n), 0) FROM credreg_gpcounts WHERE p = $1 AND g = ANY($2))`, b.ids[1], b.except).Scan(&n)
		return n, countErr(err)
	case b.mask == g:
		err = s.pool.QueryRow(ctx, `SELECT coalesce(sum(n), 0)::int8 FROM credreg_gpcounts WHERE g = $1`, b.ids[3]).Scan(&n)
		return n, countErr(err)
	case b.mask == g|PosPredicate:
		err = s.pool.QueryRow(ctx, `SELECT coalesce((SELECT n FROM credreg_gpcounts WHERE g = $1 AND p = $2), 0)::int8`, b.ids[3], b.ids[1]).Scan(&n)
		return n, countErr(err)
	}
	if len(b.except) > 0 {
		// Counted by the index range, less the excluded graphs.
		where, args := exceptClause(b, nil, nil)
		for i, c := range columns {
			if b.mask&(1<<i) != 0 {
				args = append(args, b.ids[i])
				where = append(where, c+" = $"+strconv.Itoa(len(args)))
			}
		}
		err = s.pool.QueryRow(ctx, `SELECT count(*) FROM credreg_quads WHERE `+strings.Join(where, " AND "), args...).Scan(&n)
		if err != nil {
			return 0, fmt.Errorf("pgstore: count: %w", err)
		}
		return n, nil
	}
	switch b.mask {
	case 0:
		err = s.pool.QueryRow(ctx, `SELECT coalesce(sum(n), 0)::int8 FROM credreg_pcounts`).Scan(&n)
	case PosPredicate:
		err = s.pool.QueryRow(ctx, `SELECT coalesce((SELECT n FROM credreg_pcounts WHERE p = $1), 0)::int8`, b.ids[1]).Scan(&n)
	default:
		var where []string
		var args []any
		for i, c := range columns {
			if b.mask&(1<<i) != 0 {
				args = append(args, b.ids[i])
				where = append(where, c+" = $"+strconv.Itoa(len(args)))
			}
		}
		err = s.pool.QueryRow(ctx, `SELECT count(*) FROM credreg_quads WHERE `+strings.Join(where, " AND "), args...).Scan(&n)
	}
	if err != nil {
		return 0, fmt.Errorf("pgstore: count: %w", err)
	}
	return n, nil
}

// scanPage is the number of statements a Scan reads per query.
const scanPage = 2000

// Scan calls fn with every statement matching p, all from one snapshot.
// Only the terms of the positions in want are set. An error from fn ends
// the scan and is returned.
//
// One query is one snapshot, so a scan of fewer than scanPage statements
// (a record, a node) is one query and no transaction. A longer one is read
// again from its start in one REPEATABLE READ, READ ONLY transaction, a
// page of scanPage statements at a time, never all in memory. Term ids are
// resolved outside the snapshot: terms are never deleted nor ids reused.
func (s *Store) Scan(ctx context.Context, p Pattern, want uint8, fn func(quad.Quad) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	b, ok, err := s.resolve(ctx, s.pool, p)
	if err != nil || !ok {
		return err
	}
	rows, err := page(ctx, s.pool, b, nil, scanPage)
	if err != nil {
		return err
	}
	if len(rows) < scanPage {
		qs, err := s.values(ctx, s.pool, rows, want)
		if err != nil {
			return err
		}
		for _, q := range qs {
			if err := fn(q); err != nil {
				return err
			}
		}
		return nil
	}
	tx, err := s.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return fmt.Errorf("pgstore: begin a scan: %w", err)
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()
	var from *row
	for {
		rows, err := page(ctx, tx, b, from, scanPage)
		if err != nil {
			return err
		}
		qs, err := s.values(ctx, tx, rows, want)
		if err != nil {
			return err
		}
		for _, q := range qs {
			if err := fn(q); err != nil {
				return err
			}
		}
		if len(rows) < scanPage {
			return nil
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		from = &rows[len(rows)-1]
	}
}
