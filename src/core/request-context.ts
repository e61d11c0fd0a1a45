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
  /**
   * Per image option, how to fetch it again after a restart (Discord attachment URL, Slack file
   * URL): kept with the accepted job so that it can be re-run. Never the bytes.
   */
  imageRefs?: Record<string, Record<string, unknown>>;
  /** Keep uploaded images in files under the data dir until the job settles (web: no other way to get them back). */
  keepImages?: boolean;
}
