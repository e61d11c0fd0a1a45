// The buttons under a result, shared by the chat adapters: ids carry an action
// and a stored state id (src/store/interaction-state.ts), nothing else.
import type { FollowUp } from '../tasks/types.js';

export type ButtonAction = 'again' | 'blur' | 'boxes' | 'explain' | 'delete' | 'follow';
/** The buttons every platform draws with a fixed label. */
export type FixedAction = Exclude<ButtonAction, 'follow'>;

/** Message keys of the button labels (src/i18n/messages.ts); "follow" buttons carry the task's own label. */
export const BUTTON_LABELS = { again: 'button_again', blur: 'button_blur', boxes: 'button_boxes', explain: 'button_explain', delete: 'button_delete' } as const;

export const customId = (action: ButtonAction, stateId: string) => `sx:${action}:${stateId}`;

export function parseCustomId(id: string): { action: ButtonAction; stateId: string } | undefined {
  const m = /^sx:(again|blur|boxes|explain|delete|follow):([\w-]+)$/.exec(id);
  return m ? { action: m[1] as ButtonAction, stateId: m[2]! } : undefined;
}

/**
 * Which buttons a result gets: blur/boxes toggle for faces, "again" elsewhere
 * (not when the task offers its own follow-ups); explain and delete always.
 */
export function buttonActions(command: string, options: Record<string, unknown>, hasFollowUps = false): FixedAction[] {
  const first: FixedAction = command === 'detect-faces' ? (options.blur === true ? 'boxes' : 'blur') : 'again';
  return hasFollowUps && first === 'again' ? ['explain', 'delete'] : [first, 'explain', 'delete'];
}

/** Platform limits on a button: 5 per row, a label of at most 75 characters (Slack; Discord allows 80). */
export const MAX_FOLLOW_UPS = 5;

/**
 * The task's follow-up buttons (e.g. /explain's "más simple"): each re-runs the
 * same command with its own options, saved as its own state so the id stays short.
 */
export function followUpButtons(followUps: readonly FollowUp[] | undefined, save: (options: Record<string, unknown>) => string): { label: string; id: string }[] {
  return (followUps ?? []).slice(0, MAX_FOLLOW_UPS).map((f) => ({ label: f.label.length > 75 ? `${f.label.slice(0, 74)}…` : f.label, id: customId('follow', save(f.options)) }));
}

/** The options a re-run uses: blur toggled, or a fresh seed for "again". */
export function rerunOptions(action: ButtonAction, options: Record<string, unknown>): Record<string, unknown> {
  const next = { ...options };
  if (action === 'blur') next.blur = true;
  if (action === 'boxes') next.blur = false;
  if (action === 'again' && 'seed' in next) next.seed = Math.floor(Math.random() * 2 ** 31);
  return next;
}
