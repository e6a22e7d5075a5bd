#!/usr/bin/env node
// Runs every vitest project once and ends with the plain summary line CI reads: "N passed, N failed".
// Extra arguments go to vitest (e.g. `pnpm test -- --project server`).
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');
const outDir = join(root, '.test-results');
const out = join(outDir, `vitest-${process.pid}.json`);
mkdirSync(outDir, { recursive: true });

const args = [
  'vitest',
  'run',
  '--reporter=default',
  '--reporter=json',
  `--outputFile.json=${out}`,
  ...process.argv.slice(2),
];
const run = spawnSync('npx', args, { cwd: root, stdio: 'inherit', env: process.env });

let passed = 0;
let failed = 0;
try {
  const report = JSON.parse(readFileSync(out, 'utf8'));
  passed = report.numPassedTests;
  // A file that failed without a failed test (it did not load, or a beforeAll hook threw and its
  // tests were skipped) counts as one failure, so a broken suite cannot pass silently.
  failed =
    report.numFailedTests +
    (report.testResults ?? []).filter(
      (f) => f.status === 'failed' && !f.assertionResults.some((t) => t.status === 'failed'),
    ).length;
  // Name every failure again at the end, where a CI log's tail will show it.
  for (const file of report.testResults ?? []) {
    const where = file.name.startsWith(root) ? file.name.slice(root.length + 1) : file.name;
    if (file.status === 'failed' && !file.assertionResults.some((t) => t.status === 'failed')) {
      console.log(`FAILED ${where} (outside any test): ${firstLine(file.message)}`);
    }
    for (const test of file.assertionResults ?? []) {
      if (test.status === 'failed')
        console.log(`FAILED ${where} > ${test.fullName}: ${firstLine(test.failureMessages?.[0])}`);
    }
  }
  rmSync(out);
} catch {
  failed = Math.max(failed, 1);
  console.error(`No vitest report at ${out}; counting the run as failed.`);
}
if (passed + failed === 0) {
  failed = 1;
  console.error('No test ran; counting that as a failure.');
}
console.log(`${passed} passed, ${failed} failed`);

function firstLine(text) {
  return (
    String(text ?? '')
      .split('\n')
      .find((line) => line.trim() !== '') ?? ''
  );
}
process.exit(failed > 0 || run.status !== 0 ? 1 : 0);
