import { AuroraValidationError } from '../errors.js';

export interface SchedulerUrl {
  /** The API URL without userinfo. */
  url: URL;
  /** Credentials that were written into the URL's userinfo, if any. */
  credentials: { username: string; password: string } | undefined;
}

/**
 * Parses a scheduler URL the way Aurora's Python client treats scheduler_uri: a bare base URL
 * means the API at '/api'. Userinfo is lifted out so that the stored URL is safe to print.
 */
export function parseSchedulerUrl(input: string, field = 'url'): SchedulerUrl {
  let url: URL;
  try {
    url = new URL(input);
  } catch {
    throw new AuroraValidationError(field, `"${hideUserinfo(input)}" is not an absolute URL; expected http(s)://host:port[/path]`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new AuroraValidationError(field, `scheme "${url.protocol.slice(0, -1)}" is not supported; use http or https`);
  }
  let credentials: SchedulerUrl['credentials'];
  if (url.username !== '' || url.password !== '') {
    credentials = { username: decodeURIComponent(url.username), password: decodeURIComponent(url.password) };
    url.username = '';
    url.password = '';
  }
  if (url.pathname === '' || url.pathname === '/') url.pathname = '/api';
  url.hash = '';
  return { url, credentials };
}

/** Same rule as `parseSchedulerUrl`, for callers that only need the cleaned string. */
export function normalizeSchedulerUrl(input: string): string {
  return parseSchedulerUrl(input).url.href;
}

/** `host:port`, with the scheme's default port filled in, for error messages. */
export function hostPort(url: URL): string {
  const port = url.port || (url.protocol === 'https:' ? '443' : '80');
  return `${url.host.replace(/:\d+$/, '')}:${port}`;
}

/** A copy of `url` without userinfo (redirect targets may carry some). */
export function withoutUserinfo(url: URL): URL {
  const copy = new URL(url.href);
  copy.username = '';
  copy.password = '';
  return copy;
}

function hideUserinfo(text: string): string {
  return text.replace(/^([^/@]*\/\/)?[^/@]*@/, (_m, scheme: string | undefined) => `${scheme ?? ''}***@`);
}
