import type { Lang } from './locale.js';

type Params = Record<string, string | number>;
type Text = string | ((p: Params) => string);

const WHERE: Record<Lang, Record<string, string>> = {
  en: { channel: 'in this channel', server: 'on this server', global: 'on this bot', config: 'on this bot' },
  es: { channel: 'en este canal', server: 'en este servidor', global: 'en este bot', config: 'en este bot' },
};
const SOURCE: Record<Lang, Record<string, string>> = {
  en: {
    channel: 'this channel',
    server: 'this server',
    global: 'everywhere',
    config: 'bot config',
    default: 'default',
  },
  es: {
    channel: 'este canal',
    server: 'este servidor',
    global: 'en todos lados',
    config: 'config del bot',
    default: 'por defecto',
  },
};
/** Who can change the settings, by platform. */
const WHO: Record<Lang, (platform: unknown) => string> = {
  en: (p) =>
    p === 'discord'
      ? 'Members with the Manage Server permission'
      : p === 'slack'
        ? 'Workspace admins'
        : "The bot's administrators",
  es: (p) =>
    p === 'discord'
      ? 'Quienes tienen el permiso Gestionar servidor'
      : p === 'slack'
        ? 'Los administradores del espacio de trabajo'
        : 'Los administradores del bot',
};

/** How a download names the model's job: "el modelo de traducción", "the translation model". */
const TASK_NOUN: Record<Lang, Record<string, string>> = {
  en: {
    translate: 'translation ',
    'generate-text': 'text ',
    embed: 'search ',
    colorize: 'colorization ',
    'detect-faces': 'face detection ',
  },
  es: {
    translate: 'de traducción ',
    'generate-text': 'de texto ',
    embed: 'de búsqueda ',
    colorize: 'de coloreado ',
    'detect-faces': 'de detección de caras ',
  },
};

/** "45 s", "3 min", "2 h 5 min": rounded up so the wait is never shorter than said. */
export function duration(seconds: number, _lang: Lang): string {
  if (seconds < 60) return `${Math.max(1, Math.ceil(seconds))} s`;
  const minutes = Math.ceil(seconds / 60);
  if (minutes < 60) return `${minutes} min`;
  const h = Math.floor(minutes / 60);
  return minutes % 60 ? `${h} h ${minutes % 60} min` : `${h} h`;
}

/** Every user-visible sentence that is not part of a command spec, in both languages. */
const MESSAGES = {
  unknown_command: {
    en: (p) => `Unknown command "${p.name}". Available: ${p.available}.`,
    es: (p) => `No existe el comando "${p.name}". Disponibles: ${p.available}.`,
  },
  unknown_option: {
    en: (p) => `Unknown option "${p.option}" for ${p.command}. Valid options: ${p.valid}.`,
    es: (p) => `La opción "${p.option}" no existe en ${p.command}. Opciones válidas: ${p.valid}.`,
  },
  missing_option: {
    // A photo that a sample can stand in for says so (samples: the ids, when the command takes one).
    en: (p) =>
      `The option "${p.option}" is required.${p.samples ? ` No photo at hand? Choose a sample photo with the option "sample" (--sample on Slack and the CLI): ${p.samples}.` : ''}`,
    es: (p) =>
      `Falta la opción obligatoria "${p.option}".${p.samples ? ` ¿No tenés una foto? Elegí una de ejemplo con la opción "ejemplo" (--sample en Slack y en la CLI): ${p.samples}.` : ''}`,
  },
  invalid_option: {
    en: (p) => `Invalid value for "${p.option}": ${p.expected}.`,
    es: (p) => `Valor no válido para "${p.option}": ${p.expected}.`,
  },
  not_an_image: {
    en: 'That file is not an image I can read. Send a JPEG, PNG or WebP photo.',
    es: 'Ese archivo no es una imagen que pueda leer. Enviá una foto JPEG, PNG o WebP.',
  },
  unsupported_image_format: {
    en: (p) => `Images in ${p.format} format are not supported. Send a JPEG, PNG or WebP photo.`,
    es: (p) => `Las imágenes en formato ${p.format} no están admitidas. Enviá una foto JPEG, PNG o WebP.`,
  },
  corrupt_image: {
    en: 'The image is damaged or incomplete (maybe the upload was cut). Try saving it again and re-sending it.',
    es: 'La imagen está dañada o incompleta (quizás se cortó la subida). Probá guardarla de nuevo y reenviarla.',
  },
  image_too_many_pixels: {
    en: (p) =>
      `The image is too large: ${p.width}×${p.height} pixels (limit ${p.limit} megapixels). Resize it and try again.`,
    es: (p) =>
      `La imagen es demasiado grande: ${p.width}×${p.height} píxeles (límite ${p.limit} megapíxeles). Achicala y probá de nuevo.`,
  },
  upload_too_large: {
    en: (p) => `The file is too large (limit ${p.limit} MB).`,
    es: (p) => `El archivo es demasiado grande (límite ${p.limit} MB).`,
  },
  model_missing: {
    en: (p) =>
      p.command
        ? `${p.pair ? `No translation model for ${p.pair} is installed on this server` : `The model "${p.model}" is not installed on this server`}, and automatic downloads are turned off. An admin can install it with: ${p.command}`
        : `The model "${p.model}" is not installed on this server and could not be downloaded. An admin can run "npm run models:pull".`,
    es: (p) =>
      p.command
        ? `${p.pair ? `No hay ningún modelo de traducción ${p.pair} instalado en este servidor` : `El modelo "${p.model}" no está instalado en este servidor`} y las descargas automáticas están desactivadas. Un administrador lo puede instalar con: ${p.command}`
        : `El modelo "${p.model}" no está instalado en este servidor y no se pudo descargar. Un administrador puede ejecutar "npm run models:pull".`,
  },
  model_corrupt: {
    en: (p) =>
      `The model "${p.model}" is damaged and could not be loaded${p.reason ? ` (${p.reason})` : ''}. Try again: a damaged download is deleted and fetched again. An admin can re-download it with "npm run models:pull -- --force".`,
    es: (p) =>
      `El modelo "${p.model}" está dañado y no se pudo cargar${p.reason ? ` (${p.reason})` : ''}. Probá de nuevo: una descarga dañada se borra y se vuelve a bajar. Un administrador puede volver a descargarlo con "npm run models:pull -- --force".`,
  },
  model_not_found: {
    en: (p) => `The model "${p.model}" could not be found on the model hub: ${p.reason}. Check the name and revision.`,
    es: (p) =>
      `No encontré el modelo "${p.model}" en el repositorio de modelos: ${p.reasonEs ?? p.reason}. Revisá el nombre y la revisión.`,
  },
  model_download_failed: {
    en: (p) =>
      `I could not download the model "${p.model}": ${p.reason}. Try again in a while; what already arrived is kept. An admin can also run: ${p.command}`,
    es: (p) =>
      `No pude descargar el modelo "${p.model}": ${p.reasonEs ?? p.reason}. Probá de nuevo en un rato; lo que ya llegó se conserva. Un administrador también puede ejecutar: ${p.command}`,
  },
  disk_full: {
    en: (p) =>
      `There is not enough disk space on this server to download the model "${p.model}" (${p.needed} MB needed, ${p.free} MB free). An admin has to free some space.`,
    es: (p) =>
      `No hay espacio suficiente en el disco de este servidor para descargar el modelo "${p.model}" (hacen falta ${p.needed} MB y hay ${p.free} MB libres). Un administrador tiene que liberar espacio.`,
  },
  model_load_timeout: {
    en: (p) =>
      `The model "${p.model}" took more than ${p.seconds} s to load and was abandoned. Try again; if it keeps happening, the server may be short of memory.`,
    es: (p) =>
      `El modelo "${p.model}" tardó más de ${p.seconds} s en cargarse y se abandonó. Probá de nuevo; si sigue pasando, quizás al servidor le falta memoria.`,
  },
  downloading_model: {
    en: (p) => `Downloading the ${TASK_NOUN.en[p.task as string] ?? ''}model (${p.mb} MB): ${p.percent} %…`,
    es: (p) => `Descargando el modelo ${TASK_NOUN.es[p.task as string] ?? ''}(${p.mb} MB): ${p.percent} %…`,
  },
  model_state_installed: { en: 'Ready', es: 'Listo' },
  model_state_download: {
    en: (p) => (p.mb ? `Downloads its model on first use (${p.mb} MB)` : 'Downloads its model on first use'),
    es: (p) =>
      p.mb
        ? `Descarga su modelo la primera vez que se usa (${p.mb} MB)`
        : 'Descarga su modelo la primera vez que se usa',
  },
  model_state_unavailable: { en: 'Unavailable', es: 'No disponible' },
  availability_auto_download_off: {
    en: (p) => `Its model is not installed and automatic downloads are turned off. Ask an admin to run: ${p.command}`,
    es: (p) =>
      `Su modelo no está instalado y las descargas automáticas están desactivadas. Pedile a un administrador que ejecute: ${p.command}`,
  },
  availability_not_found: {
    en: (p) => `Its model "${p.model}" is not on this server. An admin has to check the model settings.`,
    es: (p) =>
      `Su modelo "${p.model}" no está en este servidor. Un administrador tiene que revisar la configuración de modelos.`,
  },
  availability_last_download_failed: {
    en: (p) =>
      `The last download of its model failed (${p.reason}). Running it will try again; an admin can run: ${p.command}`,
    es: (p) =>
      `La última descarga de su modelo falló (${p.reason}). Al ejecutarlo se vuelve a intentar; un administrador puede ejecutar: ${p.command}`,
  },
  not_available_yet: {
    en: (p) => `/${p.command} is not available yet on this bot. It is coming in a later version.`,
    es: (p) => `/${p.command} todavía no está disponible en este bot. Llega en una próxima versión.`,
  },
  command_disabled: {
    en: (p) =>
      `/${p.command} is turned off ${WHERE.en[p.where as string] ?? 'here'}. ${WHO.en(p.platform)} can turn it on with /${p.admin} enable.`,
    es: (p) =>
      `/${p.command} está desactivado ${WHERE.es[p.where as string] ?? 'acá'}. ${WHO.es(p.platform)} lo pueden activar con /${p.admin} enable.`,
  },
  role_not_allowed: {
    en: (p) => `Your roles do not allow /${p.command} here. ${WHO.en(p.platform)} decide who can use it.`,
    es: (p) => `Tus roles no permiten usar /${p.command} acá. ${WHO.es(p.platform)} deciden quién lo puede usar.`,
  },
  cooldown: {
    en: (p) => `Wait ${duration(Number(p.seconds), 'en')} before using /${p.command} again.`,
    es: (p) => `Esperá ${duration(Number(p.seconds), 'es')} antes de volver a usar /${p.command}.`,
  },
  daily_quota: {
    en: (p) =>
      `You have used /${p.command} ${p.quota} times today, the daily limit here. It resets in ${duration(Number(p.seconds), 'en')}.`,
    es: (p) =>
      `Ya usaste /${p.command} ${p.quota} veces hoy, el límite diario acá. Se renueva en ${duration(Number(p.seconds), 'es')}.`,
  },
  server_queue_share: {
    en: (p) =>
      `This server already has ${p.jobs} requests in the queue (its share is ${p.share}%). Try again when one finishes.`,
    es: (p) =>
      `Este servidor ya tiene ${p.jobs} pedidos en la cola (le corresponde hasta un ${p.share}%). Probá de nuevo cuando termine alguno.`,
  },
  admin_only: {
    en: (p) => `Only ${WHO.en(p.platform).toLowerCase()} can change the bot's settings.`,
    es: (p) => `Solo ${WHO.es(p.platform).toLowerCase()} pueden cambiar la configuración del bot.`,
  },
  admin_all_commands: { en: 'every command', es: 'todos los comandos' },
  admin_on: {
    en: (p) => `on (${SOURCE.en[p.where as string]})`,
    es: (p) => `activo (${SOURCE.es[p.where as string]})`,
  },
  admin_off: {
    en: (p) => `off (${SOURCE.en[p.where as string]})`,
    es: (p) => `desactivado (${SOURCE.es[p.where as string]})`,
  },
  admin_source: {
    en: (p) => SOURCE.en[p.source as string] ?? String(p.source),
    es: (p) => SOURCE.es[p.source as string] ?? String(p.source),
  },
  admin_switched: {
    en: (p) => `${p.command}: now ${p.state}; before: ${p.before}.`,
    es: (p) => `${p.command}: ahora ${p.state}; antes: ${p.before}.`,
  },
  admin_roles: {
    en: (p) => `${p.command}, role ${p.role}: ${p.before} → ${p.after}.`,
    es: (p) => `${p.command}, rol ${p.role}: ${p.before} → ${p.after}.`,
  },
  admin_limits: {
    en: (p) => `Limits for ${p.command}: ${p.limits}.`,
    es: (p) => `Límites de ${p.command}: ${p.limits}.`,
  },
  admin_limit_cooldown: {
    en: (p) => `wait ${p.seconds} s between uses`,
    es: (p) => `esperar ${p.seconds} s entre usos`,
  },
  admin_limit_quota: { en: (p) => `${p.quota} per user per day`, es: (p) => `${p.quota} por usuario por día` },
  admin_limit_share: { en: (p) => `at most ${p.share}% of the queue`, es: (p) => `hasta el ${p.share}% de la cola` },
  admin_not_available: { en: '(not available yet)', es: '(todavía no disponible)' },
  admin_no_limits: { en: 'no limits', es: 'sin límites' },
  admin_language: {
    en: 'Replies here default to English now.',
    es: 'Las respuestas acá ahora son en español por defecto.',
  },
  admin_status_title: { en: '**Sinapsis — status here**', es: '**Sinapsis — estado acá**' },
  admin_status_roles: { en: (p) => `Roles: ${p.roles}`, es: (p) => `Roles: ${p.roles}` },
  admin_status_queue: {
    en: (p) =>
      `Queue: ${p.waiting} waiting, ${p.running} running (this server: ${p.this_server})${p.by ? ` — waiting: ${p.by}` : ''}`,
    es: (p) =>
      `Cola: ${p.waiting} esperando, ${p.running} en curso (este servidor: ${p.this_server})${p.by ? ` — esperando: ${p.by}` : ''}`,
  },
  admin_status_usage: { en: (p) => `Used today: ${p.usage}`, es: (p) => `Uso de hoy: ${p.usage}` },
  admin_status_language: {
    en: (p) => `Default language: ${p.language}`,
    es: (p) => `Idioma por defecto: ${p.language}`,
  },
  admin_status_changes: { en: 'Last changes:', es: 'Últimos cambios:' },
  admin_form_token: {
    en: 'This form is missing its security token (or it is from another site). Reload the admin page and try again.',
    es: 'A este formulario le falta su código de seguridad (o viene de otro sitio). Recargá la página de administración y probá de nuevo.',
  },
  admin_unauthorized: {
    en: 'The admin page needs the admin token (SINAPSIS_ADMIN_TOKEN).',
    es: 'La página de administración necesita el token de administración (SINAPSIS_ADMIN_TOKEN).',
  },
  queue_full: {
    en: 'I am busy right now (the queue is full). Please try again in a minute.',
    es: 'Estoy ocupado ahora (la cola está llena). Probá de nuevo en un minuto.',
  },
  user_queue_full: {
    en: (p) => `You already have ${p.limit} requests waiting. Wait for them to finish, then try again.`,
    es: (p) => `Ya tenés ${p.limit} pedidos esperando. Esperá a que terminen y probá de nuevo.`,
  },
  queue_unavailable: {
    en: 'I cannot take requests right now (the job queue is unreachable). Please try again in a minute.',
    es: 'Ahora no puedo recibir pedidos (no llego a la cola de trabajos). Probá de nuevo en un minuto.',
  },
  worker_lost: {
    en: 'The machine running your request stopped twice before finishing it, so I gave up. It was not counted against your quota; please try again.',
    es: 'La máquina que procesaba tu pedido se detuvo dos veces antes de terminarlo, así que lo dejé. No se contó en tu cupo; probá de nuevo.',
  },
  timeout: {
    en: (p) => `This took too long (over ${p.seconds} s) and was stopped. Try a smaller input.`,
    es: (p) => `Esto tardó demasiado (más de ${p.seconds} s) y se detuvo. Probá con una entrada más chica.`,
  },
  cancelled: { en: 'The request was cancelled.', es: 'El pedido fue cancelado.' },
  shutting_down: {
    en: 'The bot is restarting and your request was stopped before it finished. It was not counted against your quota; please try again in a minute.',
    es: 'El bot se está reiniciando y tu pedido se detuvo antes de terminar. No se contó en tu cupo; probá de nuevo en un minuto.',
  },
  restarted: {
    en: 'The bot restarted before answering: please try again. This request was not counted against your quota.',
    es: 'Se reinició el bot: probá de nuevo. Este pedido no se contó en tu cupo.',
  },
  job_gone: {
    en: 'This request is no longer running (the connection to it was lost): please try again. It was not counted against your quota.',
    es: 'Este pedido ya no está en curso (se perdió la conexión): probá de nuevo. No se contó en tu cupo.',
  },
  body_too_large: {
    en: (p) => `The request body is too large (limit ${p.limit} KB).`,
    es: (p) => `El cuerpo del pedido es demasiado grande (límite ${p.limit} KB).`,
  },
  malformed_body: {
    en: 'The upload is malformed or incomplete (a broken multipart form or JSON). Send it again from the form or with curl -F.',
    es: 'El envío está mal formado o incompleto (un formulario multipart o un JSON roto). Volvé a enviarlo desde el formulario o con curl -F.',
  },
  request_timeout: {
    en: 'The upload took too long to arrive and was stopped. Check your connection and try again.',
    es: 'El envío tardó demasiado en llegar y se cortó. Revisá tu conexión y probá de nuevo.',
  },
  store_unavailable: {
    en: 'I cannot reach my database right now, so I cannot take requests. Please try again in a minute.',
    es: 'No puedo llegar a mi base de datos en este momento, así que no puedo tomar pedidos. Probá de nuevo en un minuto.',
  },
  uploads_busy: {
    en: 'Too many uploads are arriving right now. Please try again in a few seconds.',
    es: 'Están llegando demasiados envíos en este momento. Probá de nuevo en unos segundos.',
  },
  one_image_per_field: {
    en: (p) => `Send one image in "${p.option}"; this request had several.`,
    es: (p) => `Mandá una sola imagen en "${p.option}"; este pedido traía varias.`,
  },
  bad_url: {
    en: 'That address is not valid. Commands are at /api/commands/<command>.',
    es: 'Esa dirección no es válida. Los comandos están en /api/commands/<comando>.',
  },
  admin_cross_site: {
    en: 'The admin API only accepts JSON requests (Content-Type: application/json) from this site. Use the /admin page or curl with -H "Content-Type: application/json".',
    es: 'La API de administración solo acepta pedidos JSON (Content-Type: application/json) desde este sitio. Usá la página /admin o curl con -H "Content-Type: application/json".',
  },
  admin_throttled: {
    en: (p) =>
      `Too many wrong admin tokens from this address. Wait ${duration(Number(p.seconds), 'en')} and try again.`,
    es: (p) =>
      `Demasiados tokens de administración incorrectos desde esta dirección. Esperá ${duration(Number(p.seconds), 'es')} y probá de nuevo.`,
  },
  internal: {
    en: 'Something went wrong on my side. The error was logged; please try again.',
    es: 'Algo falló de mi lado. El error quedó registrado; probá de nuevo.',
  },
  worker_crashed: {
    en: 'The worker running your request stopped unexpectedly (it ran out of memory or crashed). It was not counted against your quota; please try again.',
    es: 'El proceso que corría tu pedido se cortó de golpe (se quedó sin memoria o falló). No se contó en tu cupo; probá de nuevo.',
  },
  queued: {
    en: (p) => `Queued: ${p.position}`,
    es: (p) => `En cola: ${p.position}`,
  },
  faces_found: {
    en: (p) =>
      Number(p.count) === 0 ? 'No faces found.' : Number(p.count) === 1 ? 'Found 1 face.' : `Found ${p.count} faces.`,
    es: (p) =>
      Number(p.count) === 0
        ? 'No encontré caras.'
        : Number(p.count) === 1
          ? 'Encontré 1 cara.'
          : `Encontré ${p.count} caras.`,
  },
  faces_blurred: {
    en: (p) =>
      Number(p.count) === 0
        ? 'No faces found, nothing blurred.'
        : Number(p.count) === 1
          ? 'Blurred 1 face.'
          : `Blurred ${p.count} faces.`,
    es: (p) =>
      Number(p.count) === 0
        ? 'No encontré caras; no difuminé nada.'
        : Number(p.count) === 1
          ? 'Difuminé 1 cara.'
          : `Difuminé ${p.count} caras.`,
  },
  face_line: {
    en: (p) => `#${p.n}: ${p.score}% at (${p.x}, ${p.y}), ${p.w}×${p.h} px`,
    es: (p) => `#${p.n}: ${p.score}% en (${p.x}, ${p.y}), ${p.w}×${p.h} px`,
  },
  model_and_time: {
    en: (p) => `Model: ${p.model} · ${p.ms} ms`,
    es: (p) => `Modelo: ${p.model} · ${p.ms} ms`,
  },
  faces_privacy: {
    en: 'Detection only: nobody is identified and faces are never compared.',
    es: 'Solo detección: no se identifica a nadie ni se comparan caras.',
  },
  attachment_refused: {
    en: 'I only read images attached to the command itself (Discord or Slack files). Attach the photo and try again.',
    es: 'Solo leo imágenes adjuntas al comando (archivos de Discord o Slack). Adjuntá la foto y probá de nuevo.',
  },
  download_failed: {
    en: 'I could not download your image (the platform did not answer in time). Please try again.',
    es: 'No pude descargar tu imagen (la plataforma no respondió a tiempo). Probá de nuevo.',
  },
  button_expired: {
    en: 'These buttons have expired. Run the command again.',
    es: 'Estos botones vencieron. Volvé a ejecutar el comando.',
  },
  not_your_button: {
    en: 'Only the person who ran the command can do that.',
    es: 'Solo quien ejecutó el comando puede hacer eso.',
  },
  button_again: { en: 'Again', es: 'Otra vez' },
  button_blur: { en: 'Blur faces', es: 'Difuminar caras' },
  button_boxes: { en: 'Show boxes', es: 'Mostrar recuadros' },
  button_explain: { en: 'Explain', es: 'Explicar' },
  button_delete: { en: 'Delete', es: 'Borrar' },
  working: { en: 'Working on it…', es: 'Procesando…' },
  explain_model: {
    en: (p) =>
      `This result was produced by **${p.model}**: ${p.description} (licence ${p.licence}).${p.paper ? ` Paper: ${p.paper}.` : ''} Ask more with /explain.`,
    es: (p) =>
      `Este resultado lo produjo **${p.model}**: ${p.description} (licencia ${p.licence}).${p.paper ? ` Artículo: ${p.paper}.` : ''} Preguntá más con /explain.`,
  },
  error_prefix: { en: 'Error', es: 'Error' },
  ai_generated: {
    en: (p) =>
      `🤖 AI-generated by ${p.model}; it can be wrong. ${p.tokens} tokens, ${p.rate} tokens/s${p.seed ? `, seed ${p.seed}` : ''}${p.stop ? ` (${p.stop})` : ''}.`,
    es: (p) =>
      `🤖 Generado por IA con ${p.model}; puede contener errores. ${p.tokens} tokens, ${p.rate} tokens/s${p.seed ? `, semilla ${p.seed}` : ''}${p.stop ? ` (${p.stop})` : ''}.`,
  },
  stop_max_tokens: { en: 'stopped at the token limit', es: 'cortado en el límite de tokens' },
  stop_cancelled: { en: 'cancelled', es: 'cancelado' },
  // Looks inside the networks: /generate-text show-probabilities / show-attention, /explain neuron.
  probs_title: {
    en: (p) =>
      `${p.model}: the 5 likeliest next tokens at each of the first ${p.steps} steps (softmax of the logits, temperature 1)`,
    es: (p) =>
      `${p.model}: los 5 tokens siguientes más probables en cada uno de los primeros ${p.steps} pasos (softmax de los logits, temperatura 1)`,
  },
  probs_step: {
    en: (p) => `Step ${p.step}: it wrote ${p.token}`,
    es: (p) => `Paso ${p.step}: escribió ${p.token}`,
  },
  probs_rest: { en: 'the other tokens', es: 'los demás tokens' },
  probs_legend: {
    en: 'Bars: probability of each token. Dark bar: the token the model chose.',
    es: 'Barras: probabilidad de cada token. Barra oscura: el token que eligió el modelo.',
  },
  temps_title: {
    en: (p) => `Step 1 of ${p.model} at three temperatures: the logits are divided by T before the softmax`,
    es: (p) => `Paso 1 de ${p.model} con tres temperaturas: los logits se dividen por T antes del softmax`,
  },
  temps_legend: {
    en: 'Low T sharpens (almost always the top token); high T flattens (more surprises).',
    es: 'T baja afila (casi siempre el primero); T alta aplana (más sorpresas).',
  },
  probs_alt: {
    en: (p) => `Bar chart: next-token probabilities for the first ${p.steps} steps`,
    es: (p) => `Gráfico de barras: probabilidades del siguiente token en los primeros ${p.steps} pasos`,
  },
  temps_alt: {
    en: 'Bar chart: the same step at temperature 0.2, 1.0 and 1.5',
    es: 'Gráfico de barras: el mismo paso con temperatura 0,2, 1,0 y 1,5',
  },
  probs_summary: {
    en: (p) => `📊 Step 1: ${p.top} (temperature 0.2 → ${p.cold}, 1.5 → ${p.hot}).`,
    es: (p) => `📊 Paso 1: ${p.top} (temperatura 0,2 → ${p.cold}; 1,5 → ${p.hot}).`,
  },
  attention_title: {
    en: (p) => `${p.model}: attention of the last layer (${p.layer}), ${p.heads} heads, over your prompt`,
    es: (p) => `${p.model}: atención de la última capa (${p.layer}), ${p.heads} cabezas, sobre tu texto`,
  },
  attention_legend: {
    en: 'Row: the token that looks; column: the token it looks at. Darker = more attention (each row adds up to 1).',
    es: 'Fila: el token que mira; columna: el token al que mira. Más oscuro = más atención (cada fila suma 1).',
  },
  attention_head: { en: (p) => `head ${p.head}`, es: (p) => `cabeza ${p.head}` },
  attention_truncated: {
    en: (p) => `Only the first ${p.shown} of ${p.total} prompt tokens are shown.`,
    es: (p) => `Se muestran solo los primeros ${p.shown} de los ${p.total} tokens del texto.`,
  },
  attention_alt: {
    en: (p) => `Heat map of the attention of ${p.heads} heads over ${p.tokens} prompt tokens`,
    es: (p) => `Mapa de calor de la atención de ${p.heads} cabezas sobre ${p.tokens} tokens del texto`,
  },
  neuron_title: {
    en: (p) => `🧮 A neuron by hand (activation: ${p.activation})`,
    es: (p) => `🧮 Una neurona a mano (activación: ${p.activation})`,
  },
  neuron_step_products: { en: '1. Multiply each input by its weight:', es: '1. Multiplicá cada entrada por su peso:' },
  neuron_step_sum: {
    en: (p) => `2. Add them up, plus the bias: z = ${p.terms} = ${p.z}`,
    es: (p) => `2. Sumalos y agregá el sesgo: z = ${p.terms} = ${p.z}`,
  },
  neuron_step_activation: {
    en: (p) => `3. Apply the activation: ${p.formula} = ${p.output}`,
    es: (p) => `3. Aplicá la activación: ${p.formula} = ${p.output}`,
  },
  neuron_output: {
    en: (p) => `Output of the neuron: **${p.output}**`,
    es: (p) => `Salida de la neurona: **${p.output}**`,
  },
  neuron_defaults: {
    en: (p) => `(Example values for what you left out: ${p.which}. Try inputs, weights, bias and activation.)`,
    es: (p) =>
      `(Valores de ejemplo para lo que no pusiste: ${p.which}. Probá con entradas, pesos, sesgo y activación.)`,
  },
  neuron_filled_weights: {
    en: 'Weights were not given: each input gets weight 1.',
    es: 'No pusiste pesos: cada entrada tiene peso 1.',
  },
  neuron_why: {
    en: 'Without the activation, stacking neurons would only give another weighted sum (a straight line); the non-linearity is what lets a network learn curves.',
    es: 'Sin la activación, apilar neuronas daría solo otra suma ponderada (una recta); la no linealidad es lo que le permite a una red aprender curvas.',
  },
  neuron_plot_title: {
    en: (p) => `${p.activation}(z): the activation, and this neuron's point`,
    es: (p) => `${p.activation}(z): la activación y el punto de esta neurona`,
  },
  neuron_plot_alt: {
    en: (p) => `Plot of ${p.activation} with the point z = ${p.z}, output ${p.output}`,
    es: (p) => `Gráfico de ${p.activation} con el punto z = ${p.z}, salida ${p.output}`,
  },
  neuron_input: {
    en: (p) =>
      p.reason === 'count'
        ? `There are ${p.inputs} inputs and ${p.weights} weights: give one weight per input.`
        : p.reason === 'too_many'
          ? `At most ${p.max} inputs, please (there were ${p.inputs}).`
          : `"${p.value}" in ${p.option} is not a number. Write numbers separated by commas (1, 0.5, -2) or semicolons (1; 0,5; -2).`,
    es: (p) =>
      p.reason === 'count'
        ? `Hay ${p.inputs} entradas y ${p.weights} pesos: poné un peso por entrada.`
        : p.reason === 'too_many'
          ? `Como máximo ${p.max} entradas (pusiste ${p.inputs}).`
          : `"${p.value}" en ${p.option === 'weights' ? 'pesos' : 'entradas'} no es un número. Escribí números separados por comas (1, 0.5, -2) o por punto y coma (1; 0,5; -2).`,
  },
  explain_look_inside: {
    en: (p) => `👀 To look inside the network, run it again with ${p.options}.`,
    es: (p) => `👀 Para mirar adentro de la red, volvé a pedirlo con ${p.options}.`,
  },
  look_failed: {
    en: (p) => `ℹ️ I could not look inside ${p.model} this time; the text above is complete.`,
    es: (p) => `ℹ️ Esta vez no pude mirar adentro de ${p.model}; el texto de arriba está completo.`,
  },
  attention_unavailable: {
    en: (p) =>
      `ℹ️ ${p.model} does not expose its attention. Models converted with \`npm run convert-llama2c -- <in> <out> --attentions\` do.`,
    es: (p) =>
      `ℹ️ ${p.model} no expone su atención. Los modelos convertidos con \`npm run convert-llama2c -- <origen> <destino> --attentions\` sí.`,
  },
  unsupported_pair: {
    en: (p) => `Translating ${p.from} → ${p.to} is not supported on this server. Supported pairs: ${p.supported}.`,
    es: (p) => `Este servidor no traduce ${p.from} → ${p.to}. Pares disponibles: ${p.supported}.`,
  },
  language_unknown: {
    en: (p) => `I could not tell which language the text is in. Say it with "from" (${p.supported}).`,
    es: (p) => `No pude saber en qué idioma está el texto. Indicalo con "desde" (${p.supported}).`,
  },
  same_language: {
    en: (p) => `The text is already in ${p.language}: nothing to translate.`,
    es: (p) => `El texto ya está en ${p.language}: no hay nada que traducir.`,
  },
  translated: {
    en: (p) => `${p.from} → ${p.to} · ${p.model} · ${p.ms} ms`,
    es: (p) => `${p.from} → ${p.to} · ${p.model} · ${p.ms} ms`,
  },
  slack_no_image: {
    en: (p) =>
      `Share the photo in this channel first (within the last ${p.minutes} minutes), then run /${p.command} again. No photo at hand? Try a sample one: /${p.command} --sample astronaut`,
    es: (p) =>
      `Primero compartí la foto en este canal (en los últimos ${p.minutes} minutos) y después volvé a ejecutar /${p.command}. ¿No tenés una foto? Probá con una de ejemplo: /${p.command} --sample astronaut`,
  },
  message_no_text: {
    en: (p) => `"${p.action}" works on a message with text, and this one has none.`,
    es: (p) => `«${p.action}» funciona con un mensaje con texto, y este no tiene.`,
  },
  message_no_image: {
    en: (p) => `"${p.action}" works on a message with a photo attached (JPEG, PNG or WebP), and this one has none.`,
    es: (p) => `«${p.action}» funciona con un mensaje con una foto adjunta (JPEG, PNG o WebP), y este no tiene.`,
  },
  message_too_long: {
    en: (p) =>
      `This message is too long for "${p.action}" (${p.length} characters; the limit is ${p.limit}). Use /${p.command} with a part of it.`,
    es: (p) =>
      `Este mensaje es demasiado largo para «${p.action}» (${p.length} caracteres; el límite es ${p.limit}). Usá /${p.command} con una parte.`,
  },
  message_image_elsewhere: {
    en: 'I only read photos uploaded to Discord or Slack, and this message’s image comes from another site. Upload the photo itself and try again.',
    es: 'Solo leo fotos subidas a Discord o Slack, y la imagen de este mensaje viene de otro sitio. Subí la foto y probá de nuevo.',
  },
  button_share: { en: 'Share in the channel', es: 'Compartir en el canal' },
  shared_translation: {
    en: (p) => `🌐 ${p.user} shared a translation${p.link ? ` of ${p.link}` : ''}:`,
    es: (p) => `🌐 ${p.user} compartió una traducción${p.link ? ` de ${p.link}` : ''}:`,
  },
  explain_demo: {
    en: (p) => `Try it yourself with /${p.command}.`,
    es: (p) => `Probalo vos con /${p.command}.`,
  },
  explain_source: {
    en: (p) => `Source: course notes, ${p.titles}`,
    es: (p) => `Fuente: apuntes del curso, ${p.titles}`,
  },
  explain_did_you_mean: {
    en: (p) => `Not quite it? Did you mean to ask about ${p.titles}?`,
    es: (p) => `¿No era eso? ¿Quisiste preguntar por ${p.titles}?`,
  },
  explain_more_simple: { en: 'Simpler', es: 'Más simple' },
  explain_an_example: { en: 'An example', es: 'Un ejemplo' },
  explain_in_the_bot: { en: 'And in the bot?', es: '¿Y en el bot?' },
  explain_try_command: {
    en: (p) => `Try it: \`${p.command}\``,
    es: (p) => `Probalo: \`${p.command}\``,
  },
  colorized: {
    en: (p) => `Colorized by ${p.model} in ${p.ms} ms (strength ${p.strength}).`,
    es: (p) => `Coloreada por ${p.model} en ${p.ms} ms (intensidad ${p.strength}).`,
  },
  colorize_delta: {
    en: (p) =>
      `Compared with the real colours: mean colour distance ΔE ${p.delta} (under 2.3 is hard to see; over 10 is clearly different).`,
    es: (p) =>
      `Comparada con los colores reales: distancia de color media ΔE ${p.delta} (menos de 2,3 casi no se nota; más de 10 se ve claramente distinta).`,
  },
  colorize_note: {
    en: 'The network guesses plausible colours from shapes and textures; it cannot know the real ones.',
    es: 'La red adivina colores plausibles a partir de formas y texturas; no puede saber los reales.',
  },
  colorize_footer: { en: (p) => `Colorized by ${p.model}`, es: (p) => `Coloreada por ${p.model}` },
  colorize_footer_compare: {
    en: (p) => `Colorized by ${p.model} · mean colour distance to the original ΔE ${p.delta}`,
    es: (p) => `Coloreada por ${p.model} · distancia de color media al original ΔE ${p.delta}`,
  },
  explain_rephrased: {
    en: (p) => `🤖 Rephrased by ${p.model} from the course notes below; the notes are the reference.`,
    es: (p) => `🤖 Reformulado por ${p.model} a partir de los apuntes citados abajo; los apuntes son la referencia.`,
  },
  explain_no_match: {
    en: (p) => `I have no notes about that yet. I can explain: ${p.topics}.`,
    es: (p) => `No tengo apuntes sobre eso. Puedo explicarte: ${p.topics}.`,
  },
  // Captions and alt texts that tasks draw into pictures or attach to them.
  colorize_label_original: { en: 'Original', es: 'Original' },
  colorize_label_grey: { en: 'Grey (what the network sees)', es: 'En gris (lo que ve la red)' },
  colorize_label_colour: { en: 'Colorized', es: 'Coloreada' },
  cnn_original_grey: { en: 'Original (grey)', es: 'Original (gris)' },
  cnn_filter_h: { en: 'Horizontal edges', es: 'Bordes horizontales' },
  cnn_filter_v: { en: 'Vertical edges', es: 'Bordes verticales' },
  cnn_filter_s: { en: 'Sharpen', es: 'Enfocar' },
  cnn_filter_b: { en: 'Blur', es: 'Desenfocar' },
  /** Three caption lines, split on newlines. */
  cnn_first_layer_title: {
    en: (p) =>
      `YuNet's first learned layer: ${p.channels} feature maps\n(edges and colour blobs; white = strong activation).\nEach map has its own contrast: black = its min, white = its max.`,
    es: (p) =>
      `Primera capa aprendida de YuNet: ${p.channels} mapas de rasgos\n(bordes y manchas de color; blanco = activación alta).\nContraste propio por mapa: negro = su mínimo, blanco = su máximo.`,
  },
  explain_alt_filters: { en: 'Classic 3×3 filters on the image', es: 'Filtros 3×3 clásicos sobre la imagen' },
  explain_alt_first_layer: {
    en: "YuNet's first-layer feature maps",
    es: 'Mapas de rasgos de la primera capa de YuNet',
  },
  explain_your_photo: { en: '(your photo)', es: '(tu foto)' },
  quoted_title: { en: (p) => `"${p.title}"`, es: (p) => `«${p.title}»` },
  /** The last joiner of a list of titles: "a, b and c"; "a, b or c" (in Spanish "o por": "did you mean … o por …"). */
  list_and: { en: ' and ', es: ' y ' },
  list_or: { en: ' or ', es: ' o por ' },
  neuron_formula_step: {
    en: (p) => `step(${p.z}) = 1 if z ≥ 0, else 0`,
    es: (p) => `escalón(${p.z}) = 1 si z ≥ 0, si no 0`,
  },
  neuron_formula_linear: { en: (p) => `linear(${p.z}) = ${p.z}`, es: (p) => `lineal(${p.z}) = ${p.z}` },
  neuron_activation_name: {
    en: (p) =>
      ({ sigmoid: 'sigmoid', relu: 'ReLU', tanh: 'tanh', step: 'step', linear: 'linear' })[String(p.activation)] ??
      String(p.activation),
    es: (p) =>
      ({ sigmoid: 'sigmoide', relu: 'ReLU', tanh: 'tanh', step: 'escalón', linear: 'lineal' })[String(p.activation)] ??
      String(p.activation),
  },
  neuron_default_inputs: { en: 'inputs', es: 'entradas' },
  neuron_default_weights: { en: 'weights', es: 'pesos' },
  neuron_default_bias: { en: 'bias', es: 'sesgo' },
  neuron_default_activation: { en: 'activation', es: 'activación' },
} satisfies Record<string, Record<Lang, Text>>;

export type MessageKey = keyof typeof MESSAGES;

export function t(lang: Lang, key: MessageKey, params: Params = {}): string {
  const text: Text = MESSAGES[key][lang];
  return typeof text === 'function' ? text(params) : text;
}
