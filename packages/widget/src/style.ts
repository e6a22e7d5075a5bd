/** Panel styles; the launcher's live in loader.ts. Everything is scoped by the shadow root. */
export const STYLES = `
.parley-panel{position:fixed;bottom:88px;right:20px;z-index:2147483000;width:min(370px,calc(100vw - 24px));height:min(560px,calc(100vh - 110px));display:flex;flex-direction:column;background:#fff;color:#111827;border-radius:14px;box-shadow:0 12px 40px rgba(0,0,0,.25);overflow:hidden;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;text-align:start}
.parley-panel[dir=rtl]{right:auto;left:20px}
.parley-panel[hidden]{display:none}
.parley-panel *{box-sizing:border-box}
.parley-head{display:flex;align-items:center;gap:10px;padding:12px 12px 12px 16px;background:var(--parley-c,#2563eb);color:#fff}
.parley-panel[dir=rtl] .parley-head{padding:12px 16px 12px 12px}
.parley-who{flex:1;min-width:0}
.parley-head strong{display:block;font-size:16px}
.parley-status{display:flex;align-items:center;gap:6px;font-size:12px;opacity:.95}
.parley-dot{width:8px;height:8px;border-radius:50%;background:#9ca3af;flex:none}
.parley-on{background:#22c55e}
.parley-x,.parley-mute{border:0;background:none;color:inherit;font-size:26px;line-height:1;cursor:pointer;padding:2px 8px;border-radius:6px}
.parley-mute svg{width:20px;height:20px;fill:none;stroke:currentColor;stroke-width:2;stroke-linecap:round;stroke-linejoin:round;vertical-align:middle}
.parley-av{flex:none;width:36px;height:36px;border-radius:50%;object-fit:cover;background:rgba(255,255,255,.25);color:inherit;display:inline-flex;align-items:center;justify-content:center;font-weight:700;font-size:14px}
.parley-name .parley-av{width:20px;height:20px;font-size:9px;background:#d1d5db;color:#111827;margin-inline-end:6px;vertical-align:middle}
.parley-body{flex:1;display:flex;flex-direction:column;min-height:0;padding:12px 16px;gap:8px;overflow:auto}
.parley-greet,.parley-done,.parley-cbdone,.parley-cb p,.parley-rate p,.parley-wmsg{margin:0;color:#374151}
.parley-err{margin:0;color:#b91c1c}
.parley-err:empty,.parley-wmsg:empty{display:none}
.parley-form,.parley-cb,.parley-rate{display:flex;flex-direction:column;gap:10px}
.parley-field{display:flex;flex-direction:column;gap:4px}
.parley-field label,.parley-cb label{font-weight:600;font-size:13px}
.parley-panel input,.parley-panel textarea,.parley-panel select{font:inherit;color:inherit;padding:8px 10px;border:1px solid #d1d5db;border-radius:8px;width:100%;resize:vertical;background:#fff}
.parley-panel [aria-invalid=true]{border-color:#b91c1c}
.parley-ferr{color:#b91c1c;font-size:12px}
.parley-human{margin:0;color:#6b7280;font-size:12px}
.parley-btn{font:inherit;font-weight:600;border:0;border-radius:8px;padding:9px 14px;background:var(--parley-c,#2563eb);color:#fff;cursor:pointer;flex:none}
.parley-btn:disabled{opacity:.6;cursor:default}
.parley-panel :focus-visible{outline:2px solid #111827;outline-offset:2px}
.parley-head :focus-visible{outline-color:#fff}
.parley-log{flex:1;display:flex;flex-direction:column;gap:6px;overflow-y:auto;min-height:0}
.parley-msg{max-width:85%;padding:7px 10px;border-radius:12px;background:#f3f4f6;align-self:flex-start;overflow-wrap:anywhere}
.parley-msg[data-author=visitor]{align-self:flex-end;background:var(--parley-c,#2563eb);color:#fff}
.parley-msg[data-author=system]{align-self:center;background:none;color:#6b7280;font-size:12px}
.parley-msg[data-pending]{opacity:.7}
.parley-name{display:block;font-size:12px;margin-bottom:2px}
.parley-text{margin:0;white-space:pre-wrap}
.parley-quote{margin:0 0 4px;padding:2px 8px;border-inline-start:3px solid currentColor;font-size:12px;font-style:italic;white-space:pre-wrap;max-height:3.6em;overflow:hidden}
.parley-meta{display:block;font-size:11px;text-align:end;color:#4b5563}
.parley-msg[data-author=visitor] .parley-meta{color:inherit}
.parley-reply{font:inherit;border:0;background:none;color:inherit;text-decoration:underline;cursor:pointer;padding:0;margin-inline-start:8px}
.parley-note,.parley-typing{margin:0;text-align:center;color:#6b7280;font-size:12px}
.parley-row{display:flex;gap:8px;align-items:flex-end}
.parley-comp{display:flex;flex-direction:column;gap:6px;padding:10px 12px;border-top:1px solid #e5e7eb}
.parley-comp textarea{resize:none}
.parley-qbar{display:flex;align-items:flex-start;gap:6px;color:#374151}
.parley-qbar .parley-quote{flex:1}
.parley-qbar .parley-x{font-size:18px}
.parley-end{padding:10px 12px;border-top:1px solid #e5e7eb;text-align:center;display:flex;flex-direction:column;gap:10px}
.parley-sr{position:absolute;width:1px;height:1px;margin:-1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
@media (max-width:480px){.parley-panel,.parley-panel[dir=rtl]{left:0;right:0;top:0;bottom:auto;width:100vw;height:calc(100% - 88px);border-radius:0 0 14px 14px}}
`;
