/**
 * Prints a results file of `npm run bench` as the Markdown table of README.md's Benchmarks section.
 * Usage: node --import tsx bench/markdown.ts bench/results/<file>.json
 */
import { readFileSync } from 'node:fs';

const file = process.argv[2];
if (!file) throw new Error('usage: bench/markdown.ts <results.json>');
const r = JSON.parse(readFileSync(file, 'utf8'));
const n = (v: number | null | undefined, d = 0) => (v === null || v === undefined ? '-' : v.toFixed(d));
console.log(`${r.server}, commit ${r.commit}, ${r.date.slice(0, 16).replace('T', ' ')} UTC; ${r.machine.cpu}, ${r.machine.cores} cores, ${r.machine.memory_gb} GB, Node ${r.machine.node}.`);
console.log(`Command: \`${r.command}\`\n`);
console.log('| scenario | conc | ops/s | p50 ms | p95 ms | p99 ms | errors | RSS MB (worker) | CPU ms/op | load |');
console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
for (const x of r.results) {
  console.log(`| ${x.scenario} | ${x.concurrency} | ${n(x.ops_per_second)} | ${n(x.latency_ms.p50, 1)} | ${n(x.latency_ms.p95, 1)} | ${n(x.latency_ms.p99, 1)} | ${x.errors} | ${n(x.server_rss_mb?.peak_per_process)} | ${n(x.server_cpu_ms_per_op, 2)} | ${n(x.load_average, 1)} |`);
}
