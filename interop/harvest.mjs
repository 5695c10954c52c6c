// Two independent clients read a running credreg and must agree:
// Comunica (@comunica/query-sparql) runs SPARQL queries over credreg's
// Triple Pattern Fragments, and Oxigraph runs the same queries over
// credreg's dump (/dump.nq.gz, loaded into an in-memory store, its named
// graphs read as one default graph).
//
//   node harvest.mjs http://127.0.0.1:8080
//
// Prints one line per query ("ok NAME: N rows" or "FAIL NAME: ..."), then
// "N passed, M failed"; exits 1 when a query differs or returns nothing.
import { gunzipSync } from 'node:zlib';
import oxigraph from 'oxigraph';
import { QueryEngine } from '@comunica/query-sparql';

const base = process.argv[2];
if (!base) {
  console.error('usage: node harvest.mjs BASE_URL');
  process.exit(2);
}

const prefixes = `
PREFIX ceterms: <https://purl.org/ctdl/terms/>
PREFIX ceasn: <https://purl.org/ctdlasn/terms/>
PREFIX credreg: <https://w3id.org/credreg/vocab#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX schema: <https://schema.org/>
PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>
`;
const queries = {
  'credentials of value in Digital Technology for SOC 15-1212, with their owners': `
    SELECT DISTINCT ?cred ?name ?ownerName WHERE {
      ?d a credreg:ValueDesignation ; credreg:credential ?cred ; credreg:subCluster ?sub .
      ?sub skos:broader <${base}/schemes/career-clusters/060100> .
      ?cred ceterms:occupationType <${base}/schemes/soc/15-1212> ; ceterms:name ?name ; ceterms:ownedBy ?owner .
      ?owner ceterms:name ?ownerName .
    }`,
  'designations per agency': `
    SELECT ?agency (COUNT(?d) AS ?n) WHERE { ?d a credreg:ValueDesignation ; credreg:designatingAgency ?agency . }
    GROUP BY ?agency`,
  'a credential by its name (a literal object)': `
    SELECT ?cred ?ctid WHERE { ?cred ceterms:name "CompTIA Security+" ; ceterms:ctid ?ctid . }`,
  'designations from a day (a typed literal object)': `
    SELECT ?d ?through WHERE { ?d schema:validFrom "2025-07-01"^^xsd:date ; schema:validThrough ?through . }`,
  'competencies of a framework': `
    SELECT ?c ?text WHERE { ?c a ceasn:Competency ; ceasn:isPartOf ?f ; ceasn:competencyText ?text . ?f ceterms:name ?fname . FILTER(CONTAINS(?fname, "Digital")) }`,
  'Sub-Clusters of each Cluster': `
    SELECT ?cluster (COUNT(?sub) AS ?n) WHERE { ?sub skos:broader ?cluster . ?cluster skos:topConceptOf ?scheme . } GROUP BY ?cluster`,
};

function termKey(t) {
  if (!t) return 'unbound';
  switch (t.termType) {
    case 'NamedNode': return `<${t.value}>`;
    case 'Literal': {
      const dt = t.datatype ? t.datatype.value : '';
      // Counts come back typed xsd:integer from both; compare values.
      if (dt === 'http://www.w3.org/2001/XMLSchema#integer') return `${Number(t.value)}^^integer`;
      if (t.language) return `${JSON.stringify(t.value)}@${t.language.toLowerCase()}`;
      return `${JSON.stringify(t.value)}^^${dt || 'http://www.w3.org/2001/XMLSchema#string'}`;
    }
    default: return `${t.termType}:${t.value}`;
  }
}

function rowsOf(list, vars) {
  return list.map((get) => vars.map((v) => `${v}=${termKey(get(v))}`).join(' ')).sort();
}

const res = await fetch(`${base}/dump.nq.gz`);
if (!res.ok) {
  console.log(`FAIL the dump: ${res.status}`);
  process.exit(1);
}
const sequence = res.headers.get('x-credreg-sequence');
const nq = gunzipSync(Buffer.from(await res.arrayBuffer())).toString('utf8');
const store = new oxigraph.Store();
store.load(nq, { format: 'application/n-quads' });
console.log(`loaded the dump: ${store.size} quads at change ${sequence}`);

const engine = new QueryEngine();
let passed = 0;
let failed = 0;
for (const [name, body] of Object.entries(queries)) {
  const q = prefixes + body;
  // The projected variables: the SELECT clause's ?names, counts by their alias.
  const select = q.slice(q.indexOf('SELECT') + 6, q.indexOf('WHERE'));
  const uniqueVars = [...select.replace(/\(COUNT\(\?\w+\) AS /g, '(').matchAll(/\?(\w+)/g)].map((m) => m[1]);
  try {
    const ox = store.query(q, { use_default_graph_as_union: true });
    const oxRows = rowsOf(ox.map((m) => (v) => m.get(v)), uniqueVars);
    const stream = await engine.queryBindings(q, { sources: [`${base}/fragments`] });
    const bindings = await stream.toArray();
    const coRows = rowsOf(bindings.map((b) => (v) => b.get(v)), uniqueVars);
    if (oxRows.length === 0) {
      failed++;
      console.log(`FAIL ${name}: no rows (the query proves nothing)`);
    } else if (JSON.stringify(oxRows) !== JSON.stringify(coRows)) {
      failed++;
      console.log(`FAIL ${name}: Oxigraph ${oxRows.length} rows, Comunica ${coRows.length}`);
      const a = new Set(oxRows);
      const b = new Set(coRows);
      for (const r of oxRows.filter((r) => !b.has(r)).slice(0, 5)) console.log(`  only Oxigraph: ${r}`);
      for (const r of coRows.filter((r) => !a.has(r)).slice(0, 5)) console.log(`  only Comunica: ${r}`);
    } else {
      passed++;
      console.log(`ok ${name}: ${oxRows.length} rows`);
    }
  } catch (e) {
    failed++;
    console.log(`FAIL ${name}: ${e && e.stack ? e.stack.split('\n').slice(0, 3).join(' | ') : e}`);
  }
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
