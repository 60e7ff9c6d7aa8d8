/**
 * Parses JSON with errors that give a line and column. `JSON.parse` does the work; only when it
 * fails does a small RFC 8259 scanner run, because Node 20's messages omit the position for
 * some errors ("Unexpected token 'h', ... is not valid JSON"). With `rejectDuplicateKeys` the
 * scanner also runs on success: `JSON.parse` keeps the last of two equal keys, silently dropping
 * the first setting, and only a scan of the text can tell.
 */

export class JsonSyntaxError extends Error {
  constructor(
    readonly line: number,
    readonly column: number,
    readonly reason: string,
  ) {
    super(`invalid JSON at line ${line}, column ${column}: ${reason}`);
    this.name = 'JsonSyntaxError';
  }
}

/** A key given twice in one object; `line`/`column` point at the second, `first` at the first. */
export class JsonDuplicateKeyError extends JsonSyntaxError {
  constructor(
    line: number,
    column: number,
    readonly key: string,
    readonly first: { line: number; column: number },
  ) {
    const shown = JSON.stringify(key.length > 60 ? `${key.slice(0, 57)}...` : key);
    super(line, column, `duplicate key ${shown}`);
    this.message = `duplicate key ${shown} at line ${line}, column ${column} (first at line ${first.line}, column ${first.column}); each key may appear once`;
    this.name = 'JsonDuplicateKeyError';
  }
}

export interface ParseJsonOptions {
  /** Throw JsonDuplicateKeyError when an object has the same key twice (JSON.parse keeps the last). */
  rejectDuplicateKeys?: boolean;
}

export function parseJsonWithPosition(text: string, options: ParseJsonOptions = {}): unknown {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch (e) {
    const found = locateJsonError(body);
    const { line, column } = lineAndColumn(body, found?.offset ?? 0);
    throw new JsonSyntaxError(line, column, found?.reason ?? (e as Error).message);
  }
  if (options.rejectDuplicateKeys) {
    const found = locateJsonError(body, { duplicateKeys: true });
    if (found?.duplicate) {
      const at = lineAndColumn(body, found.offset);
      throw new JsonDuplicateKeyError(at.line, at.column, found.duplicate.key, lineAndColumn(body, found.duplicate.firstOffset));
    }
    if (found) {
      const at = lineAndColumn(body, found.offset);
      throw new JsonSyntaxError(at.line, at.column, found.reason);
    }
  }
  return value;
}

function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text[i] === '\n') {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: offset - lineStart + 1 };
}

export interface JsonProblem {
  offset: number;
  reason: string;
  /** Set when the problem is a key repeated in one object (only looked for with `duplicateKeys`). */
  duplicate?: { key: string; firstOffset: number };
}

/** Returns the offset and reason of the first syntax error, or undefined if the text is valid. */
export function locateJsonError(text: string, options: { duplicateKeys?: boolean } = {}): JsonProblem | undefined {
  let i = 0;
  const fail = (reason: string, duplicate?: JsonProblem['duplicate']): never => {
    throw duplicate === undefined ? { offset: i, reason } : { offset: i, reason, duplicate };
  };
  const describe = (): string =>
    i >= text.length ? 'unexpected end of input' : `unexpected character ${JSON.stringify(text[i])}`;
  const skipWs = (): void => {
    while (i < text.length && (text[i] === ' ' || text[i] === '\t' || text[i] === '\n' || text[i] === '\r')) i++;
  };
  const literal = (word: string): void => {
    if (text.startsWith(word, i)) i += word.length;
    else fail(describe());
  };
  const string = (): void => {
    i++; // opening quote
    for (;;) {
      if (i >= text.length) fail('unterminated string');
      const c = text.charCodeAt(i);
      if (c === 0x22) {
        i++;
        return;
      }
      if (c < 0x20) fail('control character in string (escape it)');
      if (c === 0x5c) {
        const e = text[i + 1];
        if (e !== undefined && '"\\/bfnrt'.includes(e)) i += 2;
        else if (e === 'u' && /^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) i += 6;
        else fail('invalid escape in string');
      } else i++;
    }
  };
  const number = (): void => {
    const m = /^-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/.exec(text.slice(i, i + 400));
    if (!m) fail('invalid number');
    i += m![0].length;
  };
  const value = (): void => {
    skipWs();
    const c = text[i];
    if (c === '{') {
      i++;
      skipWs();
      if (text[i] === '}') {
        i++;
        return;
      }
      // Keys seen in this object and where, only when duplicates are looked for.
      const keys = options.duplicateKeys ? new Map<string, number>() : undefined;
      for (;;) {
        skipWs();
        if (text[i] !== '"') fail(`expected a quoted property name, ${describe()}`);
        const start = i;
        string();
        if (keys) {
          // Compare decoded keys: "a" and "\u0061" are the same key.
          const key = JSON.parse(text.slice(start, i)) as string;
          const first = keys.get(key);
          if (first !== undefined) {
            i = start;
            fail(`duplicate key ${JSON.stringify(key)}`, { key, firstOffset: first });
          }
          keys.set(key, start);
        }
        skipWs();
        if (text[i] !== ':') fail(`expected ':' after property name, ${describe()}`);
        i++;
        value();
        skipWs();
        if (text[i] === ',') i++;
        else if (text[i] === '}') {
          i++;
          return;
        } else fail(`expected ',' or '}' in object, ${describe()}`);
      }
    } else if (c === '[') {
      i++;
      skipWs();
      if (text[i] === ']') {
        i++;
        return;
      }
      for (;;) {
        value();
        skipWs();
        if (text[i] === ',') i++;
        else if (text[i] === ']') {
          i++;
          return;
        } else fail(`expected ',' or ']' in array, ${describe()}`);
      }
    } else if (c === '"') string();
    else if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) number();
    else if (c === 't') literal('true');
    else if (c === 'f') literal('false');
    else if (c === 'n') literal('null');
    else fail(`expected a JSON value, ${describe()}`);
  };
  try {
    value();
    skipWs();
    if (i < text.length) fail(`unexpected content after the JSON value: ${JSON.stringify(text[i])}`);
    return undefined;
  } catch (e) {
    if (typeof e === 'object' && e !== null && 'offset' in e) return e as JsonProblem;
    if (e instanceof RangeError) return { offset: i, reason: 'nesting too deep' };
    throw e;
  }
}
