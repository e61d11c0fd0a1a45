// The buttons under a result, shared by the chat adapters: ids carry an action
// and a stored state id (src/store/interaction-state.ts), nothing else.
import { COMMANDS, findCommand, type ToggleButton } from '../../commands/index.js';
import type { MessageKey } from '../i18n/messages.js';
import type { FollowUp } from '../tasks/types.js';

/** 'again', 'explain', 'delete', 'follow', or a toggle button a command's spec declares (e.g. 'blur', 'boxes'). */
export type ButtonAction = string;
/** The buttons every platform draws with a label from the messages file (all but "follow"). */
export type FixedAction = string;

const COMMON = ['again', 'explain', 'delete', 'follow'];
const toggles = (): ToggleButton[] => COMMANDS.flatMap((c) => (c.buttons?.toggle ? [c.buttons.toggle] : []));

/** Message keys of the common button labels (src/i18n/messages.ts); "follow" buttons carry the task's own label. */
export const BUTTON_LABELS = { again: 'button_again', explain: 'button_explain', delete: 'button_delete' } as const;

/** A button's label: the message `button_<action>` (a toggle's names follow the same rule). */
export const buttonLabel = (action: FixedAction) => `button_${action}` as MessageKey;

export const customId = (action: ButtonAction, stateId: string) => `sx:${action}:${stateId}`;

export function parseCustomId(id: string): { action: ButtonAction; stateId: string } | undefined {
  const m = /^sx:([a-z-]+):([\w-]+)$/.exec(id);
  if (!m || !(COMMON.includes(m[1]!) || toggles().some((t) => t.on === m[1] || t.off === m[1]))) return undefined;
  return { action: m[1]!, stateId: m[2]! };
}

/**
 * Which buttons a result gets: the command's toggle (from its spec) when it has one, else
 * "again" (not when the task offers its own follow-ups); explain and delete always.
 */
export function buttonActions(command: string, options: Record<string, unknown>, hasFollowUps = false): FixedAction[] {
  const toggle = findCommand(command)?.buttons?.toggle;
  const first: FixedAction = toggle ? (options[toggle.option] === true ? toggle.off : toggle.on) : 'again';
  return hasFollowUps && first === 'again' ? ['explain', 'delete'] : [first, 'explain', 'delete'];
}

/** Platform limits on a button: 5 per row, a label of at most 75 characters (Slack; Discord allows 80). */
export const MAX_FOLLOW_UPS = 5;

/**
 * The task's follow-up buttons (e.g. /explain's "más simple"): each re-runs the
 * same command with its own options, saved as its own state so the id stays short.
 */
export function followUpButtons(
  followUps: readonly FollowUp[] | undefined,
  save: (options: Record<string, unknown>) => Promise<string>,
): Promise<{ label: string; id: string }[]> {
  return Promise.all(
    (followUps ?? []).slice(0, MAX_FOLLOW_UPS).map(async (f) => ({
      label: f.label.length > 75 ? `${f.label.slice(0, 74)}…` : f.label,
      id: customId('follow', await save(f.options)),
    })),
  );
}

/** The options a re-run uses: a toggle's option turned on or off, or a fresh seed for "again". */
export function rerunOptions(action: ButtonAction, options: Record<string, unknown>): Record<string, unknown> {
  const next = { ...options };
  for (const t of toggles()) {
    if (action === t.on) next[t.option] = true;
    if (action === t.off) next[t.option] = false;
  }
  if (action === 'again' && 'seed' in next) next.seed = Math.floor(Math.random() * 2 ** 31);
  return next;
}
