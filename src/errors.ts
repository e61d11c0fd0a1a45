import { t, type MessageKey } from './i18n/messages.js';
import type { Lang } from './i18n/locale.js';

/** The codes adapters may see; each has a localized message of the same key. */
export type ErrorCode = Extract<
  MessageKey,
  | 'unknown_command'
  | 'unknown_option'
  | 'missing_option'
  | 'invalid_option'
  | 'not_an_image'
  | 'unsupported_image_format'
  | 'corrupt_image'
  | 'image_too_many_pixels'
  | 'upload_too_large'
  | 'model_missing'
  | 'model_corrupt'
  | 'model_not_found'
  | 'model_download_failed'
  | 'disk_full'
  | 'model_load_timeout'
  | 'not_available_yet'
  | 'command_disabled'
  | 'queue_full'
  | 'user_queue_full'
  | 'queue_unavailable'
  | 'worker_lost'
  | 'timeout'
  | 'cancelled'
  | 'internal'
  | 'worker_crashed'
  | 'attachment_refused'
  | 'download_failed'
  | 'button_expired'
  | 'not_your_button'
  | 'unsupported_pair'
  | 'language_unknown'
  | 'same_language'
  | 'slack_no_image'
  | 'neuron_input'
  | 'message_no_text'
  | 'message_no_image'
  | 'message_too_long'
  | 'message_image_elsewhere'
  | 'role_not_allowed'
  | 'cooldown'
  | 'daily_quota'
  | 'server_queue_share'
  | 'admin_only'
  | 'admin_unauthorized'
  | 'admin_form_token'
  | 'shutting_down'
  | 'restarted'
  | 'job_gone'
  | 'body_too_large'
  | 'malformed_body'
  | 'request_timeout'
  | 'uploads_busy'
  | 'one_image_per_field'
  | 'bad_url'
  | 'admin_cross_site'
  | 'admin_throttled'
  | 'store_unavailable'
>;

const HTTP_STATUS: Record<ErrorCode, number> = {
  unknown_command: 404,
  unknown_option: 400,
  missing_option: 400,
  invalid_option: 400,
  not_an_image: 415,
  unsupported_image_format: 415,
  corrupt_image: 422,
  image_too_many_pixels: 413,
  upload_too_large: 413,
  model_missing: 503,
  model_corrupt: 503,
  model_not_found: 404,
  model_download_failed: 502,
  disk_full: 507,
  model_load_timeout: 504,
  not_available_yet: 501,
  command_disabled: 403,
  queue_full: 503,
  user_queue_full: 429,
  queue_unavailable: 503,
  worker_lost: 503,
  timeout: 504,
  cancelled: 499,
  internal: 500,
  worker_crashed: 500,
  attachment_refused: 400,
  download_failed: 502,
  button_expired: 410,
  not_your_button: 403,
  unsupported_pair: 422,
  language_unknown: 422,
  same_language: 422,
  slack_no_image: 400,
  message_no_text: 400,
  message_no_image: 400,
  message_too_long: 413,
  message_image_elsewhere: 400,
  neuron_input: 400,
  role_not_allowed: 403,
  cooldown: 429,
  daily_quota: 429,
  server_queue_share: 429,
  admin_only: 403,
  admin_unauthorized: 401,
  admin_form_token: 403,
  shutting_down: 503,
  restarted: 503,
  job_gone: 404,
  body_too_large: 413,
  malformed_body: 400,
  request_timeout: 408,
  uploads_busy: 503,
  one_image_per_field: 400,
  bad_url: 400,
  admin_cross_site: 403,
  admin_throttled: 429,
  store_unavailable: 503,
};

/** An error the user should read: carries a code and the values its message needs. */
export class SinapsisError extends Error {
  constructor(
    readonly code: ErrorCode,
    readonly params: Record<string, string | number> = {},
    options?: { cause?: unknown },
  ) {
    super(t('en', code, params), options);
    this.name = 'SinapsisError';
  }
  get httpStatus(): number {
    return HTTP_STATUS[this.code];
  }
  localized(lang: Lang): string {
    return t(lang, this.code, this.params);
  }
}

/** Anything thrown becomes a SinapsisError; unknown failures become "internal". */
export function asSinapsisError(err: unknown): SinapsisError {
  if (err instanceof SinapsisError) return err;
  return new SinapsisError('internal', {}, { cause: err });
}

/** The body every adapter returns for a failure: `{"error":{"code","message"}}`. */
export function errorBody(err: SinapsisError, lang: Lang) {
  return { error: { code: err.code, message: err.localized(lang) } };
}
