// The buttons under a result, shared by the chat adapters: ids carry an action
// and a stored state id (src/store/interaction-state.ts), nothing else.
export type ButtonAction = 'again' | 'blur' | 'boxes' | 'explain' | 'delete';

/** Message keys of the button labels (src/i18n/messages.ts). */
export const BUTTON_LABELS = { again: 'button_again', blur: 'button_blur', boxes: 'button_boxes', explain: 'button_explain', delete: 'button_delete' } as const;

export const customId = (action: ButtonAction, stateId: string) => `sx:${action}:${stateId}`;

export function parseCustomId(id: string): { action: ButtonAction; stateId: string } | undefined {
  const m = /^sx:(again|blur|boxes|explain|delete):([\w-]+)$/.exec(id);
  return m ? { action: m[1] as ButtonAction, stateId: m[2]! } : undefined;
}

/** Which buttons a result gets: blur/boxes toggle for faces, "again" elsewhere; explain and delete always. */
export function buttonActions(command: string, options: Record<string, unknown>): ButtonAction[] {
  const first: ButtonAction = command === 'detect-faces' ? (options.blur === true ? 'boxes' : 'blur') : 'again';
  return [first, 'explain', 'delete'];
}

/** The options a re-run uses: blur toggled, or a fresh seed for "again". */
export function rerunOptions(action: ButtonAction, options: Record<string, unknown>): Record<string, unknown> {
  const next = { ...options };
  if (action === 'blur') next.blur = true;
  if (action === 'boxes') next.blur = false;
  if (action === 'again' && 'seed' in next) next.seed = Math.floor(Math.random() * 2 ** 31);
  return next;
}
