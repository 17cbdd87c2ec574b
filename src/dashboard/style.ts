/** The dashboard's stylesheet: dark (for the night shift), readable from 390 px phones to laptops. */
export const STYLE = `
:root {
  --bg: #0f1115; --card: #171a21; --line: #262b36; --text: #e6e8ee; --muted: #8b93a7;
  --crit: #ff5d5d; --warn: #f5b041; --info: #5dade2; --ok: #58d68d; --accent: #7aa2f7;
  --mono: ui-monospace, SFMono-Regular, Menlo, Consolas, "DejaVu Sans Mono", monospace;
}
* { box-sizing: border-box; }
html, body { margin: 0; background: var(--bg); color: var(--text); }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; }
.muted { color: var(--muted); font-weight: normal; }
header.top {
  position: sticky; top: 0; z-index: 10; display: flex; flex-wrap: wrap; align-items: center; gap: 8px 16px;
  padding: 10px 16px; background: #12151bee; border-bottom: 1px solid var(--line); backdrop-filter: blur(6px);
}
.brand { font-weight: 700; letter-spacing: .02em; color: var(--accent); }
.host { display: flex; gap: 8px; align-items: baseline; min-width: 0; flex: 1 1 auto; }
.host span { overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.pill { padding: 2px 10px; border-radius: 999px; font-weight: 600; font-size: 13px; background: var(--line); }
.pill.crit { background: var(--crit); color: #1a0000; }
.pill.warn { background: var(--warn); color: #1a1000; }
.pill.ok { background: var(--ok); color: #001a08; }
.updated { display: flex; gap: 6px; align-items: center; font-size: 12px; }
.links { display: flex; gap: 10px; font-size: 12px; }
.links a { color: var(--accent); text-decoration: none; }
.links a:hover { text-decoration: underline; }
.dot { width: 8px; height: 8px; border-radius: 50%; background: var(--muted); display: inline-block; }
.dot.on { background: var(--ok); box-shadow: 0 0 6px var(--ok); }
.dot.off { background: var(--crit); }
main { display: grid; grid-template-columns: repeat(6, minmax(0, 1fr)); gap: 14px; padding: 14px 16px 32px; max-width: 1600px; margin: 0 auto; }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 10px; padding: 12px 14px; min-width: 0; }
.card.wide { grid-column: span 6; }
.card.chart-card { grid-column: span 3; }
.card.half { grid-column: span 3; }
h2 { font-size: 15px; margin: 0 0 8px; }
h3 { font-size: 13px; margin: 12px 0 4px; color: var(--muted); text-transform: uppercase; letter-spacing: .05em; }
.hint { margin: -4px 0 8px; font-size: 12px; }
.findings { list-style: none; margin: 0; padding: 0; display: grid; gap: 6px; }
.finding { border: 1px solid var(--line); border-left: 4px solid var(--info); border-radius: 8px; background: #1b1f27; }
.finding.critical { border-left-color: var(--crit); }
.finding.warning { border-left-color: var(--warn); }
.finding-head {
  all: unset; box-sizing: border-box; display: flex; gap: 10px; align-items: baseline; width: 100%;
  padding: 8px 10px; cursor: pointer;
}
.finding-head:focus-visible { outline: 2px solid var(--accent); outline-offset: -2px; border-radius: 8px; }
.finding-head::after { content: "▸"; margin-left: auto; color: var(--muted); }
.finding-head[aria-expanded="true"]::after { content: "▾"; }
.badge { font-size: 11px; font-weight: 700; padding: 1px 6px; border-radius: 4px; flex: none; }
.critical .badge { background: var(--crit); color: #1a0000; }
.warning .badge { background: var(--warn); color: #1a1000; }
.info .badge { background: var(--info); color: #00121a; }
.finding-title { min-width: 0; overflow-wrap: anywhere; }
.finding-id { color: var(--muted); font-family: var(--mono); font-size: 12px; flex: none; }
.finding-body { padding: 0 12px 12px; }
.finding-body p { margin: 4px 0; color: #cfd3dc; }
.group-worst { margin: 4px 0; padding-left: 18px; color: #cfd3dc; }
pre.fix { margin: 0; padding: 10px; background: #0b0d11; border: 1px solid var(--line); border-radius: 6px;
  font: 12.5px/1.5 var(--mono); white-space: pre-wrap; overflow-wrap: anywhere; color: #d7e3ff; }
pre.fix .comment { color: #7d869c; }
dl.evidence { display: grid; grid-template-columns: repeat(auto-fill, minmax(190px, 1fr)); gap: 2px 16px; margin: 0; font: 12px/1.5 var(--mono); }
dl.evidence div { display: flex; gap: 8px; min-width: 0; }
dl.evidence dt { color: var(--muted); }
dl.evidence dd { margin: 0; overflow-wrap: anywhere; }
.empty { color: var(--ok); padding: 6px 2px; }
.chart { min-height: 230px; }
.chart .none { color: var(--muted); padding: 80px 0; text-align: center; }
.scroll { overflow-x: auto; }
table { width: 100%; border-collapse: collapse; font-variant-numeric: tabular-nums; }
th, td { padding: 5px 8px; border-bottom: 1px solid var(--line); text-align: left; white-space: nowrap; }
th { color: var(--muted); font-weight: 600; font-size: 12px; }
td.num, th.num { text-align: right; }
td.name { max-width: 220px; overflow: hidden; text-overflow: ellipsis; }
td.addr { max-width: 320px; overflow: hidden; text-overflow: ellipsis; }
tr.crit td { color: var(--crit); }
tr.warn td { color: var(--warn); }
.notes { margin: 0; padding-left: 18px; color: var(--muted); }
.u-legend { font-size: 12px; color: var(--text); }
.u-legend .u-label { display: inline-block; max-width: 280px; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; vertical-align: bottom; }
.u-legend .u-marker { border-radius: 2px; }
.u-axis { color: var(--muted); }
/* The netns column only when the rows are in several namespaces (two containers' python3 on 8080). */
table.one-netns .col-netns { display: none; }
@media (max-width: 760px) {
  main { grid-template-columns: minmax(0, 1fr); padding: 10px 8px 24px; gap: 10px; }
  .card.wide, .card.chart-card, .card.half, .card.chart-card.rates-card { grid-column: auto; }
  header.top { padding: 8px 10px; }
  .host { flex-basis: 100%; order: 3; font-size: 12px; }
  .finding-id { display: none; }
  th, td { padding: 4px 6px; }
  .col-used { display: none; }
  td.name { max-width: 110px; }
  .chart { min-height: 200px; }
}
`;
