package quadstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/cayleygraph/quad"
	"github.com/dgraph-io/badger/v4"

	"credreg/registry/internal/tokenrec"
)

// Errors of the token keyspace, for errors.Is.
var (
	// ErrNoToken: no token has that id.
	ErrNoToken = errors.New("quadstore: no such token")
	// ErrTokenExists: PutToken of an id that is taken.
	ErrTokenExists = errors.New("quadstore: a token has that id")
	// ErrTokenRevoked: RevokeToken of a revoked token.
	ErrTokenRevoked = errors.New("quadstore: the token is revoked")
)

// pfxToken leads the keys of the token keyspace: "k" and the token's id,
// whose value is the token (tokenrec.Marshal). No statement, term or
// counter key starts with it.
const pfxToken = 'k'

func tokenKey(id string) []byte { return append([]byte{pfxToken}, id...) }

// PutToken stores a new token; an id that is taken is ErrTokenExists and
// writes nothing. The commit is made durable by Sync (or at once without
// Options.NoSync).
func (qs *QuadStore) PutToken(t tokenrec.Token) error {
	if qs.readOnly {
		return ErrReadOnly
	}
	if t.ID == "" {
		return errors.New("quadstore: a token needs an id")
	}
	val, err := tokenrec.Marshal(t)
	if err != nil {
		return err
	}
	qs.wmu.Lock()
	defer qs.wmu.Unlock()
	err = qs.db.Update(func(txn *badger.Txn) error {
		if _, err := txn.Get(tokenKey(t.ID)); err == nil {
			return fmt.Errorf("%w: %s", ErrTokenExists, t.ID)
		} else if !errors.Is(err, badger.ErrKeyNotFound) {
			return err
		}
		return txn.Set(tokenKey(t.ID), val)
	})
	if err != nil {
		return fmt.Errorf("quadstore: put token: %w", err)
	}
	return qs.sync()
}

// Token reads the token id (one point read), or ErrNoToken.
func (qs *QuadStore) Token(id string) (tokenrec.Token, error) {
	var t tokenrec.Token
	err := qs.db.View(func(txn *badger.Txn) error {
		var err error
		t, err = getToken(txn, id)
		return err
	})
	return t, err
}

func getToken(txn *badger.Txn, id string) (tokenrec.Token, error) {
	item, err := txn.Get(tokenKey(id))
	if errors.Is(err, badger.ErrKeyNotFound) {
		return tokenrec.Token{}, fmt.Errorf("%w: %s", ErrNoToken, id)
	}
	if err != nil {
		return tokenrec.Token{}, fmt.Errorf("quadstore: read token %s: %w", id, err)
	}
	var t tokenrec.Token
	err = item.Value(func(v []byte) error {
		t, err = tokenrec.Unmarshal(v)
		return err
	})
	return t, err
}

// Tokens reads every token, in id order, from one snapshot.
func (qs *QuadStore) Tokens() ([]tokenrec.Token, error) {
	var out []tokenrec.Token
	err := qs.db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{PrefetchValues: true, PrefetchSize: 100, Prefix: []byte{pfxToken}})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			err := it.Item().Value(func(v []byte) error {
				t, err := tokenrec.Unmarshal(v)
				out = append(out, t)
				return err
			})
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("quadstore: list tokens: %w", err)
	}
	return out, nil
}

// RevokeToken sets the revocation time of the token id to at, unless it
// is revoked already (ErrTokenRevoked, with the token as stored) or does
// not exist (ErrNoToken). It returns the token as it is now stored.
func (qs *QuadStore) RevokeToken(id string, at time.Time) (tokenrec.Token, error) {
	if qs.readOnly {
		return tokenrec.Token{}, ErrReadOnly
	}
	qs.wmu.Lock()
	defer qs.wmu.Unlock()
	var t tokenrec.Token
	err := qs.db.Update(func(txn *badger.Txn) error {
		var err error
		if t, err = getToken(txn, id); err != nil {
			return err
		}
		if !t.Revoked.IsZero() {
			return fmt.Errorf("%w: %s", ErrTokenRevoked, id)
		}
		t.Revoked = at.UTC()
		val, err := tokenrec.Marshal(t)
		if err != nil {
			return err
		}
		return txn.Set(tokenKey(id), val)
	})
	if err != nil {
		return t, err
	}
	return t, qs.sync()
}

// upgradeTokens moves the tokens an older credreg kept as statements of
// tokenrec.Graph into the token keyspace (layout 2 to 3); Open sets the
// layout key afterwards. Each step is idempotent, so a crash in between
// is completed by the next Open: first the tokens are written
// (overwriting any that an interrupted upgrade wrote), then their
// statements removed (one transaction).
func (qs *QuadStore) upgradeTokens() error {
	var quads []quad.Quad
	err := qs.Scan(context.Background(), Pattern{Label: quad.IRI(tokenrec.Graph)}, 0, func(q quad.Quad) error {
		quads = append(quads, q)
		return nil
	})
	if err != nil {
		return fmt.Errorf("quadstore: upgrade %s to layout %d: read the token graph: %w", qs.dir, LayoutVersion, err)
	}
	toks, used := tokenrec.FromStatements(quads)
	if len(toks) > 0 {
		err := qs.db.Update(func(txn *badger.Txn) error {
			for _, t := range toks {
				val, err := tokenrec.Marshal(t)
				if err != nil {
					return err
				}
				if err := txn.Set(tokenKey(t.ID), val); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("quadstore: upgrade %s to layout %d: write the tokens: %w", qs.dir, LayoutVersion, err)
		}
	}
	if len(used) > 0 {
		if err := qs.Replace(used, nil); err != nil {
			return fmt.Errorf("quadstore: upgrade %s to layout %d: remove the token statements: %w", qs.dir, LayoutVersion, err)
		}
	}
	if len(toks) > 0 {
		qs.log.Info("moved the tokens out of the token graph", "store", qs.dir, "tokens", len(toks), "statements", len(used), "layout", string(layoutValue))
	}
	return nil
}
