/** The UI's one stylesheet: system fonts, light and dark, narrow screens first. No inline styles (the CSP forbids them). */
export const STYLESHEET = `
:root { color-scheme: light dark; --fg: #1b1f23; --bg: #fff; --muted: #5c6670; --line: #d8dde2; --accent: #0b5cad; --ok: #1a7f37; --bad: #c62828; --warn: #9a6700; --soft: #f3f5f7; }
@media (prefers-color-scheme: dark) { :root { --fg: #e6e8ea; --bg: #14171a; --muted: #9aa4ad; --line: #333a41; --accent: #6cb0ff; --ok: #4ac26b; --bad: #ff7b72; --warn: #d29922; --soft: #1e2327; } }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); background: var(--bg); }
a { color: var(--accent); }
a:focus-visible, summary:focus-visible, input:focus-visible, button:focus-visible, pre:focus-visible { outline: 3px solid var(--accent); outline-offset: 2px; }
.skip { position: absolute; left: -999px; } .skip:focus { left: 8px; top: 8px; background: var(--bg); padding: 4px 8px; z-index: 1; }
header { display: flex; flex-wrap: wrap; gap: 4px 16px; align-items: baseline; padding: 10px 16px; border-bottom: 1px solid var(--line); background: var(--soft); }
header strong { font-size: 17px; } header nav a { margin-right: 12px; }
main { padding: 12px 16px 40px; max-width: 1200px; }
h1 { font-size: 22px; margin: 8px 0 12px; overflow-wrap: anywhere; } h1 small { font-size: 13px; color: var(--muted); font-weight: normal; }
h2 { font-size: 17px; margin: 24px 0 8px; } .count { color: var(--muted); font-weight: normal; }
.crumbs { color: var(--muted); overflow-wrap: anywhere; } .facts { color: var(--muted); overflow-wrap: anywhere; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; font-size: 14px; }
th, td { text-align: left; padding: 5px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
thead th { position: sticky; top: 0; background: var(--bg); }
/* Task lists can hold thousands of rows: one grid per row, the same columns, off-screen rows not laid out. */
.rows { min-width: 760px; font-size: 14px; }
.rows .row { display: grid; grid-template-columns: 5em 8.5em minmax(7em, 1fr) minmax(6em, 1fr) 6em 13em minmax(10em, 1.4fr); gap: 0 8px; padding: 5px 8px; border-bottom: 1px solid var(--line); content-visibility: auto; contain-intrinsic-size: auto 32px; }
.rows .row > div { min-width: 0; overflow-wrap: anywhere; } .rows .head { font-weight: 700; }
.rows .n { display: block; text-align: right; font-variant-numeric: tabular-nums; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
.badge { display: inline-block; padding: 0 6px; border-radius: 4px; font-size: 12px; font-weight: 600; background: var(--soft); border: 1px solid var(--line); white-space: nowrap; }
.s-RUNNING, .s-ROLLED_FORWARD, .s-NONE { color: var(--ok); } .s-FAILED, .s-LOST, .s-ERROR, .s-ROLLED_BACK, .s-ABORTED, .s-FAILED { color: var(--bad); }
.s-PENDING, .s-THROTTLED, .s-ROLLING_FORWARD, .s-ROLLING_BACK, .s-DRAINING, .s-DRAINED, .s-SCHEDULED, .s-ROLL_FORWARD_PAUSED { color: var(--warn); }
.msg { overflow-wrap: anywhere; } .muted, .hint { color: var(--muted); }
.empty { color: var(--muted); font-style: italic; } .error { color: var(--bad); font-weight: 600; } .note { color: var(--muted); }
.timeline { margin: 4px 0; padding-left: 18px; } .timeline li { margin: 2px 0; }
details summary { cursor: pointer; color: var(--accent); }
pre { background: var(--soft); border: 1px solid var(--line); padding: 8px; overflow: auto; font: 13px/1.4 ui-monospace, Menlo, Consolas, monospace; }
pre.config { max-height: 480px; } pre.tail { height: 60vh; white-space: pre-wrap; overflow-wrap: anywhere; }
.tabs { display: flex; gap: 12px; margin-bottom: 8px; } .tabs [aria-current] { font-weight: 700; }
.grid { list-style: none; padding: 0; display: grid; grid-template-columns: repeat(auto-fill, minmax(88px, 1fr)); gap: 4px; }
.cell { border: 1px solid var(--line); border-radius: 4px; padding: 2px 6px; font-size: 13px; }
.cell small { color: var(--muted); } .a-INSTANCE_UPDATED { border-color: var(--ok); } .a-INSTANCE_UPDATING, .a-INSTANCE_ROLLING_BACK { border-color: var(--warn); }
.a-INSTANCE_UPDATE_FAILED, .a-INSTANCE_ROLLBACK_FAILED, .a-INSTANCE_ROLLED_BACK { border-color: var(--bad); }
/* Agents: attributes as key:value chips, used of total with a meter. */
.chips { list-style: none; margin: 0; padding: 0; display: flex; flex-wrap: wrap; gap: 4px; } .chips li { padding: 0 6px; border: 1px solid var(--line); border-radius: 10px; background: var(--soft); font-size: 12px; overflow-wrap: anywhere; }
meter { width: 4em; vertical-align: middle; } .use { white-space: nowrap; }
td.host, td.ports { white-space: nowrap; }
progress { width: min(320px, 100%); vertical-align: middle; }
form.open input { width: min(320px, 60vw); }
@media (max-width: 600px) { body { font-size: 14px; } main { padding: 8px; } th, td { padding: 4px; } }
`;
