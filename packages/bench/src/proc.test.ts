import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { killChildren, spawnNode } from './proc.js';

/** The session id of a process: field 6 of /proc/<pid>/stat (counted after the command's ')'). */
const sessionOf = (pid: number) => {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[3]);
};

describe('spawnNode', () => {
  it('starts each child in a session of its own, so the CPU it takes is not taken from the others', async () => {
    const a = spawnNode(['-e', 'setTimeout(() => {}, 30_000)'], {}, process.cwd());
    const b = spawnNode(['-e', 'setTimeout(() => {}, 30_000)'], {}, process.cwd());
    try {
      expect(sessionOf(a.pid)).toBe(a.pid);
      expect(sessionOf(b.pid)).toBe(b.pid);
      expect(sessionOf(a.pid)).not.toBe(sessionOf(process.pid));
    } finally {
      await Promise.all([a.stop(1000), b.stop(1000)]);
    }
  });

  it('killChildren ends every child still running (a Ctrl-C no longer reaches them)', async () => {
    const a = spawnNode(['-e', 'setTimeout(() => {}, 30_000)'], {}, process.cwd());
    expect(a.running()).toBe(true);
    killChildren();
    await a.exited;
    expect(a.running()).toBe(false);
    expect(a.child.signalCode).toBe('SIGKILL');
  });
});
