// Text from a file or the command line made safe to print in a one-line message (shared by
// the command line and emgpu/io, which has no Node dependencies).

// C0 and C1 control characters (escape sequences, carriage returns, ...), and the Unicode
// controls that reorder or hide text on a terminal (bidirectional overrides, line separators).
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/**
 * A string from a file (a header name, a cell) or the command line, safe to print on a terminal:
 * control characters are shown as escapes (\n, \t, \u001b) instead of acting.
 */
export function printable(text: string): string {
  return text.replace(UNPRINTABLE, (c) => {
    if (c === '\n') return '\\n';
    if (c === '\r') return '\\r';
    if (c === '\t') return '\\t';
    return `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
  });
}

/** The text made printable and shortened to `max` characters. */
export function brief(text: string, max = 40): string {
  return printable(text.length > max ? `${text.slice(0, max)}…` : text);
}

/** `"text"`, printable and shortened to `max` characters. */
export function quoted(text: string, max = 40): string {
  return `"${brief(text, max)}"`;
}
