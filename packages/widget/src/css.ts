/**
 * Adds styles to the shadow root. A constructable stylesheet first: CSSOM-built sheets need no
 * `style-src 'unsafe-inline'` under a strict CSP. A <style> element where that API is missing.
 */
export const addStyles = (root: ShadowRoot, css: string): void => {
  try {
    const sheet = new CSSStyleSheet();
    sheet.replaceSync(css);
    root.adoptedStyleSheets = [...root.adoptedStyleSheets, sheet];
  } catch {
    const style = document.createElement('style');
    style.textContent = css;
    root.appendChild(style);
  }
};
