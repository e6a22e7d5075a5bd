/**
 * Summarizes a V8 `.cpuprofile` (from `node --cpu-prof`): the functions with the most self time.
 * `node packages/bench/dist/profile.js FILE.cpuprofile [top]`
 */
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';

interface ProfileNode {
  id: number;
  children?: number[];
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

const root = fileURLToPath(new URL('../../../', import.meta.url));

/** Self time per function (name + file + line), largest first, in ms and % of the profile. */
export function selfTimes(profile: Profile): { name: string; ms: number; percent: number }[] {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<string, number>();
  for (let i = 0; i < profile.samples.length; i++) {
    const node = byId.get(profile.samples[i]!);
    if (!node) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    const where = url ? `${relative(root, url.replace(/^file:\/\//, ''))}:${lineNumber + 1}` : '';
    const key = `${functionName || '(anonymous)'} ${where}`.trim();
    self.set(key, (self.get(key) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000);
  }
  const total = (profile.endTime - profile.startTime) / 1000;
  return [...self.entries()]
    .map(([name, ms]) => ({ name, ms, percent: (ms / total) * 100 }))
    .sort((a, b) => b.ms - a.ms);
}

/** Self time per owner: a package under node_modules, WebAssembly (PGlite), our packages, Node itself. */
export function byOwner(profile: Profile): { owner: string; ms: number; percent: number }[] {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const owners = new Map<string, number>();
  for (let i = 0; i < profile.samples.length; i++) {
    const node = byId.get(profile.samples[i]!);
    if (!node) continue;
    const { url, functionName } = node.callFrame;
    let owner: string;
    if (url.startsWith('wasm:')) owner = 'WebAssembly (PGlite)';
    else if (url.includes('node_modules/')) {
      const after = url.slice(url.lastIndexOf('node_modules/') + 13).split('/');
      owner = after[0]!.startsWith('@') ? `${after[0]}/${after[1]}` : after[0]!;
    } else if (url.includes('/packages/')) owner = `packages/${url.split('/packages/')[1]!.split('/')[0]}`;
    else if (url.startsWith('node:')) owner = 'node: (built-in modules)';
    else owner = functionName.startsWith('(') ? functionName : `native: ${functionName}`;
    owners.set(owner, (owners.get(owner) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000);
  }
  const total = (profile.endTime - profile.startTime) / 1000;
  return [...owners.entries()]
    .map(([owner, ms]) => ({ owner, ms, percent: (ms / total) * 100 }))
    .sort((a, b) => b.ms - a.ms);
}

/** Total time (self + callees) of our own functions (under packages/): which of them the time is spent below. */
export function inclusiveOurs(profile: Profile): { name: string; ms: number; percent: number }[] {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const total = new Map<string, number>();
  for (let i = 0; i < profile.samples.length; i++) {
    const seen = new Set<string>();
    for (let id: number | undefined = profile.samples[i]; id !== undefined; id = parent.get(id)) {
      const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
      if (!url.includes('/packages/')) continue;
      const key = `${functionName || '(anonymous)'} ${relative(root, url.replace(/^file:\/\//, ''))}:${lineNumber + 1}`;
      if (seen.has(key)) continue;
      seen.add(key);
      total.set(key, (total.get(key) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000);
    }
  }
  const all = (profile.endTime - profile.startTime) / 1000;
  return [...total.entries()]
    .map(([name, ms]) => ({ name, ms, percent: (ms / all) * 100 }))
    .sort((a, b) => b.ms - a.ms);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const [file, top = '25'] = process.argv.slice(2);
  if (!file) {
    console.error('Usage: node packages/bench/dist/profile.js FILE.cpuprofile [top]');
    process.exit(64);
  }
  const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  console.log(`${((profile.endTime - profile.startTime) / 1e6).toFixed(1)} s profiled; top self time:`);
  for (const { name, ms, percent } of selfTimes(profile).slice(0, Number(top))) {
    console.log(`${ms.toFixed(0).padStart(8)} ms ${percent.toFixed(1).padStart(5)} %  ${name}`);
  }
  console.log('\ntotal time (self + callees) of our functions:');
  for (const { name, ms, percent } of inclusiveOurs(profile).slice(0, Number(top))) {
    console.log(`${ms.toFixed(0).padStart(8)} ms ${percent.toFixed(1).padStart(5)} %  ${name}`);
  }
  console.log('\nself time by owner:');
  for (const { owner, ms, percent } of byOwner(profile).slice(0, 15)) {
    console.log(`${ms.toFixed(0).padStart(8)} ms ${percent.toFixed(1).padStart(5)} %  ${owner}`);
  }
}
