// Checks, with jsonld.js, how much of a Credential Engine CTDL document
// comes back from a running credreg after "credreg import --format ctdl":
// the facts (RDF statements) of each source document against the facts of
// credreg's CTDL exports of the resources it describes.
//
// Usage: node ctdl-roundtrip.mjs --server URL --base BASE --contexts DIR
//          [--report-dir DIR] [--save DIR] [--verbose] FILE...
//
//   --server URL      where credreg listens (http://127.0.0.1:PORT)
//   --base BASE       the registry's base IRI (its "credreg serving BASE" line)
//   --contexts DIR    holds ctdl-context.json and ctdlasn-context.json, served
//                     for the CTDL and CTDL-ASN context IRIs; no other context
//                     is loaded and nothing is fetched but from --server
//   --report-dir DIR  the import reports, DIR/<name>.report.json for FILE
//                     <name>.json (credreg import --report); without it a file
//                     passes when all of it comes back
//   --save DIR        writes each CTDL export fetched: GET /resources/{ctid}
//                     as DIR/<ctid>.json, GET /graph/{ctid} as DIR/<ctid>.graph.json
//                     (an answer without the CTDL @context counts as nothing
//                     back and is not saved)
//   --verbose         lists up to 10 missing and 10 extra facts per file
//
// A FILE holds a CTDL document, a Credential Engine registry envelope (its
// decoded_resource, or the payload of its JWT resource), or a JSON array of
// either. For every CTID among the subjects of its documents the tool
// fetches GET /resources/{ctid}?profile=ctdl, and for the documents'
// top-level nodes also GET /graph/{ctid}?profile=ctdl.
//
// Both sides become sets of facts, graph names ignored: source IRIs whose
// last path segment is a CTID map to BASE/resources/{ctid} (fragment kept),
// other source IRIs to the credreg IRI that an export states owl:sameAs
// them; owl:sameAs facts of the exports count only where the source states
// them; blank nodes are named by a hash of their outgoing statements
// (nested blank nodes hashed recursively), so equal nested structures
// match; language tags and CTID literals compare case-insensitively and
// numeric literals by value (within their datatype).
//
// Prints per file "FILE whole|partial|rejected source=N back=M (P%) extra=E"
// (the status from the import report), indented notes, a "total:" line and
// the closing "N passed, M failed" line. A file passes when it imported
// whole and all its facts came back (facts about a resource that a later
// FILE describes as a top-level resource of its own are not counted
// against it: the later, whole record replaced what this file said of it
// in passing; they are shown as "replaced="), or, when its name contains "-error-",
// when it imported in part with problems reported. Exits 1 when any fails,
// 2 on bad usage.
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync, mkdirSync, existsSync } from 'node:fs';
import { basename, join } from 'node:path';
import jsonld from 'jsonld';

const OWL_SAMEAS = 'http://www.w3.org/2002/07/owl#sameAs';
const CETERMS_CTID = 'https://purl.org/ctdl/terms/ctid';
const XSD_STRING = 'http://www.w3.org/2001/XMLSchema#string';
const RDF_LANGSTRING = 'http://www.w3.org/1999/02/22-rdf-syntax-ns#langString';
const CTDL_CONTEXT = 'https://credreg.net/ctdl/schema/context/json';
const CTID = /^ce-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const CTID_ANY = /ce-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i;
const SHOW = 10;
const CONCURRENCY = 8;

function usage(msg) {
  if (msg) console.error(`ctdl-roundtrip: ${msg}`);
  console.error('usage: node ctdl-roundtrip.mjs --server URL --base BASE --contexts DIR [--report-dir DIR] [--save DIR] [--verbose] FILE...');
  process.exit(2);
}

const opts = { verbose: false, files: [] };
{
  const argv = process.argv.slice(2);
  const valued = { '--server': 'server', '--base': 'base', '--contexts': 'contexts', '--report-dir': 'reportDir', '--save': 'save' };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const eq = a.indexOf('=');
    const name = a.startsWith('--') && eq > 0 ? a.slice(0, eq) : a;
    if (valued[name]) {
      const v = eq > 0 && a.startsWith('--') ? a.slice(eq + 1) : argv[++i];
      if (v === undefined || v === '') usage(`${name} needs a value`);
      opts[valued[name]] = v;
    } else if (a === '--verbose' || a === '-v') {
      opts.verbose = true;
    } else if (a === '--help' || a === '-h') {
      usage();
    } else if (a === '--') {
      opts.files.push(...argv.slice(i + 1));
      break;
    } else if (a.startsWith('--')) {
      usage(`unknown flag ${a}`);
    } else {
      opts.files.push(a);
    }
  }
  for (const f of ['server', 'base', 'contexts']) if (!opts[f]) usage(`--${f} is required`);
  if (opts.files.length === 0) usage('name at least one FILE');
  opts.server = opts.server.replace(/\/+$/, '');
  opts.base = opts.base.replace(/\/+$/, '');
  if (opts.save) mkdirSync(opts.save, { recursive: true });
}

// ---- contexts: only the two CTDL ones, from --contexts, never fetched.
const contextFiles = new Map();
for (const [name, file] of [['ctdl', 'ctdl-context.json'], ['ctdlasn', 'ctdlasn-context.json']]) {
  const path = join(opts.contexts, file);
  let doc;
  try {
    doc = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    usage(`--contexts: ${path}: ${err.message}`);
  }
  for (const scheme of ['https', 'http']) contextFiles.set(`${scheme}://credreg.net/${name}/schema/context/json`, doc);
}
async function documentLoader(url) {
  const doc = contextFiles.get(url);
  if (!doc) throw new Error(`refused to load ${url}: only the CTDL and CTDL-ASN contexts are served (offline)`);
  return { contextUrl: null, documentUrl: url, document: doc };
}

// ---- terms and facts
// A term is {t: 'iri'|'blank'|'literal', v, dt?, lang?}.
function ntEscape(s, iri) {
  if (iri) return s.replace(/[\u0000-\u0020<>"{}|^`\\]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0').toUpperCase()}`);
  return s.replace(/[\\"\n\r\t\b\f]/g, (c) => ({ '\\': '\\\\', '"': '\\"', '\n': '\\n', '\r': '\\r', '\t': '\\t', '\b': '\\b', '\f': '\\f' })[c]);
}
function nt(term) {
  if (term.t === 'iri') return `<${ntEscape(term.v, true)}>`;
  if (term.t === 'blank') return term.v;
  let s = `"${ntEscape(term.v)}"`;
  if (term.lang) s += `@${term.lang}`;
  else if (term.dt && term.dt !== XSD_STRING) s += `^^<${ntEscape(term.dt, true)}>`;
  return s;
}
// Numeric literals compare by value within their datatype: jsonld.js writes
// a JSON number 45.5 under an xsd:decimal coercion as "4.55E1", where an
// export may carry the lexical "45.5".
const XSD = 'http://www.w3.org/2001/XMLSchema#';
const INTEGER_TYPES = new Set(['integer', 'int', 'long', 'short', 'byte', 'nonNegativeInteger', 'positiveInteger', 'nonPositiveInteger',
  'negativeInteger', 'unsignedLong', 'unsignedInt', 'unsignedShort', 'unsignedByte'].map((t) => XSD + t));
const REAL_TYPES = new Set(['decimal', 'double', 'float'].map((t) => XSD + t));
function numericValue(v, dt) {
  const s = v.trim();
  if (INTEGER_TYPES.has(dt) && /^[+-]?\d+$/.test(s)) return BigInt(s).toString();
  if (REAL_TYPES.has(dt) && /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(s) && Number.isFinite(Number(s))) return String(Number(s));
  return v;
}
function fromRDFJS(x, prefix) {
  if (x.termType === 'NamedNode') return { t: 'iri', v: x.value };
  if (x.termType === 'BlankNode') return { t: 'blank', v: `_:${prefix}.${x.value.replace(/^_:/, '')}` };
  const lit = { t: 'literal', v: x.value };
  if (x.language) lit.lang = x.language.toLowerCase(); // BCP 47 tags are case-insensitive
  else if (x.datatype && x.datatype.value !== RDF_LANGSTRING) lit.dt = x.datatype.value;
  if (lit.dt) lit.v = numericValue(lit.v, lit.dt);
  return lit;
}

// ctidOf returns the CTID (lower-case) that is the last path segment of
// iri, and the IRI's fragment, or null.
function ctidOf(iri) {
  let u;
  try {
    u = new URL(iri);
  } catch {
    return null;
  }
  let seg = u.pathname.split('/').pop() || '';
  try {
    seg = decodeURIComponent(seg);
  } catch { /* a malformed %-escape: keep the segment as it is */ }
  if (!CTID.test(seg)) return null;
  return { ctid: seg.toLowerCase(), fragment: u.hash };
}
function credregIRI(iri) {
  const c = ctidOf(iri);
  return c ? `${opts.base}/resources/${c.ctid}${c.fragment}` : iri;
}

// parse runs jsonld.js over one JSON-LD document: its expanded form, its
// statements (blank nodes labelled under prefix) and the warnings jsonld.js
// raised (dropped terms and the like).
async function parse(doc, prefix) {
  const warnings = new Map();
  const eventHandler = ({ event }) => {
    const key = `${event.code}${event.details?.property ? ` (${event.details.property})` : ''}`;
    warnings.set(key, (warnings.get(key) || 0) + 1);
  };
  const expanded = await jsonld.expand(doc, { documentLoader, eventHandler });
  const quads = await jsonld.toRDF(expanded, { skipExpansion: true, documentLoader, eventHandler });
  const statements = quads.map((q) => ({ s: fromRDFJS(q.subject, prefix), p: q.predicate.value, o: fromRDFJS(q.object, prefix) }));
  return { expanded, statements, warnings };
}

// topNodes are the expanded document's top-level node objects (a named
// graph's nodes count as top-level).
function topNodes(expanded) {
  const out = [];
  for (const e of expanded) {
    if (e['@graph']) {
      out.push(...e['@graph']);
      if (Object.keys(e).some((k) => k !== '@id' && k !== '@graph')) out.push(e);
    } else {
      out.push(e);
    }
  }
  return out;
}
function ctidsOfNode(n) {
  const out = [];
  if (typeof n['@id'] === 'string') {
    const c = ctidOf(n['@id']);
    if (c) out.push(c.ctid);
  }
  for (const v of n[CETERMS_CTID] || []) {
    if (typeof v['@value'] === 'string' && CTID.test(v['@value'])) out.push(v['@value'].toLowerCase());
  }
  return out;
}

// lowerCTIDs makes ceterms:ctid literals compare case-insensitively, as
// credreg stores CTIDs in lower case.
function lowerCTIDs(st) {
  if (st.p === CETERMS_CTID && st.o.t === 'literal' && CTID.test(st.o.v)) st.o = { ...st.o, v: st.o.v.toLowerCase() };
  return st;
}

// factSet turns statements into a set of N-Triples lines, each blank node
// replaced by a signature of its content: a hash over its sorted outgoing
// (predicate, object) pairs, blank objects signed recursively, a cycle cut
// at the node met again.
function factSet(statements) {
  const out = new Map(); // blank label -> [[p, o]]
  for (const st of statements) {
    if (st.s.t !== 'blank') continue;
    if (!out.has(st.s.v)) out.set(st.s.v, []);
    out.get(st.s.v).push([st.p, st.o]);
  }
  const memo = new Map();
  const onPath = new Set();
  // sign returns the node's signature and whether it cut a cycle (such a
  // signature depends on where the walk entered the cycle: not memoized).
  const sign = (label) => {
    if (memo.has(label)) return { sig: memo.get(label), cut: false };
    if (onPath.has(label)) return { sig: '_:cycle', cut: true };
    onPath.add(label);
    let cut = false;
    const pairs = new Set();
    for (const [p, o] of out.get(label) || []) {
      let obj = nt(o);
      if (o.t === 'blank') {
        const r = sign(o.v);
        obj = r.sig;
        cut = cut || r.cut;
      }
      pairs.add(`<${p}> ${obj}`);
    }
    onPath.delete(label);
    const sig = `_:h${createHash('sha256').update([...pairs].sort().join('\n')).digest('hex').slice(0, 24)}`;
    if (!cut) memo.set(label, sig);
    return { sig, cut };
  };
  const term = (t) => (t.t === 'blank' ? sign(t.v).sig : nt(t));
  const facts = new Set();
  for (const st of statements) facts.add(`${term(st.s)} <${ntEscape(st.p, true)}> ${term(st.o)} .`);
  return facts;
}

// ---- sources
function unwrap(x, where, notes) {
  if (Array.isArray(x)) return x.flatMap((e, i) => unwrap(e, `${where}[${i}]`, notes));
  if (x === null || typeof x !== 'object') {
    notes.push(`${where}: not a JSON object, skipped`);
    return [];
  }
  if ('decoded_resource' in x) {
    let d = x.decoded_resource;
    if (typeof d === 'string') {
      try {
        d = JSON.parse(d);
      } catch (err) {
        notes.push(`${where}: decoded_resource is not JSON: ${err.message}`);
        return [];
      }
    }
    return unwrap(d, `${where}.decoded_resource`, notes);
  }
  if (typeof x.resource === 'string' && !('@context' in x) && !('@graph' in x)) {
    const parts = x.resource.split('.');
    if (parts.length !== 3) {
      notes.push(`${where}: resource is not a JWT`);
      return [];
    }
    try {
      return unwrap(JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8')), `${where}.resource`, notes);
    } catch (err) {
      notes.push(`${where}: the JWT resource's payload is not JSON: ${err.message}`);
      return [];
    }
  }
  return [{ doc: x, where }];
}

// ---- exports
const fetched = new Map(); // path -> Promise<{body?, error?}>, shared by files
function fetchExport(path) {
  if (!fetched.has(path)) {
    fetched.set(path, (async () => {
      try {
        const res = await fetch(opts.server + path, { headers: { Accept: 'application/ld+json' } });
        const body = await res.text();
        if (!res.ok) {
          let detail = '';
          try {
            detail = JSON.parse(body).detail || '';
          } catch { /* not a problem document */ }
          return { error: `HTTP ${res.status}${detail ? `: ${detail}` : ''}` };
        }
        return { body };
      } catch (err) {
        return { error: err.message };
      }
    })());
  }
  return fetched.get(path);
}
async function pool(items, n, fn) {
  const results = new Array(items.length);
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(n, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i], i);
    }
  }));
  return results;
}

// ---- reports
function readReport(file) {
  if (!opts.reportDir) return null;
  const name = basename(file);
  const stem = name.replace(/\.[^.]*$/, '');
  for (const candidate of [`${stem}.report.json`, `${name}.report.json`]) {
    const path = join(opts.reportDir, candidate);
    if (!existsSync(path)) continue;
    try {
      const j = JSON.parse(readFileSync(path, 'utf8'));
      const reps = Array.isArray(j.reports) ? j.reports : [j];
      const r = { units: 0, imported: 0, failed: 0, problems: [] };
      for (const x of reps) {
        if (!x) continue;
        r.units += x.units || 0;
        r.imported += x.imported || 0;
        r.failed += x.failed || 0;
        r.problems.push(...(x.problems || []));
        if (x.aborted) r.aborted = x.aborted;
      }
      return r;
    } catch (err) {
      return { error: `${path}: ${err.message}` };
    }
  }
  return { error: `no report ${join(opts.reportDir, `${stem}.report.json`)}` };
}
function problemText(p) {
  let s = p.file || '';
  if (p.row) s += `:${p.row}`;
  if (p.column) s += ` ${p.column}`;
  if (p.value) s += ` ${JSON.stringify(p.value).slice(0, 120)}`;
  return `${s}: ${p.message}`;
}

function percent(back, source) {
  if (source === 0) return '0%';
  if (back === source) return '100%';
  if (back === 0) return '0%';
  return `${(Math.floor((back / source) * 1000) / 10).toFixed(1)}%`;
}
// errText is an error's message, or that of its innermost cause (jsonld.js
// wraps a refused context in a generic "Dereferencing a URL" error).
function errText(err) {
  let e = err;
  while (e?.details?.cause) e = e.details.cause;
  if (e !== err && e.message) return `${e.message} (${err.message.split('.')[0]})`;
  return err.message;
}
function summarizeWarnings(warnings) {
  return [...warnings].map(([k, n]) => `${k} x${n}`).join(', ');
}

// ---- one file
async function check(file) {
  const notes = [];
  let srcStatements = [];
  const subjectCTIDs = new Set();
  const topCTIDs = new Set();
  const blankCTID = new Map(); // source blank label -> its CTID

  let raw;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8').replace(/^\uFEFF/, ''));
  } catch (err) {
    notes.push(`source: ${err.message}`);
  }
  const docs = raw === undefined ? [] : unwrap(raw, 'document', notes);
  for (const [k, { doc, where }] of docs.entries()) {
    let parsed;
    try {
      parsed = await parse(doc, `s${k}`);
    } catch (err) {
      notes.push(`source ${where}: jsonld.js: ${errText(err)}`);
      continue;
    }
    if (parsed.warnings.size > 0) notes.push(`source ${where}: jsonld.js dropped values: ${summarizeWarnings(parsed.warnings)}`);
    for (const n of topNodes(parsed.expanded)) for (const c of ctidsOfNode(n)) topCTIDs.add(c);
    for (const st of parsed.statements) {
      if (st.s.t === 'iri') {
        const c = ctidOf(st.s.v);
        if (c) subjectCTIDs.add(c.ctid);
      }
      if (st.p === CETERMS_CTID && st.o.t === 'literal' && CTID.test(st.o.v)) {
        subjectCTIDs.add(st.o.v.toLowerCase());
        if (st.s.t === 'blank') blankCTID.set(st.s.v, st.o.v.toLowerCase());
      }
    }
    srcStatements = srcStatements.concat(parsed.statements);
  }
  if (docs.length === 0 && raw !== undefined) notes.push('source: no CTDL document in the file');
  for (const c of topCTIDs) subjectCTIDs.add(c);

  // Fetch the exports.
  const paths = [...subjectCTIDs].sort().map((c) => ({ ctid: c, kind: 'resources', path: `/resources/${c}?profile=ctdl` }));
  for (const c of [...topCTIDs].sort()) paths.push({ ctid: c, kind: 'graph', path: `/graph/${c}?profile=ctdl` });
  const fetchErrors = [];
  const exportParsed = await pool(paths, CONCURRENCY, async ({ ctid, kind, path }, i) => {
    const r = await fetchExport(path);
    if (r.error) {
      fetchErrors.push(`GET ${path}: ${r.error}`);
      return [];
    }
    let doc;
    try {
      doc = JSON.parse(r.body);
    } catch (err) {
      fetchErrors.push(`GET ${path}: not JSON: ${err.message}`);
      return [];
    }
    const ctx = doc && doc['@context'];
    if (!(ctx === CTDL_CONTEXT || (Array.isArray(ctx) && ctx[0] === CTDL_CONTEXT))) {
      fetchErrors.push(`GET ${path}: not CTDL: its @context is ${JSON.stringify(ctx)?.slice(0, 200)}, not "${CTDL_CONTEXT}" (an array may follow it)`);
      return [];
    }
    if (opts.save) writeFileSync(join(opts.save, kind === 'graph' ? `${ctid}.graph.json` : `${ctid}.json`), r.body);
    try {
      const parsed = await parse(doc, `e${i}`);
      if (parsed.warnings.size > 0) notes.push(`GET ${path}: jsonld.js dropped values: ${summarizeWarnings(parsed.warnings)}`);
      return parsed.statements;
    } catch (err) {
      fetchErrors.push(`GET ${path}: jsonld.js: ${errText(err)}`);
      return [];
    }
  });
  if (fetchErrors.length > 0) {
    // Grouped by what went wrong, the CTIDs left out: one line per kind.
    const groups = new Map();
    for (const e of fetchErrors.sort()) {
      const key = e.replace(/ce-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi, '{ctid}');
      if (!groups.has(key)) groups.set(key, { n: 0, example: e.match(CTID_ANY)?.[0] });
      groups.get(key).n++;
    }
    notes.push(`${fetchErrors.length} of ${paths.length} exports brought nothing back:${[...groups].map(([key, g]) => `\n    ${g.n}x ${key}${g.example ? ` (e.g. ${g.example})` : ''}`).join('')}`);
  }
  let expStatements = exportParsed.flat().map(lowerCTIDs);

  // sourceIRI -> credreg IRI, from the exports' owl:sameAs statements.
  const sameAs = new Map();
  for (const st of expStatements) {
    if (st.p !== OWL_SAMEAS || st.s.t !== 'iri' || st.o.t !== 'iri' || st.s.v === st.o.v) continue;
    if (!sameAs.has(st.o.v)) sameAs.set(st.o.v, new Set());
    sameAs.get(st.o.v).add(st.s.v);
  }
  const ambiguous = [...sameAs].filter(([, v]) => v.size > 1);
  if (ambiguous.length > 0) notes.push(`${ambiguous.length} source IRIs are owl:sameAs several credreg IRIs, e.g. <${ambiguous[0][0]}>: ${[...ambiguous[0][1]].sort().join(' ')}`);
  const exportSubjects = new Set(expStatements.filter((st) => st.s.t === 'iri').map((st) => st.s.v));
  const mapIRI = (iri) => {
    const m = sameAs.get(iri) || sameAs.get(credregIRI(iri));
    return m ? [...m].sort()[0] : credregIRI(iri);
  };
  const mapTerm = (t, sameAsObject) => {
    if (t.t === 'iri') return { t: 'iri', v: sameAsObject ? t.v : mapIRI(t.v) };
    if (t.t === 'blank' && blankCTID.has(t.v)) {
      // A blank node with a CTID: credreg keeps it as the record of its CTID.
      const iri = `${opts.base}/resources/${blankCTID.get(t.v)}`;
      if (exportSubjects.has(iri)) return { t: 'iri', v: iri };
    }
    return t;
  };
  srcStatements = srcStatements.map((st) => lowerCTIDs({ s: mapTerm(st.s, false), p: st.p, o: mapTerm(st.o, st.p === OWL_SAMEAS) }));

  const source = factSet(srcStatements);
  const exported = factSet(expStatements);
  for (const f of exported) {
    if (f.includes(` <${OWL_SAMEAS}> `) && !source.has(f)) exported.delete(f);
  }
  const missing = [...source].filter((f) => !exported.has(f)).sort();
  const extra = [...exported].filter((f) => !source.has(f)).sort();
  return { notes, source: source.size, back: source.size - missing.length, missing, extra, topCTIDs };
}

// supersededFacts returns the missing facts that describe a resource a
// later file describes as a top-level resource of its own (so that the
// later, whole description replaced what this file said of it in passing),
// with the blank nodes those facts lead to.
function supersededFacts(missing, ctids) {
  const subjects = new Set([...ctids].map((c) => `<${opts.base}/resources/${c}>`));
  const out = new Set();
  for (let changed = true; changed; ) {
    changed = false;
    for (const f of missing) {
      if (out.has(f)) continue;
      const subject = f.slice(0, f.indexOf(' '));
      if (!subjects.has(subject)) continue;
      out.add(f);
      changed = true;
      const object = f.slice(0, -2).split(' ').pop();
      if (object.startsWith('_:')) subjects.add(object);
    }
  }
  return out;
}

// ---- main
const totals = { files: 0, whole: 0, partial: 0, rejected: 0, source: 0, back: 0 };
let passed = 0;
let failed = 0;
const results = [];
for (const file of opts.files) results.push(await check(file));
for (const [i, file] of opts.files.entries()) {
  totals.files++;
  const r = results[i];
  const later = new Set();
  for (const l of results.slice(i + 1)) for (const c of l.topCTIDs) if (!r.topCTIDs.has(c)) later.add(c);
  const superseded = supersededFacts(r.missing, later);
  r.missing = r.missing.filter((f) => !superseded.has(f));
  const rep = readReport(file);
  let status = 'unreported';
  if (rep && !rep.error) {
    status = rep.imported === 0 ? 'rejected' : rep.failed === 0 && !rep.aborted ? 'whole' : 'partial';
    totals[status]++;
  }
  totals.source += r.source;
  totals.back += r.back;
  const isError = basename(file).includes('-error-');
  let why = '';
  if (isError) {
    if (status !== 'partial') why = `an error file must import in part (some nodes refused, others imported), not ${status}`;
    else if (rep.problems.length === 0) why = 'an error file must report a problem naming the node refused';
  } else if (rep !== null && status !== 'whole') {
    why = `not imported whole (${status})`;
  } else if (r.source === 0) {
    why = 'the file gave no facts to look for';
  } else if (r.missing.length > 0) {
    why = `${r.missing.length} of ${r.source} facts did not come back`;
  }
  const replaced = superseded.size > 0 ? ` replaced=${superseded.size}` : '';
  console.log(`${file} ${rep === null ? 'unreported' : status} source=${r.source} back=${r.back} (${percent(r.back, r.source)})${replaced} extra=${r.extra.length}`);
  if (superseded.size > 0) {
    const which = [...later].filter((c) => [...superseded].some((f) => f.startsWith(`<${opts.base}/resources/${c}> `))).sort();
    console.log(`  note: ${superseded.size} facts describe resources a later file describes whole, which replaced them: ${which.join(', ')}`);
  }
  if (rep?.error) console.log(`  note: ${rep.error}`);
  if (rep && !rep.error && rep.problems.length > 0) {
    const n = opts.verbose ? SHOW : 1;
    for (const p of rep.problems.slice(0, n)) console.log(`  problem: ${problemText(p)}`);
    if (rep.problems.length > n) console.log(`  problem: … ${rep.problems.length - n} more (units=${rep.units} imported=${rep.imported} failed=${rep.failed})`);
  }
  for (const n of r.notes) console.log(`  note: ${n}`);
  if (opts.verbose) {
    for (const f of r.missing.slice(0, SHOW)) console.log(`  missing: ${f}`);
    if (r.missing.length > SHOW) console.log(`  missing: … ${r.missing.length - SHOW} more`);
    for (const f of r.extra.slice(0, SHOW)) console.log(`  extra: ${f}`);
    if (r.extra.length > SHOW) console.log(`  extra: … ${r.extra.length - SHOW} more`);
  }
  if (why) {
    failed++;
    console.log(`  FAIL: ${why}`);
  } else {
    passed++;
  }
}
console.log(`total: files=${totals.files} whole=${totals.whole} partial=${totals.partial} rejected=${totals.rejected} facts source=${totals.source} back=${totals.back} (${percent(totals.back, totals.source)})`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed > 0 ? 1 : 0);
