import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { COLLECTOR_FLAGS, START_NODE_FLAGS, tuneCollector } from './collector.js';

const repoFile = (path: string) => readFileSync(new URL(`../../../${path}`, import.meta.url), 'utf8');

// The growing factor, as the start line sets it, is checked on the real process in
// packages/e2e/src/processes.test.ts (V8 prints the factor of each full collection).

describe('tuneCollector', () => {
  it('applies every flag the command line does not name', () => {
    const set: string[] = [];
    expect(tuneCollector([], (f) => set.push(f))).toEqual([...COLLECTOR_FLAGS]);
    expect(set).toEqual([...COLLECTOR_FLAGS]);
  });

  it("leaves the command line's own choices as given, in either sense and either spelling", () => {
    const cases: [string[], string[]][] = [
      [['--heap-growing-percent=50'], ['--no-allocation-site-pretenuring']],
      [['--heap_growing_percent=0', '--allocation-site-pretenuring'], []],
      [['--no-allocation_site_pretenuring'], ['--heap-growing-percent=300']],
      // Other flags, and a script's own arguments, change nothing.
      [['--max-semi-space-size=32', '--inspect', 'heap-growing-percent'], [...COLLECTOR_FLAGS]],
    ];
    for (const [argv, expected] of cases) {
      const set: string[] = [];
      expect(
        tuneCollector(argv, (f) => set.push(f)),
        argv.join(' '),
      ).toEqual(expected);
      expect(set).toEqual(expected);
    }
  });

  it('turns off allocation-site pretenuring in a process already running', () => {
    // One place makes two million objects and every one of them is kept: V8 learns to make that
    // place's objects in the old generation (V8 prints "=> tenure" for it), unless the flags set from
    // the program reach it.
    const script = `
      import { setFlagsFromString } from 'node:v8';
      for (const f of JSON.parse(process.env.FLAGS)) setFlagsFromString(f);
      const make = (i) => ({ a: i, b: [i, 2], c: null });
      const kept = [];
      for (let i = 0; i < 2_000_000; i++) kept.push(make(i));
      process.stdout.write('\\nkept ' + kept.length + '\\n');
    `;
    const run = (flags: readonly string[]) =>
      execFileSync(
        process.execPath,
        ['--trace-pretenuring-statistics', '--input-type=module', '-e', script],
        {
          encoding: 'utf8',
          env: { ...process.env, FLAGS: JSON.stringify(flags) },
          maxBuffer: 64 * 1024 * 1024,
        },
      );
    const tenured = (out: string) => {
      expect(out).toContain('kept 2000000');
      return out.split('\n').filter((l) => l.includes('=> tenure')).length;
    };
    expect(tenured(run([]))).toBeGreaterThan(0);
    expect(tenured(run(tuneCollector([], () => {})))).toBe(0);
  });
});

describe('the start lines', () => {
  it("carry the flags only node's command line can set: start script, Dockerfile, README", () => {
    const start = (JSON.parse(repoFile('package.json')) as { scripts: { start: string } }).scripts.start;
    const cmd = /^CMD (.+)$/m.exec(repoFile('Dockerfile'))?.[1] ?? '';
    const lines = [
      start,
      (JSON.parse(cmd) as string[]).join(' '),
      ...repoFile('README.md')
        .split('\n')
        // The commands to copy; the prose quotes commands in backticks, some to show other flags.
        .filter((l) => /\bnode .*packages\/server\/dist\/main\.js/.test(l) && !l.includes('`')),
    ];
    expect(lines.length).toBeGreaterThanOrEqual(4);
    for (const line of lines) {
      expect(line).toMatch(/\bnode .*packages\/server\/dist\/main\.js/);
      for (const flag of START_NODE_FLAGS) expect(line, line).toContain(` ${flag} `);
    }
  });
});
