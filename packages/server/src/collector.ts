import { setFlagsFromString } from 'node:v8';

/**
 * V8's collector, set for a server that holds thousands of sockets and answers within milliseconds.
 * `node packages/server/dist/main.js` applies these before it starts (BENCHMARKS.md, seventeenth
 * session, has the measurements):
 *
 * - `--no-allocation-site-pretenuring`: V8 watches where objects are made and, when most of a place's
 *   objects survived a young collection, makes its later objects directly in the old generation. A
 *   server's start (thousands of sockets and chats set up at once, all of it kept) teaches it that
 *   about some of the places that later make a message's short-lived objects; whatever young those old
 *   objects point to is then kept by every young collection until the next full one. Some runs of the
 *   same build promoted twice as much as others for it (about 1 KB a message instead of 0.5).
 * - `--heap-growing-percent=300`: after a full collection, the old generation may grow to 4 times
 *   what survived before the next one. V8 picks that factor itself, between 1.1 and 4: the less a
 *   program promotes, the smaller it picks it, to spend no more than about 3 % of the time collecting.
 *   A full collection of a server with 10,000 sockets marks about 100 MB whatever the factor, and
 *   delays the messages of the ~300 ms it takes by tens of milliseconds: left to V8 it came every 4-35 s
 *   under load. Four is the most V8 picks on its own on machines with more than a few GB.
 *
 * Both are read by V8 at each collection, so setting them from the program works (tested in
 * collector.test.ts). A flag the command line names already, in either sense, is left as given:
 * `node --allocation-site-pretenuring --heap-growing-percent=0 …` runs with V8's own choices.
 */
export const COLLECTOR_FLAGS = ['--no-allocation-site-pretenuring', '--heap-growing-percent=300'] as const;

/**
 * What only `node`'s command line can set (V8 sizes the young generation as it starts): the start
 * script, the Dockerfile, the README's commands and the bench run the server with these.
 *
 * - `--max-semi-space-size=32`: a young generation of up to 32 MB instead of 16, so it is collected
 *   half as often. A scavenge's pause follows what survives it, not the space's size: at 5,000 messages
 *   a second, 210 scavenges a minute instead of 420, each ~30 % longer (4 ms p50 instead of 3), 2-14 %
 *   less of the server's CPU, and a p99 of 23-24 ms over 60 s instead of 27-34 (BENCHMARKS.md,
 *   seventeenth session).
 *   The young generation grows to it only under load: no more memory per idle socket (7.7-8.2 KiB).
 */
export const START_NODE_FLAGS = ['--max-semi-space-size=32'] as const;

/** `--no-allocation-site-pretenuring` → `allocation-site-pretenuring`: the flag, whichever sense. */
function flagName(arg: string): string {
  return arg.replace(/^--/, '').replace(/=.*$/, '').replaceAll('_', '-').replace(/^no-/, '');
}

/** Applies the COLLECTOR_FLAGS the command line does not name; returns the ones applied. */
export function tuneCollector(
  execArgv: readonly string[] = process.execArgv,
  set: (flags: string) => void = setFlagsFromString,
): string[] {
  const given = new Set(execArgv.filter((a) => a.startsWith('--')).map(flagName));
  const applied = COLLECTOR_FLAGS.filter((f) => !given.has(flagName(f)));
  for (const f of applied) set(f);
  return applied;
}
