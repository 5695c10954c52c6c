// Checks, with jsonld.js, that the JSON-LD credreg serves for each resource
// expands to the same RDF as the N-Quads it serves for it.
//
// Usage: node jsonld-isomorphic.mjs BASE PATH... (or PATHs on stdin, one a line)
// BASE is where the registry listens; CREDREG_REGISTRY_BASE names its base
// IRI when that differs (a store imported under another base): contexts
// under it are fetched from BASE.
// Prints one line per resource and a closing "N passed, M failed" line;
// exits 1 when any resource differs or cannot be fetched.
import jsonld from 'jsonld';

const [base, ...args] = process.argv.slice(2);
if (!base) {
  console.error('usage: node jsonld-isomorphic.mjs BASE PATH...');
  process.exit(2);
}
let paths = args;
if (paths.length === 0) {
  const chunks = [];
  for await (const c of process.stdin) chunks.push(c);
  paths = Buffer.concat(chunks).toString('utf8').split('\n').map((s) => s.trim()).filter(Boolean);
}

// Contexts are fetched from the registry under test only; anything else is
// an error, so the test also proves the documents name no foreign context.
const contexts = new Map();
const registryBase = process.env.CREDREG_REGISTRY_BASE || base;
async function documentLoader(iri) {
  const url = iri.startsWith(registryBase + '/') ? base + iri.slice(registryBase.length) : iri;
  if (!url.startsWith(base + '/')) {
    throw new Error(`document names a context outside the registry: ${url}`);
  }
  if (!contexts.has(url)) {
    const res = await fetch(url, { headers: { Accept: 'application/ld+json' } });
    if (!res.ok) throw new Error(`context ${url}: HTTP ${res.status}`);
    contexts.set(url, await res.json());
  }
  return { contextUrl: null, documentUrl: url, document: contexts.get(url) };
}

async function get(url, accept) {
  const res = await fetch(url, { headers: { Accept: accept } });
  if (!res.ok) throw new Error(`${url} (${accept}): HTTP ${res.status}`);
  const type = res.headers.get('content-type') || '';
  if (!type.startsWith(accept)) throw new Error(`${url}: asked for ${accept}, got ${type}`);
  return res.text();
}

let passed = 0;
let failed = 0;
for (const path of paths) {
  const url = base + path;
  try {
    const doc = JSON.parse(await get(url, 'application/ld+json'));
    const nq = await get(url, 'application/n-quads');
    const fromJSONLD = await jsonld.canonize(doc, {
      algorithm: 'URDNA2015', format: 'application/n-quads', documentLoader, safe: true,
    });
    const fromNQuads = await jsonld.canonize(nq, {
      algorithm: 'URDNA2015', inputFormat: 'application/n-quads', format: 'application/n-quads',
    });
    const count = fromNQuads.split('\n').filter(Boolean).length;
    if (count === 0) throw new Error('no statements');
    if (fromJSONLD !== fromNQuads) {
      const a = new Set(fromJSONLD.split('\n'));
      const b = new Set(fromNQuads.split('\n'));
      const onlyJSON = [...a].filter((l) => l && !b.has(l));
      const onlyNQ = [...b].filter((l) => l && !a.has(l));
      throw new Error(`not isomorphic: only in JSON-LD: ${JSON.stringify(onlyJSON.slice(0, 3))}; only in N-Quads: ${JSON.stringify(onlyNQ.slice(0, 3))}`);
    }
    passed++;
    console.log(`ok   ${path} (${count} statements)`);
  } catch (err) {
    failed++;
    console.log(`FAIL ${path}: ${err.message}`);
  }
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed > 0 || passed === 0 ? 1 : 0);
