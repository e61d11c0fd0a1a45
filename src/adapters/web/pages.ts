import { COMMANDS, hasTask } from '../../../commands/index.js';
import { SAMPLE_OPTION } from '../../../commands/sample-option.js';
import type { CommandSpec, OptionSpec } from '../../../commands/spec.js';
import { specLocale, type Lang } from '../../i18n/locale.js';
import { describeAvailability, type CommandAvailability } from '../../core/availability.js';
import { findSample } from '../../samples/index.js';
import { assetUrl } from './playground.js';

export const esc = (s: unknown) =>
  String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** The page's own words; the script's strings travel in data-ui (see assets/app.js). */
const UI = {
  en: {
    title: 'Sinapsis playground',
    intro: 'Try the networks of the course. Everything runs on this server; nothing is sent elsewhere.',
    run: 'Run',
    soon: 'not available yet',
    auto: '(automatic)',
    result: 'Result',
    other: 'Español',
    otherLang: 'es',
    back: 'All commands',
    skip: 'Skip to content',
    nav: 'Pages',
    examples: 'Try an example',
    examplesHint: 'One click fills the form and runs it.',
    choose: 'Choose a photo',
    camera: 'Take a photo',
    dropHow: 'Drag a photo here, paste it (Ctrl+V) or',
    required: 'required',
    howItWorks: 'How it works',
    resultEmpty: 'The result appears here.',
    cancel: 'Cancel',
    credits: 'Sample photos: NASA (public domain) and CC0 photos from scikit-image;',
    creditsLink: 'sources and licences',
    notFound: 'Page not found',
    notFoundText: 'There is no page at this address. These are the pages there are:',
    commands: 'Commands',
  },
  es: {
    title: 'Sinapsis: área de pruebas',
    intro: 'Probá las redes del curso. Todo corre en este servidor; nada se envía a otro lado.',
    run: 'Ejecutar',
    soon: 'todavía no disponible',
    auto: '(automático)',
    result: 'Resultado',
    other: 'English',
    otherLang: 'en',
    back: 'Todos los comandos',
    skip: 'Saltar al contenido',
    nav: 'Páginas',
    examples: 'Probá un ejemplo',
    examplesHint: 'Un clic completa el formulario y lo ejecuta.',
    choose: 'Elegir una foto',
    camera: 'Sacar una foto',
    dropHow: 'Arrastrá una foto acá, pegala (Ctrl+V) o',
    required: 'obligatorio',
    howItWorks: 'Cómo funciona',
    resultEmpty: 'El resultado aparece acá.',
    cancel: 'Cancelar',
    credits: 'Fotos de ejemplo: NASA (dominio público) y fotos CC0 de scikit-image;',
    creditsLink: 'origen y licencias',
    notFound: 'No existe esta página',
    notFoundText: 'No hay ninguna página en esta dirección. Estas son las que hay:',
    commands: 'Comandos',
  },
};

/** Strings the script needs, in the page's language ({n} is replaced). */
const SCRIPT_UI = {
  en: {
    sending: 'Sending…',
    queued: 'Waiting in line: position {n}',
    running: 'Working… {s}',
    done: 'Done in {s}',
    cancelled: 'Cancelled.',
    cancelling: 'Cancelling…',
    failed: 'The request failed',
    remove: 'Remove',
    download: 'Download',
    showLines: 'Show all {n} lines',
    notImage: 'That is not an image (JPEG, PNG or WebP).',
    downloading: 'Downloading the model{name}… {p}',
    chosen: 'Chosen photo',
    you: 'Your text',
    needImage: 'Choose, drop or paste a photo first.',
    reconnecting: 'The connection was lost: reconnecting to your request…',
  },
  es: {
    sending: 'Enviando…',
    queued: 'Esperando turno: posición {n}',
    running: 'Procesando… {s}',
    done: 'Listo en {s}',
    cancelled: 'Cancelado.',
    cancelling: 'Cancelando…',
    failed: 'El pedido falló',
    remove: 'Quitar',
    download: 'Descargar',
    showLines: 'Ver las {n} líneas',
    notImage: 'Eso no es una imagen (JPEG, PNG o WebP).',
    downloading: 'Descargando el modelo{name}… {p}',
    chosen: 'Foto elegida',
    you: 'Tu texto',
    needImage: 'Primero elegí, arrastrá o pegá una foto.',
    reconnecting: 'Se cortó la conexión: reconectando con tu pedido…',
  },
};

export function layout(lang: Lang, title: string, body: string, path: string): string {
  const ui = UI[lang];
  return `<!doctype html><html lang="${lang}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${esc(title)}</title><link rel="icon" href="/favicon.ico" type="image/svg+xml"><link rel="stylesheet" href="${assetUrl('app.css')}"><script src="${assetUrl('app.js')}" defer></script></head><body>
<a class="skip" href="#main">${esc(ui.skip)}</a>
<header><nav aria-label="${esc(ui.nav)}"><a href="/?lang=${lang}">${esc(ui.back)}</a><a href="${esc(path)}?lang=${ui.otherLang}" hreflang="${ui.otherLang}" lang="${ui.otherLang}">${esc(ui.other)}</a></nav></header>
<main id="main" tabindex="-1">
${body}</main></body></html>`;
}

/** The label a form shows: the spec's human label, else its option name. */
const labelOf = (o: OptionSpec, lang: Lang) => o.texts[specLocale(lang)].label ?? o.texts[specLocale(lang)].name;

export function field(o: OptionSpec, lang: Lang, idPrefix = 'opt'): string {
  const text = o.texts[specLocale(lang)];
  const id = `${idPrefix}-${o.name}`;
  const hint = `${id}-hint`;
  const star = o.required ? ` <abbr title="${esc(UI[lang].required)}">*</abbr>` : '';
  const label = `<label for="${id}">${esc(labelOf(o, lang))}${star}</label><small id="${hint}">${esc(text.description)}</small>`;
  const req = o.required ? ' required' : '';
  const described = ` aria-describedby="${hint}"`;
  switch (o.type) {
    case 'image': {
      const accept = o.formats.map((f) => `image/${f}`).join(',');
      const ui = UI[lang];
      // The native input stays in the page (visually hidden) so keyboards and screen readers reach it;
      // the required check is the script's (a dropped or pasted photo never reaches input.files).
      return `<div class="field image-field" data-image="${o.name}">${label}
<div class="drop"><p class="drop-how">${esc(ui.dropHow)}</p>
<label class="button" for="${id}">${esc(ui.choose)}</label><label class="button camera" for="${id}-camera">${esc(ui.camera)}</label>
<input id="${id}" class="sr-only" name="${o.name}" type="file" accept="${accept}"${described}${o.required ? ' aria-required="true"' : ''}>
<input id="${id}-camera" class="sr-only camera" type="file" accept="image/*" capture="environment" tabindex="-1" aria-hidden="true" data-for="${o.name}">
<div class="preview" hidden><img alt="" width="96" height="96"><span class="meta"></span><button type="button" class="remove">${esc(SCRIPT_UI[lang].remove)}</button></div></div></div>`;
    }
    case 'boolean':
      return `<div class="field check"><input id="${id}" name="${o.name}" type="checkbox" value="true"${o.default ? ' checked' : ''}${described}><label for="${id}">${esc(labelOf(o, lang))}</label><small id="${hint}">${esc(text.description)}</small></div>`;
    case 'integer':
    case 'number':
      return `<div class="field">${label}<input id="${id}" name="${o.name}" type="number" min="${o.min}" max="${o.max}" step="${o.type === 'integer' ? 1 : 'any'}" value="${o.default ?? ''}"${req}${described}></div>`;
    case 'string':
      if (o.choices) {
        const opts = o.choices.map(
          (c) => `<option value="${esc(c)}"${c === o.default ? ' selected' : ''}>${esc(c)}</option>`,
        );
        return `<div class="field">${label}<select id="${id}" name="${o.name}"${described}>${o.required ? '' : `<option value="">${esc(UI[lang].auto)}</option>`}${opts.join('')}</select></div>`;
      }
      return o.maxLength > 200
        ? `<div class="field">${label}<textarea id="${id}" name="${o.name}" rows="4" maxlength="${o.maxLength}"${req}${described}>${esc(o.default ?? '')}</textarea></div>`
        : `<div class="field">${label}<input id="${id}" name="${o.name}" type="text" maxlength="${o.maxLength}" value="${esc(o.default ?? '')}"${req}${described}></div>`;
  }
}

function examples(spec: CommandSpec, lang: Lang): string {
  const list = spec.examples?.[specLocale(lang)] ?? [];
  if (!list.length) return '';
  const ui = UI[lang];
  const items = list.map((e) => {
    const sample = e.sample ? findSample(e.sample) : undefined;
    const data = JSON.stringify({
      options: e.options ?? {},
      sample: sample ? { url: `/samples/${sample.id}.jpg`, name: sample.file } : undefined,
    });
    const thumb = sample ? `<img src="/samples/${sample.id}.thumb.jpg" alt="" width="48" height="48">` : '';
    return `<li><button type="button" class="example" data-example="${esc(data)}">${thumb}<span>${esc(e.label)}</span></button></li>`;
  });
  return `<section class="examples" aria-labelledby="examples-title"><h2 id="examples-title">${esc(ui.examples)}</h2><p class="hint">${esc(ui.examplesHint)}</p><ul>${items.join('')}</ul></section>`;
}

/** Whether the command can run, said before Run: ready, a first-use download of N MB, or unavailable with the reason and fix. */
function availabilityNote(a: CommandAvailability | undefined, lang: Lang): string {
  if (!a || a.state === 'installed') return '';
  return `<p id="availability" class="availability ${a.state}" role="status">${esc(describeAvailability(a, lang))}</p>`;
}

export function commandPage(spec: CommandSpec, lang: Lang, availability?: CommandAvailability): string {
  const loc = specLocale(lang);
  const ui = UI[lang];
  const available = hasTask(spec);
  // A command whose photo is its input shows the picture first; a text answer (/explain) comes first otherwise.
  const imageFirst = spec.options.some((o) => o.type === 'image' && o.required);
  const body = `<h1>/${esc(spec.texts[loc].name)}</h1><p class="lead">${esc(spec.texts[loc].description)}</p>
${available ? availabilityNote(availability, lang) : `<p class="soon">${esc(ui.soon)}</p>`}
<details class="help"><summary>${esc(ui.howItWorks)}</summary><p>${esc(spec.help[loc])}</p></details>
<div class="layout"><div class="inputs">
${examples(spec, lang)}
<form id="form" action="/api/commands/${spec.name}?lang=${lang}" method="post" enctype="multipart/form-data" data-stream="/api/commands/${spec.name}/stream?lang=${lang}" data-ui="${esc(JSON.stringify(SCRIPT_UI[lang]))}"${spec.continues ? ` data-continues="${esc(spec.continues)}"` : ''}${imageFirst ? ' data-image-first="1"' : ''}>
${spec.options
  .filter((o) => o.name !== SAMPLE_OPTION)
  .map((o) => field(o, lang))
  .join('\n')}
<div class="actions"><button type="submit" id="run"${availability?.state === 'unavailable' && availability.reason?.code !== 'last_download_failed' ? ' disabled' : ''}>${esc(ui.run)}</button><button type="button" id="cancel" class="secondary" hidden>${esc(ui.cancel)}</button></div></form></div>
<section class="output" aria-labelledby="result-title"><h2 id="result-title">${esc(ui.result)}</h2>
<div id="status" role="status" aria-live="polite"></div><div id="result" aria-live="polite"><p class="placeholder">${esc(ui.resultEmpty)}</p></div></section></div>
${spec.examples && Object.values(spec.examples).some((l) => l.some((e) => e.sample)) ? `<p class="credits">${esc(ui.credits)} <a href="/samples/SOURCES.md">${esc(ui.creditsLink)}</a>.</p>` : ''}`;
  return layout(lang, `/${spec.texts[loc].name} · Sinapsis`, body, `/c/${spec.name}`);
}

function commandList(lang: Lang, availability: CommandAvailability[] = []): string {
  const ui = UI[lang];
  const loc = specLocale(lang);
  const items = COMMANDS.map((c) => {
    const a = availability.find((x) => x.command === c.name);
    const state =
      a && a.state !== 'installed'
        ? ` <span class="state ${a.state}" data-state="${a.state}">(${esc(describeAvailability(a, lang))})</span>`
        : '';
    const soon = hasTask(c) ? state : ` <span class="soon">(${esc(ui.soon)})</span>`;
    return `<li><a href="/c/${c.name}?lang=${lang}">/${esc(c.texts[loc].name)}</a> — ${esc(c.texts[loc].description)}${soon}</li>`;
  });
  return `<ul class="commands">${items.join('')}</ul>`;
}

export function indexPage(lang: Lang, availability: CommandAvailability[] = []): string {
  const ui = UI[lang];
  return layout(
    lang,
    ui.title,
    `<h1>${esc(ui.title)}</h1><p class="lead">${esc(ui.intro)}</p><h2>${esc(ui.commands)}</h2>${commandList(lang, availability)}`,
    '/',
  );
}

/** The HTML answer for an address that is no page (the API keeps its JSON errors). */
export function notFoundPage(lang: Lang): string {
  const ui = UI[lang];
  return layout(
    lang,
    `${ui.notFound} · Sinapsis`,
    `<h1>${esc(ui.notFound)}</h1><p>${esc(ui.notFoundText)}</p>${commandList(lang)}`,
    '/',
  );
}
