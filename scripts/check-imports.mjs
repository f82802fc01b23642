#!/usr/bin/env node
// The import rules of src/ (DESIGN.md, "Our shape"): no import cycle between files, and no import
// that runs up the layers below, each of which may import only from itself and the layers after
// it. Type-only imports count too. `node scripts/check-imports.mjs` prints every breach and exits 1.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Top to bottom; a folder not named here is a breach of its own. */
const LAYERS = [
  'cli', 'service', 'services', 'plugins', 'rpc', 'quota', 'api', 'registry', 'auth', 'ipam', 'db', 'lib', 'config', 'metrics',
];

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const src = join(root, 'src');

function* sources(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) yield* sources(path);
    else if (name.endsWith('.ts')) yield path;
  }
}

const SPECIFIER = /(?:^|\n)\s*(?:import|export)\b[^'"]*?\bfrom\s*['"](\.{1,2}\/[^'"]+)['"]|\bimport\(\s*['"](\.{1,2}\/[^'"]+)['"]\s*\)/g;
const graph = new Map();
for (const file of sources(src)) {
  const text = readFileSync(file, 'utf8');
  const targets = new Set();
  for (const m of text.matchAll(SPECIFIER)) targets.add(normalize(join(dirname(file), (m[1] ?? m[2]).replace(/\.js$/, '.ts'))));
  graph.set(file, [...targets]);
}

const name = (f) => relative(root, f);
const layerOf = (f) => relative(src, f).split('/')[0];
const problems = [];

for (const [file, targets] of graph) {
  const from = LAYERS.indexOf(layerOf(file));
  if (from < 0) { problems.push(`${name(file)}: src/${layerOf(file)}/ is in no layer of scripts/check-imports.mjs`); continue; }
  for (const t of targets) {
    if (!graph.has(t)) { problems.push(`${name(file)} imports ${name(t)}, which does not exist`); continue; }
    if (LAYERS.indexOf(layerOf(t)) < from) problems.push(`${name(file)} imports ${name(t)}: src/${layerOf(file)}/ is below src/${layerOf(t)}/`);
  }
}

// Tarjan's strongly connected components: each one of more than one file is a cycle
let index = 0;
const stack = [];
const state = new Map();
function visit(v) {
  const s = { index, low: index, onStack: true };
  index++;
  state.set(v, s);
  stack.push(v);
  for (const w of graph.get(v) ?? []) {
    if (!graph.has(w)) continue;
    const t = state.get(w);
    if (!t) { visit(w); s.low = Math.min(s.low, state.get(w).low); } else if (t.onStack) s.low = Math.min(s.low, t.index);
  }
  if (s.low === s.index) {
    const component = [];
    let w;
    do { w = stack.pop(); state.get(w).onStack = false; component.push(w); } while (w !== v);
    if (component.length > 1) problems.push(`import cycle: ${component.map(name).sort().join(' <-> ')}`);
  }
}
for (const v of graph.keys()) if (!state.has(v)) visit(v);

if (problems.length) {
  console.error(`${problems.length} import rule breach(es) in src/:\n${problems.map((p) => `  ${p}`).join('\n')}`);
  process.exit(1);
}
console.log(`imports: ${graph.size} files in src/, no cycle, no upward import`);
