// Loads an N-Quads file into an in-memory Oxigraph store (WASM) and prints
// the number of quads, the time and the rate, as one parseable line:
//
//   oxigraph: load quads=1500000 seconds=21.30 quads/s=70422 version=0.5.11
//
// Usage: node bench/oxigraph-load.mjs file.nq
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import oxigraph from "oxigraph";

const file = process.argv[2];
if (!file) {
  console.error("usage: node oxigraph-load.mjs file.nq");
  process.exit(2);
}
const { version } = createRequire(import.meta.url)("oxigraph/package.json");

const data = readFileSync(file); // bytes; reading is not timed
const store = new oxigraph.Store();
const start = process.hrtime.bigint();
store.load(data, { format: "application/n-quads" });
const seconds = Number(process.hrtime.bigint() - start) / 1e9;
const quads = store.size;
console.log(
  `oxigraph: load quads=${quads} seconds=${seconds.toFixed(2)} quads/s=${Math.round(quads / seconds)} version=${version}`,
);
