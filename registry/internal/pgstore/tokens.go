package pgstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/cayleygraph/quad"
	"github.com/jackc/pgx/v5"

	"credreg/registry/internal/tokenrec"
)

// Errors of the token table, for errors.Is.
var (
	// ErrNoToken: no token has that id.
	ErrNoToken = errors.New("pgstore: no such token")
	// ErrTokenExists: PutToken of an id that is taken.
	ErrTokenExists = errors.New("pgstore: a token has that id")
	// ErrTokenRevoked: RevokeToken of a revoked token.
	ErrTokenRevoked = errors.New("pgstore: the token is revoked")
)

// schemaV3 adds the token table; moveTokens (migrationSteps[3]) then
// moves the tokens that version 2 kept as statements into it.
var schemaV3 = []string{
	`CREATE TABLE credreg_tokens (
		id      text PRIMARY KEY,
		hash    text NOT NULL,
		agency  text NOT NULL,
		role    text NOT NULL,
		created timestamptz NOT NULL,
		expires timestamptz,
		revoked timestamptz
	)`,
}

// nullTime is t for a nullable column: nil when zero.
func nullTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC()
}

const tokenColumns = `id, hash, agency, role, created, expires, revoked`

func scanToken(row pgx.Row) (tokenrec.Token, error) {
	var t tokenrec.Token
	var expires, revoked *time.Time
	if err := row.Scan(&t.ID, &t.Hash, &t.Agency, &t.Role, &t.Created, &expires, &revoked); err != nil {
		return t, err
	}
	t.Created = t.Created.UTC()
	if expires != nil {
		t.Expires = expires.UTC()
	}
	if revoked != nil {
		t.Revoked = revoked.UTC()
	}
	return t, nil
}

// PutToken stores a new token; an id that is taken is ErrTokenExists and
// writes nothing. Times are kept to the microsecond.
func (s *Store) PutToken(ctx context.Context, t tokenrec.Token) error {
	if t.ID == "" {
		return errors.New("pgstore: a token needs an id")
	}
	tag, err := s.pool.Exec(ctx, `INSERT INTO credreg_tokens (`+tokenColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7)
		ON CONFLICT (id) DO NOTHING`, t.ID, t.Hash, t.Agency, t.Role, t.Created.UTC(), nullTime(t.Expires), nullTime(t.Revoked))
	if err != nil {
		return fmt.Errorf("pgstore: put token %s: %w", t.ID, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("%w: %s", ErrTokenExists, t.ID)
	}
	return nil
}

// Token reads the token id (one primary-key lookup), or ErrNoToken. It
// reads the database every time: a token revoked by another server
// sharing it stops working at once.
func (s *Store) Token(ctx context.Context, id string) (tokenrec.Token, error) {
	t, err := scanToken(s.pool.QueryRow(ctx, `SELECT `+tokenColumns+` FROM credreg_tokens WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return t, fmt.Errorf("%w: %s", ErrNoToken, id)
	}
	if err != nil {
		return t, fmt.Errorf("pgstore: read token %s: %w", id, err)
	}
	return t, nil
}

// Tokens reads every token, in id order.
func (s *Store) Tokens(ctx context.Context) ([]tokenrec.Token, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+tokenColumns+` FROM credreg_tokens ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("pgstore: list tokens: %w", err)
	}
	defer rows.Close()
	var out []tokenrec.Token
	for rows.Next() {
		t, err := scanToken(rows)
		if err != nil {
			return nil, fmt.Errorf("pgstore: list tokens: %w", err)
		}
		out = append(out, t)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("pgstore: list tokens: %w", err)
	}
	return out, nil
}

// RevokeToken sets the revocation time of the token id to at, unless it
// is revoked already (ErrTokenRevoked, with the token as stored) or does
// not exist (ErrNoToken), in one conditional UPDATE: of two servers
// revoking it at once, one succeeds. It returns the token as now stored.
func (s *Store) RevokeToken(ctx context.Context, id string, at time.Time) (tokenrec.Token, error) {
	t, err := scanToken(s.pool.QueryRow(ctx, `UPDATE credreg_tokens SET revoked = $2 WHERE id = $1 AND revoked IS NULL
		RETURNING `+tokenColumns, id, at.UTC()))
	if err == nil {
		return t, nil
	}
	if !errors.Is(err, pgx.ErrNoRows) {
		return t, fmt.Errorf("pgstore: revoke token %s: %w", id, err)
	}
	t, err = s.Token(ctx, id)
	if err != nil {
		return t, err
	}
	return t, fmt.Errorf("%w: %s", ErrTokenRevoked, id)
}

// moveTokens is version 3's migration step, in the migration's
// transaction: the tokens that version 2 kept as statements of the graph
// tokenrec.Graph go to credreg_tokens and their statements (with their
// counts) leave the graph. Statements of that graph that are no token
// stay.
func (s *Store) moveTokens(ctx context.Context, tx pgx.Tx) error {
	g, err := encode(quad.IRI(tokenrec.Graph))
	if err != nil {
		return err
	}
	var gid int64
	err = tx.QueryRow(ctx, `SELECT id FROM credreg_terms WHERE k = $1`, []byte(g.key)).Scan(&gid)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil // never written
	}
	if err != nil {
		return fmt.Errorf("read the token graph's id: %w", err)
	}
	rs, err := tx.Query(ctx, `SELECT s, p, o, g FROM credreg_quads WHERE g = $1`, gid)
	if err != nil {
		return fmt.Errorf("read the token graph: %w", err)
	}
	var rows []row
	for rs.Next() {
		var r row
		if err := rs.Scan(&r[0], &r[1], &r[2], &r[3]); err != nil {
			rs.Close()
			return fmt.Errorf("read the token graph: %w", err)
		}
		rows = append(rows, r)
	}
	rs.Close()
	if err := rs.Err(); err != nil {
		return fmt.Errorf("read the token graph: %w", err)
	}
	if len(rows) == 0 {
		return nil
	}
	quads, err := s.values(ctx, tx, rows, PosAll)
	if err != nil {
		return err
	}
	toks, used := tokenrec.FromStatements(quads)
	for _, t := range toks {
		_, err := tx.Exec(ctx, `INSERT INTO credreg_tokens (`+tokenColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
			t.ID, t.Hash, t.Agency, t.Role, t.Created.UTC(), nullTime(t.Expires), nullTime(t.Revoked))
		if err != nil {
			return fmt.Errorf("move token %s: %w", t.ID, err)
		}
	}
	terms := map[string]encoded{}
	remove := make([][4]string, len(used))
	for j, q := range used {
		for i, v := range [4]quad.Value{q.Subject, q.Predicate, q.Object, q.Label} {
			e, err := encode(v)
			if err != nil {
				return fmt.Errorf("statement %v: %w", q, err)
			}
			terms[e.key] = e
			remove[j][i] = e.key
		}
	}
	if _, err := s.apply(ctx, tx, terms, remove, nil); err != nil {
		return fmt.Errorf("remove the token statements: %w", err)
	}
	s.log.Info("moved the tokens out of the token graph", "tokens", len(toks), "statements", len(used), "layout", "credreg-pg 3")
	return nil
}
