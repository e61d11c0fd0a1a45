import { COMMANDS } from '../../../commands/index.js';
import type { CommandSpec, OptionSpec } from '../../../commands/spec.js';
import { specLocale, type Lang } from '../../i18n/locale.js';
import { TASKS } from '../../tasks/index.js';

export const esc = (s: unknown) =>
  String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

const UI = {
  en: { title: 'Sinapsis playground', intro: 'Try the networks of the course. Everything runs on this server; nothing is sent elsewhere.', run: 'Run', running: 'Working…', soon: 'not available yet', auto: '(automatic)', result: 'Result', other: 'Español', otherLang: 'es', back: 'All commands', failed: 'Request failed' },
  es: { title: 'Sinapsis: área de pruebas', intro: 'Probá las redes del curso. Todo corre en este servidor; nada se envía a otro lado.', run: 'Ejecutar', running: 'Procesando…', soon: 'todavía no disponible', auto: '(automático)', result: 'Resultado', other: 'English', otherLang: 'en', back: 'Todos los comandos', failed: 'El pedido falló' },
};

const STYLE = `body{font-family:system-ui,sans-serif;max-width:52rem;margin:2rem auto;padding:0 1rem;color:#222}
a{color:#0a58ca}label{display:block;margin:.8rem 0 .2rem;font-weight:600}small{display:block;color:#666}
input[type=text],input[type=number],textarea,select{width:100%;padding:.4rem;box-sizing:border-box}
button{margin-top:1rem;padding:.5rem 1.2rem;font-size:1rem}#result{margin-top:1.5rem}
#result img{max-width:100%;border:1px solid #ccc;margin-top:.5rem}.text{white-space:pre-wrap;background:#f5f5f5;padding:.8rem;line-height:1.45}
.error{background:#fde8e8;color:#8a1c1c;padding:.8rem}nav a{margin-right:1rem}.soon{color:#999}`;

export function layout(lang: Lang, title: string, body: string, path: string): string {
  const ui = UI[lang];
  return `<!doctype html><html lang="${lang}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${esc(title)}</title><style>${STYLE}</style></head><body>
<nav><a href="/?lang=${lang}">${esc(ui.back)}</a><a href="${esc(path)}?lang=${ui.otherLang}">${esc(ui.other)}</a></nav>
${body}</body></html>`;
}

export function field(o: OptionSpec, lang: Lang, idPrefix = 'opt'): string {
  const text = o.texts[specLocale(lang)];
  const id = `${idPrefix}-${o.name}`;
  const label = `<label for="${id}">${esc(text.name)}${o.required ? ' *' : ''}</label><small>${esc(text.description)}</small>`;
  const req = o.required ? ' required' : '';
  switch (o.type) {
    case 'image':
      return `${label}<input id="${id}" name="${o.name}" type="file" accept="${o.formats.map((f) => `image/${f}`).join(',')}"${req}>`;
    case 'boolean':
      return `<label><input id="${id}" name="${o.name}" type="checkbox" value="true"${o.default ? ' checked' : ''}> ${esc(text.name)}</label><small>${esc(text.description)}</small>`;
    case 'integer':
    case 'number':
      return `${label}<input id="${id}" name="${o.name}" type="number" min="${o.min}" max="${o.max}" step="${o.type === 'integer' ? 1 : 'any'}" value="${o.default ?? ''}"${req}>`;
    case 'string':
      if (o.choices) {
        const opts = o.choices.map((c) => `<option value="${esc(c)}"${c === o.default ? ' selected' : ''}>${esc(c)}</option>`);
        return `${label}<select id="${id}" name="${o.name}">${o.required ? '' : `<option value="">${esc(UI[lang].auto)}</option>`}${opts.join('')}</select>`;
      }
      return o.maxLength > 200
        ? `${label}<textarea id="${id}" name="${o.name}" rows="4" maxlength="${o.maxLength}"${req}>${esc(o.default ?? '')}</textarea>`
        : `${label}<input id="${id}" name="${o.name}" type="text" maxlength="${o.maxLength}" value="${esc(o.default ?? '')}"${req}>`;
  }
}

// Sends the form as multipart, leaving out empty fields so defaults apply, and shows text, images or the error.
const SCRIPT = (lang: Lang) => `<script>
// **bold** as <strong>, everything else as plain text (never as HTML).
const bold=(el,text)=>text.split(/\\*\\*(.+?)\\*\\*/g).forEach((part,i)=>{if(i%2){const b=document.createElement('strong');b.textContent=part;el.append(b);}else el.append(document.createTextNode(part));});
const form=document.getElementById('form'),out=document.getElementById('result'),btn=form.querySelector('button');
// A follow-up (e.g. "Más simple") fills the form with its options, clears the other text fields, and runs it.
const followUps=(list)=>{if(!list.length)return;const d=document.createElement('div');d.id='follow-ups';for(const f of list){const b=document.createElement('button');b.type='button';b.className='follow-up';b.textContent=f.label;
b.onclick=()=>{for(const el of form.elements){if(!el.name||el.type==='file'||el.type==='submit')continue;const v=f.options[el.name];if(el.type==='checkbox')el.checked=v===true;else el.value=v===undefined?'':String(v);}form.requestSubmit();};d.append(b);}out.append(d);};
form.addEventListener('submit',async(ev)=>{ev.preventDefault();const fd=new FormData();
for(const [k,v] of new FormData(form)){if(v instanceof File?v.size>0:v!=='')fd.append(k,v);}
btn.disabled=true;out.innerHTML='<p>'+${JSON.stringify(UI[lang].running)}+'</p>';
try{const r=await fetch(form.action,{method:'POST',body:fd});
const j=await r.json();out.innerHTML='';
if(j.error){const d=document.createElement('div');d.className='error';d.id='error';d.textContent=j.error.message;out.append(d);}
else{const h=document.createElement('h2');h.textContent=${JSON.stringify(UI[lang].result)};const p=document.createElement('div');p.id='result-text';p.className='text';bold(p,j.text);out.append(h,p);
for(const im of j.images){const i=document.createElement('img');i.className='result-image';i.alt=im.alt;i.src='data:'+im.mime+';base64,'+im.base64;out.append(i);}
followUps(j.follow_ups||[]);}}
catch(e){out.innerHTML='';const d=document.createElement('div');d.className='error';d.id='error';d.textContent=${JSON.stringify(UI[lang].failed)}+': '+e;out.append(d);}
finally{btn.disabled=false;}});
</script>`;

export function commandPage(spec: CommandSpec, lang: Lang): string {
  const loc = specLocale(lang);
  const available = Boolean(TASKS[spec.task]);
  const body = `<h1>/${esc(spec.texts[loc].name)}</h1><p>${esc(spec.texts[loc].description)}</p><p>${esc(spec.help[loc])}</p>
${available ? '' : `<p class="soon">${esc(UI[lang].soon)}</p>`}
<form id="form" action="/api/commands/${spec.name}?lang=${lang}" method="post" enctype="multipart/form-data">
${spec.options.map((o) => field(o, lang)).join('\n')}
<button type="submit">${esc(UI[lang].run)}</button></form><div id="result"></div>${SCRIPT(lang)}`;
  return layout(lang, `/${spec.texts[loc].name} · Sinapsis`, body, `/c/${spec.name}`);
}

export function indexPage(lang: Lang): string {
  const ui = UI[lang];
  const loc = specLocale(lang);
  const items = COMMANDS.map((c) => {
    const soon = TASKS[c.task] ? '' : ` <span class="soon">(${esc(ui.soon)})</span>`;
    return `<li><a href="/c/${c.name}?lang=${lang}">/${esc(c.texts[loc].name)}</a> — ${esc(c.texts[loc].description)}${soon}</li>`;
  });
  return layout(lang, ui.title, `<h1>${esc(ui.title)}</h1><p>${esc(ui.intro)}</p><ul>${items.join('')}</ul>`, '/');
}
