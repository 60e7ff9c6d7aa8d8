/**
 * HTML built from template literals where every interpolated value is escaped unless it is already
 * Html (built by this same tag). Job names, metadata, executor data and task output all pass through
 * here as text; nothing else writes markup.
 */
export class Html {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;', '`': '&#96;' };

export function escape(value: unknown): string {
  return String(value).replace(/[&<>"'`]/g, (c) => ENTITIES[c]!);
}

function piece(value: unknown): string {
  if (value instanceof Html) return value.text;
  if (Array.isArray(value)) return value.map(piece).join('');
  if (value === undefined || value === null || value === false) return '';
  return escape(value);
}

export function html(strings: TemplateStringsArray, ...values: unknown[]): Html {
  let out = strings[0]!;
  for (let i = 0; i < values.length; i++) out += piece(values[i]) + strings[i + 1]!;
  return new Html(out);
}

/** A path under the UI from raw segments, each percent-encoded (so a segment cannot add one). */
export function path(...segments: Array<string | number>): string {
  return `/${segments.map((s) => encodeURIComponent(String(s))).join('/')}`;
}
