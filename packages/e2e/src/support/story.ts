import { beforeEach } from 'vitest';

/**
 * The tests of the calling `describe` are the steps of one story, each building on the last: after
 * a failed step the rest are skipped (and say so) instead of each timing out on a broken state.
 */
export function storySteps(): void {
  let broken = '';
  beforeEach((ctx) => {
    if (broken) ctx.skip();
    ctx.onTestFailed(() => {
      broken = ctx.task.name;
    });
  });
}
