import { findCommand } from '../../commands/index.js';
import type { Lang } from '../i18n/locale.js';
import { t } from '../i18n/messages.js';
import { KnowledgeIndex } from '../knowledge/index.js';
import type { ModelRegistry } from '../models/registry.js';

let knowledge: KnowledgeIndex | undefined;

/** What the "explain" button under a result says: the course notes on that network and the model that ran. */
export function explainResult(models: ModelRegistry, command: string, modelId: string | undefined, lang: Lang): string {
  knowledge ??= new KnowledgeIndex();
  const section = knowledge.sections.find((x) => x.demo === command);
  const model = modelId ? models.manifest.models.find((m) => m.id === modelId) : undefined;
  return [
    ...(section ? [`**${section.title[lang]}**`, section.body[lang]] : []),
    ...(model
      ? [
          t(lang, 'explain_model', {
            model: model.id,
            description: model.description,
            licence: model.licence,
            paper: model.paper ?? '',
          }),
        ]
      : []),
    ...(!section && !model ? [t(lang, 'explain_source', { titles: `«${command}»` })] : []),
    ...lookInsideHint(command, lang),
  ].join('\n\n');
}

/** The command's own "show-…" switches (e.g. /generate-text's probabilities and attention), named in the asker's language. */
function lookInsideHint(command: string, lang: Lang): string[] {
  const looks = (findCommand(command)?.options ?? []).filter((o) => o.type === 'boolean' && o.name.startsWith('show-'));
  if (!looks.length) return [];
  return [
    t(lang, 'explain_look_inside', {
      options: looks.map((o) => `${o.texts[lang === 'es' ? 'es-419' : 'en-US'].name}:true`).join(', '),
    }),
  ];
}
