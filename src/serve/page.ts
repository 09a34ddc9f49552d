/**
 * The dashboard's static page and style sheet. The page holds no data: client.ts fetches it from
 * the API and builds the DOM with textContent, so nothing from a log is ever parsed as HTML.
 */

export const DASHBOARD_CSS = `
:root{color-scheme:light}
body{font:14px/1.45 "DejaVu Sans",system-ui,sans-serif;color:#222;margin:0;background:#fff}
header{display:flex;gap:18px;align-items:baseline;padding:10px 24px;border-bottom:1px solid #ddd;background:#fafafa}
header h1{font-size:18px;margin:0}header a{color:#245;text-decoration:none}
main{max-width:1100px;margin:0 auto;padding:12px 24px 48px}
*{overflow-wrap:anywhere}
h2{font-size:17px;margin:24px 0 8px;border-bottom:1px solid #ddd;padding-bottom:4px}h3{font-size:14px;margin:16px 0 6px}
table{border-collapse:collapse;margin:6px 0;width:100%}td,th{border-bottom:1px solid #eee;padding:4px 8px;text-align:left;vertical-align:top}th{background:#fafafa;font-weight:600}
.mono{font-family:"DejaVu Sans Mono",ui-monospace,monospace;font-size:12.5px}.muted{color:#666}
.verdict{border-left:6px solid #d62728;background:#fdf2f2;padding:10px 14px;margin:12px 0}.verdict.none{border-color:#2ca02c;background:#f2faf2}.verdict.unknown{border-color:#999;background:#f4f4f4}
.layers td:nth-child(-n+2){overflow-wrap:normal;white-space:nowrap}
.pass{color:#2ca02c}.fail{color:#d62728}.inconclusive{color:#b8860b}.gated{color:#888}
.finding{border:1px solid #e4e4e4;border-radius:4px;padding:8px 12px;margin:10px 0}.sev{font-weight:700;text-transform:uppercase;font-size:11px;margin-right:6px}
.error .sev{color:#d62728}.warning .sev{color:#e08a00}.info .sev{color:#7f7f7f}
figure{margin:14px 0}figcaption{font-weight:600;margin-bottom:4px}figure img{max-width:100%;height:auto;border:1px solid #f0f0f0}
.columns{display:grid;grid-template-columns:1fr 1fr;gap:16px}
button{font:inherit;padding:4px 12px}
.status-line{font-size:12px;color:#666;margin-left:auto}
`;

export function dashboardPage(): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>ladder dashboard</title>
<link rel="stylesheet" href="/assets/dashboard.css">
<script type="module" src="/assets/client.js"></script>
</head>
<body>
<header><h1><a href="#/">ladder</a></h1><a href="#/">studies and runs</a><span class="status-line" id="live">connecting…</span></header>
<main id="app"><p class="muted">Loading…</p></main>
</body></html>
`;
}
