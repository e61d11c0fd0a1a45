import { COMMANDS, hasTask } from '../../commands/index.js';
import type { Lang } from '../i18n/locale.js';
import { t, type MessageKey } from '../i18n/messages.js';
import type { ModelRegistry, ModelState } from '../models/registry.js';

/** Whether a command can run now, told before anyone presses Run. */
export interface CommandAvailability {
  command: string;
  state: 'installed' | 'download' | 'unavailable';
  /** Bytes still to download before the first answer (state 'download'). */
  bytes: number | null;
  reason?: ModelState['reason'];
  models: ModelState[];
}

const RANK = { installed: 0, download: 1, unavailable: 2 } as const;

/** Per command: its models' states (disk and locks only, no network), combined as the command needs them. */
export function commandAvailability(models: ModelRegistry): CommandAvailability[] {
  return COMMANDS.filter(hasTask).map((spec) => {
    // The spec says which kinds of model its task loads; the registry which one of each (setting or manifest).
    const need = spec.models?.need ?? 'optional';
    const states = (spec.models?.uses ?? []).flatMap((use) =>
      models.refsFor(use.task).map((ref) => models.state(ref, use.task)),
    );
    if (need === 'optional' || !states.length)
      return { command: spec.name, state: 'installed', bytes: null, models: states };
    const sorted = [...states].sort((a, b) => RANK[a.state] - RANK[b.state]);
    const pick = need === 'any' ? sorted[0]! : sorted.at(-1)!;
    const bytes =
      pick.state === 'download'
        ? need === 'any'
          ? pick.bytes
          : states.reduce((n, s) => n + (s.state === 'download' ? (s.bytes ?? 0) : 0), 0) || null
        : null;
    return {
      command: spec.name,
      state: pick.state,
      bytes,
      ...(pick.reason ? { reason: pick.reason } : {}),
      models: states,
    };
  });
}

/** One line for people: "Listo", "Descarga su modelo la primera vez que se usa (113 MB)", or why not and the fix. */
export function describeAvailability(a: Pick<CommandAvailability, 'state' | 'bytes' | 'reason'>, lang: Lang): string {
  if (a.state === 'installed') return t(lang, 'model_state_installed');
  if (a.state === 'download')
    return t(lang, 'model_state_download', { mb: a.bytes ? Math.max(1, Math.round(a.bytes / 1e6)) : '' });
  const reason = a.reason ? t(lang, `availability_${a.reason.code}` as MessageKey, a.reason.params) : '';
  return `${t(lang, 'model_state_unavailable')}${reason ? `. ${reason}` : ''}`;
}

/** `models status --json` and the start-up log: one row per command and model. */
export function modelStatusRows(all: CommandAvailability[]) {
  return all.flatMap((a) =>
    a.models.map((m) => ({
      command: a.command,
      model: m.model,
      repo: m.repo,
      commit: m.commit,
      state: m.state,
      bytes: m.bytes,
      licence: m.licence,
      locked_by: m.locked_by,
      ...(m.reason ? { reason: m.reason.code } : {}),
      ...(m.warnings ? { warnings: m.warnings } : {}),
    })),
  );
}
