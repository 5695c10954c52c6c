// Package quadstore is credreg's cayley quad store (graph.QuadStore) on
// Badger v4, registered with cayley as "credreg-badger" (Name). It replaces
// cayley's generic key-value layout (hidalgo flat KV through
// registry/badgerkv): terms are dictionary-encoded to fixed-width ids,
// every pattern of bound positions is one prefix scan, statements are
// written without reading them first where the ids prove them new, and
// exact counts come from counters kept in the same transactions.
//
// # Layout, version 5
//
// All integers are 8-byte big-endian uint64. Ids number terms from 1 and
// are never reused; id 0 stands for the default graph in the G position.
//
//	key                          value             what
//	"mlayout"                    "credreg-quadstore 5"  layout version; Open refuses any other value
//	                                               but 1 to 4 (upgraded in place), and Badger
//	                                               data without this key
//	"mcounted"                   graph list        the counted graphs: uvarint length and encoded
//	                                               term each, sorted (length 0: the default graph);
//	                                               "rebuilding" and the graphs being moved
//	                                               between side and ordinary indexes, while
//	                                               their counters are counted
//	"mnextid"                    id                next term id to allocate
//	"mjournal"                   parts, SHA-256    header of the journal of an atomic write too
//	                                               big for one transaction (see below)
//	"mjournal/" n                bytes             part n of that journal's deltas
//	"cq"                         count             statements in the store
//	"cn"                         count             terms in the dictionary (= nodes)
//	"cp" id                      count             statements with predicate id (absent when 0)
//	"cg" g                       count             statements in counted graph g (absent when 0)
//	"cx" g p                     count             statements in counted graph g with predicate p
//	"co" o                       count             statements with IRI object o (absent when 0)
//	"cw" p o                     count             statements with predicate p and IRI object o
//	"cj" g o                     count             statements in counted graph g with IRI object o
//	"ck" g p o                   count             the same with predicate p
//	"t" term                     id                dictionary, term → id (term ≤ 256 bytes encoded)
//	"h" sha256(term)             id                dictionary, term → id (longer terms)
//	"n" id                       term              dictionary, id → term
//	"S" s p o g                  (empty)           index SPOG, every statement
//	"P" p o s g                  (empty)           index POSG, statements of ordinary graphs
//	"O" o s p g                  (empty)           index OSPG, statements of ordinary graphs
//	"G" g s p o                  (empty)           index GSPO, every statement
//	"R" o g s p                  (empty)           index OGSP, statements of side graphs
//	"k" token id                 token (JSON)      a registry write token (version 3), see below
//
// A term is encoded as one kind byte and a payload: 'I' IRI, 'B' blank node,
// 'S' plain string (UTF-8 bytes); 'L' language string and 'T' typed string
// (uvarint length of the language or datatype IRI, it, then the lexical
// value); 'i' integer (int64 bits), 'f' float (IEEE 754 bits), 'b' boolean
// (one byte), 't' time (Unix seconds as int64 bits, then nanoseconds as a
// 4-byte big-endian uint32; read back in UTC).
//
// # Indexes
//
// A statement of an ordinary graph has a key in SPOG, POSG, OSPG and
// GSPO; a statement of a side graph (a counted graph, below: the
// registry's bookkeeping) has one in SPOG, GSPO and OGSP. That is four or
// three 33-byte keys with empty values, plus two dictionary entries per
// term it introduces. Layout 4 gave every statement six keys (PGOS and
// OGSP too); at an import's rate of writing, Badger's memtable insertions
// were most of the cost, and the bookkeeping, 38% of the statements, is
// never looked up by predicate or object outside its own graph. A
// pattern is served by:
//
//	bound                       segments
//	S (with P, O)               SPOG from S (O without P: filtered)
//	G (with S, P, O)            GSPO from G, S (P, O without S: filtered);
//	                            a side graph with O and no S: OGSP from O, G
//	nothing                     SPOG; GSPO when graphs are excluded
//	P, O or P O                 POSG or OSPG (the ordinary graphs), then the
//	                            side graphs not excluded: OGSP from O
//	                            (excluded graphs passed by a seek), or for P
//	                            alone GSPO from each side graph whose "cx"
//	                            counter of P is not 0 (filtered)
//
// A pattern that leaves out every side graph (the registry's published
// view) is one segment, its bookkeeping never read; the records' graphs
// are small, so their filtered scans are short. Version 5 is version 4
// without PGOS, without the ordinary graphs' OGSP keys and without the
// side graphs' POSG and OSPG keys: Open upgrades a writable version 4
// store (and older ones through it) in place, deleting those keys and
// writing the side graphs' OGSP keys from GSPO, then sets "mlayout"; each
// step is idempotent, so an upgrade cut short is redone by the next Open.
//
// # Counted graphs, which are the side graphs
//
// A few graphs named at Open (Options.CountedGraphs; the registry's
// bookkeeping graphs) are side graphs, indexed as above, and are also
// counted per graph ("cg") and per graph and predicate ("cx"), in the
// same transactions as the statements. With them
// Count answers "every statement, or a predicate's, outside those graphs"
// (Pattern.Except) from counters: "cq" or "cp" minus theirs. They are
// counted only for the named graphs: counting every graph would cost a key
// per graph and predicate (3.8 million at 100k credentials) and a counter
// write per record and predicate. The set is stored in "mcounted"; Open
// with another set drops every "cg" and "cx" key and counts the new set's
// graphs (one GSPO prefix scan each), moves the statements of the graphs
// that enter or leave the set to their new indexes (one GSPO prefix scan
// each), and a nil set keeps the stored one.
// Version 2 is version 1 with these keys: Open upgrades a writable version
// 1 store in place (it sets "mlayout" and counts the set); a version 1
// reader would write without keeping them, so version 2 is refused by it.
//
// # Object counters
//
// Statements whose object is an IRI are also counted by object ("co")
// and by predicate and object ("cw"), and, in counted graphs, by graph
// and object ("cj") and by graph, predicate and object ("ck"), in the
// same transactions as the statements: each transaction writes the
// counters it changes once (aggregated over its deltas), reading a
// counter's old value from a bounded cache, or not at all for an object
// allocated in the same transaction (it has none yet), else with a point
// read. Count of an IRI object, alone or with a predicate, with Except
// among the counted graphs, is then "co" or "cw" minus the excluded
// graphs' "cj" or "ck" (a handful of point reads), however many
// statements match; an IRI object in a counted graph reads "cj" or "ck".
// Literal and blank-node objects are not counted: such a term is mostly
// the object of one statement or a few, so its counters would cost keys
// for every statement and save nothing; Count counts their keys (one
// prefix scan, as before). A present "co" key is what tells Count that an
// object is counted. Version 4 is version 3 with these keys: Open
// upgrades a writable version 3 store in place (and 2 and 1 through it):
// it deletes any object counter, counts them in one pass over the
// dictionary (which ids are IRIs) and one over OSPG's keys, then sets
// "mlayout"; a crash before that leaves version 3, and
// the next Open starts again. A version 3 reader would write without
// keeping them, so version 4 is refused by it.
//
// # Tokens
//
// The registry's write tokens live in a keyspace of their own, apart from
// the statements: one "k" key per token, its id (12 hex digits) after the
// prefix, its value the token as JSON (registry/internal/tokenrec: id,
// hash of the secret, agency, role, created, expires and revoked times).
// Authenticating a request is one point read (Token). PutToken and
// RevokeToken are conditional (a taken id, a revoked token: nothing is
// written) under the writers' mutex. Version 2 kept tokens as statements
// of the graph urn:credreg:graph:tokens: Open upgrades a writable version
// 2 store (and version 1 through 2) in place by counting the object
// counters, writing the tokens read from those statements, removing the
// statements, then setting "mlayout"; each step is idempotent, so an
// upgrade cut short by a crash is completed by the next Open. A version 2
// reader would not see the tokens, so version 3 is refused by it.
//
// # Excluded graphs
//
// Pattern.Except leaves graphs out of a pattern that binds none. An
// excluded side graph is not in POSG and OSPG at all, and in GSPO and OGSP
// its statements are one key range, passed by one seek, never read. Other
// patterns (with a subject) read the excluded statements and drop them,
// as do POSG and OSPG for an excluded ordinary graph. Match's cursor is a
// key of the segment it stopped in, which its prefix names.
//
// # Dictionary and nodes
//
// The dictionary holds exactly the terms some statement uses: a delete
// checks each term of the deleted statements (the predicate by its counter,
// others by a seek in SPOG, OSPG, OGSP and GSPO) and removes the
// unused ones in the same transaction. NodesAllIterator scans "n" and the
// node count is "cn". Term ids are cached in memory (Options.TermCache);
// only the writer fills that cache, after a commit, and a removed term
// leaves it at the same commit, so a cached id is never stale. Decoded
// terms are cached by id; ids are never reused, so those never go stale.
//
// A writable store also keeps a Bloom filter of the dictionary's keys in
// memory (termfilter.go), built in the background at Open and rebuilt
// larger when outgrown: a term it says is absent is not looked up in
// Badger, which answers a miss only after searching every memtable and
// table. It has no false negatives because every new term key is added
// before its write commits. Nothing of it is stored.
//
// # Writes
//
// One writer at a time (a mutex; Badger's lock keeps other processes out).
// Adding a statement looks up the ids of its terms (cache, then a point
// read) and allocates ids for new terms. A statement with a term allocated
// in the same transaction cannot exist yet and is written blind; otherwise
// one point read of its SPOG key decides whether it is a duplicate, which
// the exact counters need. A statement's index keys are those of its
// graph's kind (side or ordinary). Deletes read the ids and the SPOG key. The
// counters and the next id are written once per transaction. Transactions
// hold at most Options.BatchSize deltas and are split before they reach
// 90% of Badger's entry-count and size limits, so no call fails with "Txn
// is too big". See QuadStore.ApplyDeltas for IgnoreDup/IgnoreMissing and
// atomicity. Badger's SyncWrites is off; ApplyDeltas fsyncs once after its
// last transaction unless Options.NoSync.
//
// An atomic write (ApplyDeltasAtomic, Replace) that does not fit one
// transaction is checked whole, written first as a journal ("mjournal/"
// parts of at most 128 KiB, kept in the LSM tree, then the "mjournal"
// header with their SHA-256; synced), then in as many transactions as it
// needs while no reader starts a transaction, and the journal is deleted.
// Open finishes a journal a crash left by writing its deltas again,
// skipping what is already done, which is idempotent; parts without a
// header are dropped. So the memtable's size, which bounds a transaction,
// does not bound a record or a batch: it is only how much is buffered.
//
// # Reads
//
// QuadIterator, QuadsAllIterator and the scan that OptimizeShape makes of
// several fixed quad filters are the segments above (planned in a
// snapshot of their own, read in one taken at the first Next). Sizes are exact from counters for
// all statements and for a bound predicate, exact for sets of up to 1000
// statements (counted), exact from counters for an IRI object alone or
// with a predicate, and estimated from Badger's table sizes beyond.
// Match pages through any pattern with a resumable cursor (the last index
// key returned); Skip passes n matches reading keys only and returns the
// cursor Match would (for a page addressed by number); Count is exact,
// from counters (all statements, a predicate, an IRI object alone or with
// a predicate, a counted graph alone or with either or both, and those
// minus counted graphs excluded) or by counting keys.
package quadstore
