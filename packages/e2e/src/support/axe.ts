/**
 * axe-core in a Playwright page, aimed at the widget: injects axe's own build (axe.min.js from the
 * installed package, no CDN) and runs it on `#parley-widget`. axe walks open shadow roots, so naming
 * the host includes everything the widget draws inside it.
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type axe from 'axe-core';
import type { Page } from 'playwright-core';

export interface AxeViolation {
  /** The rule, e.g. `color-contrast`, `button-name`. */
  id: string;
  impact: 'serious' | 'critical';
  /** One line on what the rule wants. */
  help: string;
  helpUrl: string;
  /** Each failing node: its selector path (one entry per shadow root crossed) and axe's summary. */
  nodes: { target: string[]; html: string; summary: string }[];
}

export interface AxeOptions {
  /** What to check; default the widget's host (and so its whole shadow tree). */
  include?: axe.ElementContext;
  /** axe rules to switch off, by id, each with a reason in the caller. */
  disableRules?: string[];
  /** Impacts reported; default serious and critical. */
  impacts?: ('minor' | 'moderate' | 'serious' | 'critical')[];
}

let source: Promise<string> | undefined;
const axeSource = () => {
  source ??= readFile(
    join(dirname(createRequire(import.meta.url).resolve('axe-core')), 'axe.min.js'),
    'utf8',
  );
  return source;
};

/**
 * The serious and critical axe violations in the widget on `page`, as plain data (empty = clean).
 * Works on pages with a strict CSP too: Playwright evaluates outside the page's script-src.
 */
export async function axeViolations(page: Page, opts: AxeOptions = {}): Promise<AxeViolation[]> {
  const injected = await page.evaluate(() => typeof (window as { axe?: unknown }).axe === 'object');
  if (!injected) await page.evaluate(await axeSource());
  const impacts = opts.impacts ?? ['serious', 'critical'];
  const rules: Record<string, { enabled: boolean }> = {};
  for (const id of opts.disableRules ?? []) rules[id] = { enabled: false };
  // Reduced to plain data in the page: axe's result objects are large and deeply typed.
  const violations = await page.evaluate(
    async ({ include, rules }: { include: unknown; rules: Record<string, { enabled: boolean }> }) => {
      const results = await (window as unknown as { axe: typeof axe }).axe.run(
        include as axe.ElementContext,
        {
          rules,
          resultTypes: ['violations'],
        },
      );
      return results.violations.map((v) => ({
        id: v.id,
        impact: String(v.impact),
        help: v.help,
        helpUrl: v.helpUrl,
        nodes: v.nodes.map((n) => ({
          // One entry per frame, each a selector or a path through shadow roots; the widget has no
          // frames, so this is the path from the page to the node: ['#parley-widget', '.parley-x'].
          target: n.target.flatMap((t) => (typeof t === 'string' ? [t] : t)),
          html: n.html,
          summary: n.failureSummary ?? '',
        })),
      }));
    },
    { include: (opts.include ?? { include: [['#parley-widget']] }) as unknown, rules },
  );
  return violations.filter((v): v is AxeViolation => (impacts as string[]).includes(v.impact));
}

/** Violations as readable lines, for an assertion's message. */
export const formatViolations = (violations: AxeViolation[]): string =>
  violations
    .map(
      (v) =>
        `${v.id} (${v.impact}): ${v.help}\n${v.nodes
          .map(
            (n) =>
              `    at ${n.target.join(' >>> ')}  ${n.html}\n      ${n.summary.replace(/\n/g, '\n      ')}`,
          )
          .join('\n')}`,
    )
    .join('\n');
