/**
 * Runs `body` and collects the promise rejections nobody handled meanwhile: in a server, Node ends
 * the process for one (`--unhandled-rejections=throw`, its default).
 */
export async function catchingUnhandled<T>(
  body: () => Promise<T>,
): Promise<{ result: T; unhandled: unknown[] }> {
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);
  process.on('unhandledRejection', onUnhandled);
  try {
    const result = await body();
    return { result, unhandled };
  } finally {
    process.off('unhandledRejection', onUnhandled);
  }
}
