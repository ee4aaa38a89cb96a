"""The demo page's style sheet: Slack's look (Lato-like type, aubergine header, message and
modal cards), inline in the page so that it reads offline."""

CSS = """
*{box-sizing:border-box}
body{margin:0;font:15px/1.46668 -apple-system,"Segoe UI",Lato,Helvetica,Arial,sans-serif;
color:#1d1c1d;background:#f8f8f8}
header{background:#3f0e40;color:#fff;padding:14px 24px}
header h1{margin:0;font-size:18px} header p{margin:4px 0 0;opacity:.8;font-size:13px}
main{max-width:860px;margin:0 auto;padding:16px 24px 48px}
h2.step{font-size:14px;text-transform:uppercase;letter-spacing:.04em;color:#616061;
margin:28px 0 8px;border-bottom:1px solid #ddd;padding-bottom:4px}
.scene{background:#fff;border:1px solid #e2e2e2;border-radius:8px;margin:10px 0;overflow:hidden}
.where{background:#f4ede4;padding:6px 12px;font-size:13px;color:#616061}
.where b{color:#1d1c1d}
.msg{display:flex;gap:10px;padding:10px 14px}
.avatar{flex:none;width:36px;height:36px;border-radius:6px;background:#2eb67d;color:#fff;
font-weight:700;display:flex;align-items:center;justify-content:center}
.avatar.person{background:#1264a3}
.msg-body{flex:1;min-width:0}
.author{font-weight:900} .app{font-size:10px;background:#e8e8e8;color:#616061;padding:1px 3px;
border-radius:2px;font-weight:700;vertical-align:middle}
.note{font-weight:400;color:#616061;font-size:13px}
.section{margin:4px 0} .with-accessory{display:flex;justify-content:space-between;gap:12px}
.fields{display:grid;grid-template-columns:1fr 1fr;gap:8px 16px;margin-top:6px}
.context{color:#616061;font-size:13px;margin:6px 0}
.actions{display:flex;flex-wrap:wrap;gap:8px;margin:8px 0}
.btn{font:inherit;font-size:14px;font-weight:700;padding:3px 12px;border:1px solid #bbb;
border-radius:4px;background:#fff;color:#1d1c1d}
.btn.primary{background:#007a5a;border-color:#007a5a;color:#fff}
.btn.danger{background:#fff;border-color:#e01e5a;color:#e01e5a}
code{font:12px Monaco,Menlo,Consolas,monospace;color:#e01e5a;background:#f7f7f9;
border:1px solid #e1e1e8;border-radius:3px;padding:1px 3px}
pre{font:12px/1.5 Monaco,Menlo,Consolas,monospace;background:#f7f7f9;border:1px solid #e1e1e8;
border-radius:4px;padding:8px;white-space:pre-wrap;margin:4px 0}
blockquote{margin:4px 0;padding-left:10px;border-left:4px solid #ddd}
.mention{background:#e8f5fa;color:#1264a3;border-radius:3px;padding:0 2px}
a{color:#1264a3}
h3{font-size:18px;margin:6px 0}
hr{border:0;border-top:1px solid #e2e2e2}
.modal{max-width:520px;margin:12px auto;border-radius:8px;box-shadow:0 4px 12px rgba(0,0,0,.2);
background:#fff}
.modal-title{font-weight:900;font-size:20px;padding:14px 20px;border-bottom:1px solid #e2e2e2}
.modal-body{padding:10px 20px} .modal-foot{display:flex;justify-content:flex-end;gap:8px;
padding:12px 20px;border-top:1px solid #e2e2e2}
.input{margin:12px 0} .input label{display:block;font-weight:700;margin-bottom:4px}
.field{border:1px solid #bbb;border-radius:4px;padding:6px 10px;min-height:34px;color:#1d1c1d}
.field i,.muted{color:#868686} .area{min-height:70px} .drop{border-style:dashed;text-align:center}
.hint{color:#616061;font-size:13px;margin-top:4px}
.choices div{margin:2px 0}
.error{color:#e01e5a;font-size:13px;margin:-6px 0 8px}
.email{padding:10px 14px} .email table{border-collapse:collapse;margin-bottom:8px}
.email th{text-align:left;color:#616061;padding:2px 12px 2px 0;font-weight:400}
.email pre{background:#fff;border:0;font-size:13px;padding:0}
.plain{padding:10px 14px;white-space:pre-wrap}
"""
