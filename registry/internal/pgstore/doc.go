// Package pgstore is credreg's statement store on PostgreSQL (15 and
// later), the storage port's second backend (registry.Backend, through
// registry's pgBackend): several credreg servers share one database.
//
// It is SQL of credreg's own, on github.com/jackc/pgx/v5, not cayley's
// SQL backend (graph/sql/postgres), because cayley's layout cannot meet
// the port's contract:
//
//   - no index leads with the graph (label_hash): cayley indexes (s,p,o),
//     (o,p,s), (p,o,s), (o,s,p) and a unique (s,p,o,label), so reading a
//     record, Scan{Graph: iri}, the registry's most frequent read, is a
//     sequential scan of the whole quads table, and so are P+G (the
//     change-log head) and O+G;
//   - no resumable page: its iterators have no cursor (the horizon column
//     is not in any pattern's index), so Match could only skip rows;
//   - no exact counts beyond COUNT(*) of a whole pattern, and its sizes
//     of big sets are estimates (pg_class.reltuples);
//   - no one-snapshot read: every iterator runs its own query outside any
//     transaction;
//   - every statement is four 20-byte SHA-1 hashes plus a horizon and a
//     timestamp, and every term a row with a reference count that each
//     write updates (the counts of rdf:type and the change-log predicates
//     are hot rows every writer takes).
//
// Measured on credreg's reference data (98,525 statements, the first
// start of credreg serve), copied into cayley's tables and indexes
// (graph/sql database.go) beside this schema: cayley's layout takes 91 MB
// (970 bytes a statement) against 55 MB (582), and reading one record
// (graph = IRI) is a sequential scan of all statements, 25 ms here and
// linear in the store (about 1.8 s at 7M statements), against an
// index-only scan of 0.08 ms.
//
// # Schema, version 3
//
// The schema lives in the connection's search_path (normally public); all
// names start with credreg_.
//
//	credreg_schema_version(version integer PK, layout text, applied timestamptz)
//	    one row per version applied; layout "credreg-pg N"
//	credreg_terms(id bigint identity PK, k bytea UNIQUE, v bytea NULL)
//	    the term dictionary: k is the encoded term, or for a term of more
//	    than 256 encoded bytes 0xFF and its SHA-256, with the encoding in v
//	    (a btree entry must stay under ~2.7 KB, and short keys keep the
//	    unique index small)
//	credreg_quads(s, p, o, g bigint NOT NULL, PK (s, p, o, g))
//	    one row per statement, as term ids; g = 0 is the default graph
//	    (no term has id 0), so the primary key needs no NULL handling
//	    indexes: posg (p,o,s,g), ospg (o,s,p,g), gspo (g,s,p,o),
//	    pgos (p,g,o,s), ogsp (o,g,s,p)
//	credreg_pcounts(p bigint PK, n bigint)
//	    statements per predicate, kept in Apply's transaction
//	credreg_gpcounts(g, p bigint, n bigint, PK (g, p))   (version 2)
//	    statements per graph and predicate, kept in Apply's transaction;
//	    version 2's migration counts them from the statements
//	credreg_tokens(id text PK, hash, agency, role text NOT NULL,
//	    created timestamptz NOT NULL, expires, revoked timestamptz NULL)   (version 3)
//	    the registry's write tokens, apart from the statements (see Tokens)
//
// A term is encoded as in credreg's Badger quad store: one kind byte and a
// payload: 'I' IRI, 'B' blank node, 'S' plain string (UTF-8); 'L' language
// string and 'T' typed string (uvarint length of the language or datatype
// IRI, it, then the lexical value); 'i' integer (int64 bits, big-endian),
// 'f' float (IEEE 754 bits), 'b' boolean (one byte), 't' time (Unix
// seconds as int64 bits, then nanoseconds as a uint32; read back in UTC).
//
// Six column orders are the fewest that make every set of bound positions
// lead one index (each of the six pairs of positions must lead one), so
// every pattern is one index range and its pages follow that index:
//
//	bound  index   bound  index   bound  index
//	—      spog    S P    spog    S P O  spog
//	S      spog    S O    ospg    S P G  gspo
//	P      posg    S G    gspo    S O G  ogsp
//	O      ospg    P O    posg    P O G  pgos
//	G      gspo    P G    pgos    S P O G spog
//	               O G    ogsp
//
// Each index costs about 70-80 bytes a statement as Apply fills it (the
// primary key 50, the table 60): on the reference data the six take 41 MB
// of the 55. Fewer would leave some patterns (say S+G or O+G) as an index
// range on one position plus a filter; the fragments interface serves any
// pattern, so v1 keeps all six.
//
// # Counts
//
// Count with no position bound sums credreg_pcounts (one row per
// predicate: some hundred rows), and with only the predicate bound reads
// one row. A graph, or a graph's predicate, reads credreg_gpcounts, and so
// does leaving a few graphs out (Pattern.Except: the registry's
// bookkeeping graphs, for fragments and the dataset description) with no
// position or only the predicate bound: the total less those graphs'
// counts. Every other pattern counts one index range (index-only once
// autovacuum has set the visibility map). At 100,000 synthetic
// credentials (8.0M statements, BenchmarkAtScale): Count{} 0.19 ms,
// Count{P: rdf:type} 0.07 ms, where COUNT(*) of the table takes 710 ms and
// of rdf:type's 100k statements 22 ms; Count{P: sequence, G: changes}
// (the change-log head, 100k entries, read when a store opens) 21 ms.
//
// # Tokens
//
// The registry's write tokens are rows of credreg_tokens, not statements:
// authenticating a request is one primary-key lookup (Token), read from
// the database every time, so a token made or revoked by one server
// works, or stops working, on every server sharing the database at once.
// PutToken inserts only a new id (ON CONFLICT DO NOTHING) and
// RevokeToken is one conditional UPDATE (revoked IS NULL). Times are kept
// to the microsecond (timestamptz). Versions 1 and 2 kept the tokens as
// statements of the graph urn:credreg:graph:tokens; version 3's migration
// moves them, in its transaction: it decodes that graph's statements,
// inserts the tokens and removes their statements with their counts.
//
// # Versions and migration
//
// Open takes a transaction-level advisory lock (servers starting together
// wait for one another), reads the highest version in
// credreg_schema_version, applies the migrations from there to
// SchemaVersion in the same transaction (SQL statements, and for version
// 3 a step in Go), and records each. A database
// with a newer version than this package knows is refused (ErrSchemaTooNew).
// Migrations never drop data.
//
// # Writes
//
// Apply is one READ COMMITTED transaction: it looks up the ids of the
// terms (an in-memory cache, then one query), inserts the missing ones
// (INSERT ... ON CONFLICT DO NOTHING RETURNING, then reads back the ones
// another writer inserted first), deletes the statements to remove with
// one DELETE ... USING unnest(...) and checks that it deleted every one,
// inserts the statements to add with one INSERT ... ON CONFLICT DO NOTHING
// and checks that it inserted every one, and adds the changes of the
// predicate counts. A shortfall is ErrConflict and the transaction rolls
// back. Row locks make the checks hold against concurrent writers: a
// second writer adding the same change-log entry waits for the first and
// then finds it stored. PostgreSQL's deadlock and serialization aborts are
// ErrConflict too (rows are written in id order, so deadlocks are rare).
// Sync does nothing: a commit returns once it is durable
// (synchronous_commit, on by default; Open warns when it is off).
//
// Terms are never deleted (garbage collection is deferred): the dictionary
// keeps the terms of removed statements. That keeps ids and cached ids
// valid forever and spares Apply a use check of every term it removes
// (racing writers that reuse the term); the cost is dead terms, mostly
// content hashes of replaced record versions.
//
// # Reads
//
// Match is one query: the bound columns' equality, the free columns
// (in the index's order) after the cursor's as a row comparison, ORDER BY
// the free columns, LIMIT n+1. The cursor is the last statement's four ids,
// so it stays valid across writes. Count reads credreg_pcounts with no
// position or only the predicate bound and counts one index range
// otherwise. Scan reads one such page of 2000 statements; one query is one
// snapshot, so a shorter scan (a record) ends there. A longer one starts
// again in one REPEATABLE READ, READ ONLY transaction (one snapshot) as a
// series of pages, never holding more than a page in memory. Terms are
// read by id for the positions wanted, through a cache (ids are never
// reused, so cached terms never go stale). At 8.0M statements: the first
// page of 100 statements of rdf:type 0.50 ms, a page deep inside it 0.33
// ms, one record (Scan{Graph}) 0.31 ms.
package pgstore
