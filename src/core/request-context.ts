import type { Lang } from '../i18n/locale.js';
import type { GateContext } from './gate.js';

/** Who asks, where, and in which language: what every request carries from its adapter. */
export interface RequestContext extends GateContext {
  lang: Lang;
  /** Whether `lang` is the user's own (platform locale, browser, --lang) or only a fallback. */
  langSource?: 'platform' | 'default';
  /** Model override (manifest id or, from the CLI only, a local folder). */
  model?: string;
  /**
   * What the adapter needs to answer this job after a restart (Discord: application id and
   * interaction token). Kept only while the job is unanswered.
   */
  reply?: Record<string, unknown>;
}
