/** The part of ua-parser-js 1.x (MIT; it ships no types) the visitor panel uses. */
declare module 'ua-parser-js' {
  interface Named {
    name?: string;
    version?: string;
  }
  interface Result {
    browser: Named;
    os: Named;
    device: { model?: string; type?: string; vendor?: string };
  }
  const UAParser: { new (ua?: string): { getResult(): Result } };
  export default UAParser;
}
