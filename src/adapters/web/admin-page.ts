import type { AdminSpec } from '../../../commands/spec.js';
import type { AdminResult } from '../../core/admin.js';
import { specLocale, type Lang } from '../../i18n/locale.js';
import { esc, field, layout } from './pages.js';

const UI = {
  en: {
    title: 'Sinapsis — moderation',
    where: 'Server and channel IDs (empty server: the rules for everywhere, the web playground and the CLI)',
    server: 'Server ID',
    channel: 'Channel ID',
    show: 'Show',
    apply: 'Apply',
  },
  es: {
    title: 'Sinapsis — moderación',
    where: 'IDs de servidor y canal (servidor vacío: las reglas para todos lados, el área de pruebas web y la CLI)',
    server: 'ID del servidor',
    channel: 'ID del canal',
    show: 'Ver',
    apply: 'Aplicar',
  },
};

/** The moderators' page: the status of a server, then one form per admin subcommand, generated from the admin spec. */
export function adminPage(
  spec: AdminSpec,
  lang: Lang,
  view: { server: string; channel: string; status: AdminResult; csrf: string; notice?: string },
): string {
  const ui = UI[lang];
  const loc = specLocale(lang);
  const hidden = `<input type="hidden" name="server" value="${esc(view.server)}"><input type="hidden" name="channel" value="${esc(view.channel)}"><input type="hidden" name="csrf" value="${esc(view.csrf)}">`;
  const forms = spec.subcommands
    .filter((sub) => sub.name !== 'status')
    .map(
      (sub) => `<section><h2>${esc(sub.texts[loc].name)}</h2><small>${esc(sub.texts[loc].description)}</small>
<form id="form-${sub.name}" method="post" action="/admin/${sub.name}?lang=${lang}">${hidden}${sub.options.map((o) => field(o, lang, sub.name)).join('')}<button type="submit">${esc(ui.apply)}</button></form></section>`,
    )
    .join('\n');
  const body = `<h1>${esc(ui.title)}</h1><p>${esc(spec.help[loc])}</p>
${view.notice ? `<p id="notice" class="text">${esc(view.notice)}</p>` : ''}
<form id="where" method="get" action="/admin"><input type="hidden" name="lang" value="${lang}"><small>${esc(ui.where)}</small>
<label for="server">${esc(ui.server)}</label><input id="server" name="server" type="text" value="${esc(view.server)}">
<label for="channel">${esc(ui.channel)}</label><input id="channel" name="channel" type="text" value="${esc(view.channel)}">
<button type="submit">${esc(ui.show)}</button></form>
<pre id="status" class="text">${esc(view.status.text.replace(/\*\*(.+?)\*\*/g, '$1'))}</pre>
${forms}`;
  return layout(lang, ui.title, body, '/admin');
}
