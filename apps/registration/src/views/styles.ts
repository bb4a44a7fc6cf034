/** The pages' one stylesheet, inlined in the layout: no external assets. */
export const STYLES = `
:root{--fg:#1d2330;--muted:#5a6273;--bg:#f4f6f9;--card:#fff;--line:#d5dae3;--accent:#1f5fbf;--accent-dark:#17488f;
--ok-bg:#e7f5ec;--ok:#17623a;--err-bg:#fdecec;--err:#a4161a;--warn-bg:#fff6e0;--warn:#7a5300;--focus:#ffbf47}
*{box-sizing:border-box}
body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;color:var(--fg);background:var(--bg)}
a{color:var(--accent)}
a:focus,button:focus,input:focus,select:focus,summary:focus{outline:3px solid var(--focus);outline-offset:2px}
.skip{position:absolute;left:-9999px}.skip:focus{left:1rem;top:1rem;background:var(--card);padding:.5rem;z-index:10}
header.top{background:var(--fg);color:#fff}
header.top .bar{max-width:72rem;margin:0 auto;padding:.75rem 1.25rem;display:flex;gap:1rem;align-items:center;flex-wrap:wrap}
header.top .brand{font-weight:700;font-size:1.1rem;color:#fff;text-decoration:none;margin-right:auto}
header.top nav a{color:#dfe6f3;text-decoration:none;margin-right:.9rem}
header.top nav a[aria-current=page]{color:#fff;border-bottom:2px solid var(--focus)}
header.top .lang a{color:#dfe6f3;margin-left:.5rem}header.top .lang a[aria-current=true]{color:#fff;font-weight:700}
header.top form{display:inline;margin:0}
header.top .who{color:#dfe6f3;font-size:.9rem}
main{max-width:72rem;margin:0 auto;padding:1.5rem 1.25rem 3rem}
main.narrow{max-width:38rem}
.card{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:1.5rem;box-shadow:0 1px 2px rgba(0,0,0,.04);margin-bottom:1.25rem}
h1{font-size:1.6rem;margin:0 0 .5rem}h2{font-size:1.2rem;margin:1.25rem 0 .5rem}
p.lead{color:var(--muted);margin-top:0}
.field{margin:0 0 1.1rem}
.field label,.field legend{display:block;font-weight:600;margin-bottom:.2rem}
.hint{display:block;color:var(--muted);font-size:.9rem;margin-bottom:.3rem}
.optional{font-weight:400;color:var(--muted);font-size:.9rem}
input[type=text],input[type=email],input[type=password],input[type=number],input[type=search],input[type=datetime-local],select{
width:100%;padding:.55rem .65rem;font:inherit;border:1px solid #9aa3b2;border-radius:6px;background:#fff;color:var(--fg)}
input[aria-invalid=true],select[aria-invalid=true]{border:2px solid var(--err)}
.error-text{display:block;color:var(--err);font-weight:600;margin:.2rem 0}
fieldset{border:1px solid var(--line);border-radius:8px;padding:.75rem 1rem;margin:0 0 1.1rem}
legend{font-weight:600;padding:0 .25rem}
fieldset.plain{border:0;padding:0}
.choice{display:flex;gap:.5rem;align-items:center;margin:.25rem 0}
.row{display:grid;grid-template-columns:repeat(auto-fit,minmax(10rem,1fr));gap:.75rem}
button,.button{display:inline-block;font:inherit;font-weight:600;padding:.6rem 1.1rem;border-radius:6px;border:1px solid var(--accent);
background:var(--accent);color:#fff;cursor:pointer;text-decoration:none}
button:hover,.button:hover{background:var(--accent-dark)}
button.secondary,.button.secondary{background:#fff;color:var(--accent)}
button.danger{background:#fff;color:var(--err);border-color:var(--err)}
button.small{padding:.3rem .6rem;font-size:.9rem}
.notice{border-radius:8px;padding:.9rem 1rem;margin:0 0 1.25rem;border:1px solid}
.notice.ok{background:var(--ok-bg);color:var(--ok);border-color:#a8d8b9}
.notice.error{background:var(--err-bg);color:var(--err);border-color:#f0b4b4}
.notice.warn{background:var(--warn-bg);color:var(--warn);border-color:#f0d48a}
.notice ul{margin:.4rem 0 0;padding-left:1.2rem}.notice a{color:inherit}
.oauth{display:flex;gap:.6rem;flex-wrap:wrap;margin-bottom:.75rem}
table{width:100%;border-collapse:collapse;background:var(--card)}
th,td{text-align:left;padding:.5rem .6rem;border-bottom:1px solid var(--line);vertical-align:top}
th{font-size:.85rem;text-transform:uppercase;letter-spacing:.03em;color:var(--muted)}
td.num{text-align:right}
.toolbar{display:flex;gap:.75rem;align-items:flex-end;flex-wrap:wrap;margin-bottom:1rem}
.toolbar .field{margin:0}
.badge{display:inline-block;padding:.1rem .5rem;border-radius:999px;font-size:.8rem;font-weight:600;background:#e8ecf3}
.badge.pending{background:var(--warn-bg);color:var(--warn)}.badge.applied{background:var(--ok-bg);color:var(--ok)}
.badge.rejected{background:var(--err-bg);color:var(--err)}.badge.open{background:var(--ok-bg);color:var(--ok)}
.badge.closed{background:var(--err-bg);color:var(--err)}
code,pre{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.9em}
pre{white-space:pre-wrap;word-break:break-word;margin:0}
.muted{color:var(--muted)}
.actions{display:flex;gap:.5rem;flex-wrap:wrap;align-items:flex-end}
`;
