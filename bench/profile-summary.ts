/**
 * Summarises node --cpu-prof profiles (bench --cpu-prof <dir>): self time by function and by
 * file, and inclusive time of the project's own functions.
 * Usage: node --import tsx bench/profile-summary.ts <file.cpuprofile|dir> [top=30] [last=seconds]
 * (last: only the samples of the profile's last seconds, e.g. the measured run after the fixture).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
  hitCount?: number;
}
interface Profile { nodes: Node[]; samples: number[]; timeDeltas: number[] }

const [target = '.', topArg = '30', lastArg] = process.argv.slice(2);
const top = Number(topArg);
const lastUs = lastArg === undefined ? Infinity : Number(lastArg) * 1e6;
const files = statSync(target).isDirectory()
  ? readdirSync(target).filter((f) => f.endsWith('.cpuprofile')).map((f) => join(target, f))
  : [target];

const short = (url: string) => url.replace(/^file:\/\//, '').replace(/.*\/node_modules\//, '~/').replace(/.*\/(dist|src)\//, '$1/');

for (const file of files) {
  const p = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const self = new Map<number, number>();
  const at: number[] = [];
  p.timeDeltas.reduce((t, d, i) => (at[i] = t + d), 0);
  const from = (at.at(-1) ?? 0) - lastUs;
  p.samples.forEach((id, i) => {
    if (at[i]! >= from) self.set(id, (self.get(id) ?? 0) + (p.timeDeltas[i] ?? 0));
  });
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  const fnSelf = new Map<string, number>();
  const fileSelf = new Map<string, number>();
  const inclusive = new Map<string, number>();
  for (const [id, t] of self) {
    const n = byId.get(id)!;
    const key = `${n.callFrame.functionName || '(anonymous)'} ${short(n.callFrame.url)}:${n.callFrame.lineNumber + 1}`;
    fnSelf.set(key, (fnSelf.get(key) ?? 0) + t);
    const f = short(n.callFrame.url) || n.callFrame.functionName;
    fileSelf.set(f, (fileSelf.get(f) ?? 0) + t);
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const c = byId.get(cur)!.callFrame;
      if (!/\/(dist|src)\//.test(c.url)) continue;
      const k = `${c.functionName || '(anonymous)'} ${short(c.url)}:${c.lineNumber + 1}`;
      if (seen.has(k)) continue;
      seen.add(k);
      inclusive.set(k, (inclusive.get(k) ?? 0) + t);
    }
  }
  const show = (title: string, m: Map<string, number>) => {
    console.log(`\n${title}`);
    for (const [k, t] of [...m].sort((a, b) => b[1] - a[1]).slice(0, top)) {
      console.log(`${(t / 1000).toFixed(0).padStart(8)} ms ${((100 * t) / total).toFixed(1).padStart(5)}%  ${k}`);
    }
  };
  console.log(`== ${file}: ${(total / 1e6).toFixed(2)} s sampled`);
  show('self time by function', fnSelf);
  show('self time by file', fileSelf);
  show('inclusive time of the project\'s functions', inclusive);
}
