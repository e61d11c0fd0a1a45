import { HubError } from './hub.js';
import { StalledError } from './download.js';

/**
 * Why a download failed, in Spanish, for the Spanish reply: the English detail (the error's message)
 * is for logs and the CLI; a Spanish reader gets what happened and with which host, in their language.
 * Undefined when the error has no known shape (the reply then shows the English detail).
 */
export function reasonEs(err: unknown): string | undefined {
  if (err instanceof StalledError)
    return `la descarga de ${err.file} se trabó (${err.host} no mandó datos en ${err.seconds} s); al reintentar sigue desde donde quedó`;
  if (!(err instanceof HubError)) return undefined;
  const status = err.status ? ` (HTTP ${err.status})` : '';
  switch (err.kind) {
    case 'network':
      if (err.detail.why === 'interrupted')
        return `se cortó la descarga desde ${err.host}; al reintentar sigue desde donde quedó`;
      if (err.detail.why === 'timeout') return `${err.host} no respondió a tiempo`;
      return `no pude conectarme con ${err.host}${err.detail.code ? ` (${err.detail.code})` : ''}`;
    case 'repo_not_found':
      return `${err.host} no tiene ese repositorio, o es privado y falta HF_TOKEN${status}`;
    case 'revision_not_found':
      return `${err.host} no tiene la revisión "${err.detail.revision ?? '?'}"${status}`;
    case 'file_not_found':
      return `${err.host} no tiene uno de sus archivos${status}`;
    case 'inconsistent':
      return `${err.host} dio datos que no cierran (${err.message})`;
    default:
      return err.status === 401 || err.status === 403
        ? `${err.host} no me deja bajar este modelo${status} (revisá HF_TOKEN)`
        : `${err.host} respondió con un error${status}`;
  }
}
