/**
 * Go regexp (RE2) patterns → JS RegExp, for `customer_tags` `reg:` entries and `close_resource` (datakit reference
 * §4.4, Q28). DataKit compiles these with Go's `regexp`, so a pattern must mean the same thing here or be refused:
 * - RE2-only syntax is translated: `(?P<name>`, `\z`, `\A`, `\Q…\E`, `\x{…}`, `\pL`, `\p{Greek}`, octal `\012`,
 *   POSIX classes `[[:alpha:]]`, leading inline flags `(?i)`/`(?s)`/`(?m)`, literal `{`, `}` and `]`.
 * - JS-only syntax that Go refuses is refused: lookaround, backreferences.
 * - RE2 syntax JS cannot express is refused: inline flags after the start or scoped `(?i:…)`, `(?U)`, `\C`,
 *   negated POSIX classes.
 * The `u` flag is always on, so `.` and classes match code points as Go's rune-based matching does.
 * Known tiny difference: JS `\s` also matches `\v` and Unicode spaces (RE2: `[\t\n\f\r ]`).
 */

/** Characters that JS allows after a backslash in `u` mode (besides letters with a meaning). */
const JS_SYNTAX_CHARS = '^$\\.*+?()[]{}|/';
/** RE2 refuses repeat counts above this (`invalid repeat count`). */
const RE2_MAX_REPEAT = 1000;
const REPEAT = /^\{(\d+)(?:,(\d*))?\}/;
const LEADING_FLAGS = /^\(\?([a-zA-Z]+)\)/;
const INLINE_FLAG_GROUP = /^\(\?[^):]*[):]?/;
const OCTAL_TAIL = /^[0-7]{0,2}/;
const HEX_BRACED = /^\{([0-9A-Fa-f]+)\}/;
const UNICODE_CLASS = /^(?:\{(\^?)([A-Za-z_]+)\}|([A-Za-z]))/;
const GENERAL_CATEGORY = /^[A-Z][a-z]?$/;

/** RE2's POSIX classes as JS class contents (ASCII, as in RE2). */
const POSIX_CLASSES: Record<string, string> = {
  alnum: '0-9A-Za-z',
  alpha: 'A-Za-z',
  ascii: '\\x00-\\x7F',
  blank: '\\t ',
  cntrl: '\\x00-\\x1F\\x7F',
  digit: '0-9',
  graph: '!-~',
  lower: 'a-z',
  print: ' -~',
  punct: '!-\\/:-@\\[-`{-~',
  space: '\\t\\n\\v\\f\\r ',
  upper: 'A-Z',
  word: '0-9A-Za-z_',
  xdigit: '0-9A-Fa-f',
};

/** Escapes with the same meaning in RE2 and JS. */
const SAME_ESCAPES = new Set(['d', 'D', 'w', 'W', 's', 'S', 'b', 'B', 'f', 'n', 'r', 't', 'v']);

/** §4.4: a `customer_tags` entry with this prefix is a Go regular expression (shared by the loader and the matcher). */
export const CUSTOMER_TAG_REGEX_PREFIX = 'reg:';

/**
 * Compiles a Go RE2 pattern to an equivalent JS RegExp (use `.test(key)`: RE2 matching is an unanchored search).
 * Throws an Error with a human message when the pattern is invalid or cannot be expressed in JS.
 */
export function compileRe2(pattern: string): RegExp {
  const t = new Translator(pattern);
  const source = t.run();
  try {
    return new RegExp(source, t.flags);
  } catch (e) {
    // "Invalid regular expression: /…/u: Unterminated group" → the reason only (the source is ours, not the user's).
    const msg = (e as Error).message;
    throw new Error(msg.slice(msg.lastIndexOf(': ') + 2));
  }
}

class Translator {
  flags = 'u';
  private i = 0;
  private out = '';

  constructor(private readonly p: string) {}

  run(): string {
    this.leadingFlags();
    while (this.i < this.p.length) {
      const c = this.p[this.i];
      if (c === '\\') this.escape(false);
      else if (c === '[') this.charClass();
      else if (c === '(') this.group();
      else if (c === '{') this.brace();
      else if (c === '}' || c === ']') this.emit(`\\${c}`, 1); // literals in RE2, syntax errors in JS `u` mode
      else this.emit(c, 1);
    }
    return this.out;
  }

  private emit(s: string, advance: number): void {
    this.out += s;
    this.i += advance;
  }

  /** `(?i)`, `(?s)`, `(?m)` (in any combination) at the very start become JS flags. */
  private leadingFlags(): void {
    let m: RegExpExecArray | null;
    while ((m = LEADING_FLAGS.exec(this.p.slice(this.i))) !== null) {
      for (const f of m[1]) {
        if (f === 'U') throw new Error('the ungreedy flag (?U) has no JS equivalent; write lazy quantifiers (*?) instead');
        if (f !== 'i' && f !== 's' && f !== 'm') throw new Error(`unknown inline flag "${f}" in (?${m[1]})`);
        if (!this.flags.includes(f)) this.flags += f;
      }
      this.i += m[0].length;
    }
  }

  private group(): void {
    const rest = this.p.slice(this.i);
    if (!rest.startsWith('(?')) return this.emit('(', 1);
    if (rest.startsWith('(?:')) return this.emit('(?:', 3);
    if (rest.startsWith('(?P<')) return this.emit('(?<', 4); // named group, Python/RE2 spelling
    if (rest.startsWith('(?=') || rest.startsWith('(?!')) {
      throw new Error(`lookahead ${rest.slice(0, 3)} is not supported by RE2 (DataKit would refuse the pattern)`);
    }
    if (rest.startsWith('(?<=') || rest.startsWith('(?<!')) {
      throw new Error(`lookbehind ${rest.slice(0, 4)} is not supported by RE2 (DataKit would refuse the pattern)`);
    }
    if (rest.startsWith('(?<')) return this.emit('(?<', 3); // named group, also accepted by Go ≥ 1.22
    if (rest.startsWith('(?P=') || rest.startsWith('(?P>')) {
      throw new Error('named backreferences are not supported by RE2 (DataKit would refuse the pattern)');
    }
    const flagGroup = INLINE_FLAG_GROUP.exec(rest)![0];
    throw new Error(`inline flags "${flagGroup}" are only supported at the very start of the pattern, as in "(?i)abc"`);
  }

  /** A valid `{n}`, `{n,}`, `{n,m}` is a repeat; any other `{` is a literal in RE2. */
  private brace(): void {
    const m = REPEAT.exec(this.p.slice(this.i));
    if (m === null) return this.emit('\\{', 1);
    for (const n of [m[1], m[2]]) {
      if (n !== undefined && n !== '' && Number(n) > RE2_MAX_REPEAT) {
        throw new Error(`repeat count ${m[0]} is above RE2's limit of ${RE2_MAX_REPEAT}`);
      }
    }
    this.emit(m[0], m[0].length);
  }

  private charClass(): void {
    this.emit('[', 1);
    if (this.p[this.i] === '^') this.emit('^', 1);
    // RE2: a `]` right after `[` or `[^` is a literal; in JS `[]` would be an empty class.
    if (this.p[this.i] === ']') this.emit('\\]', 1);
    while (this.i < this.p.length && this.p[this.i] !== ']') {
      const c = this.p[this.i];
      if (c === '\\') this.escape(true);
      else if (c === '[' && this.p[this.i + 1] === ':') this.posixClass();
      else if (c === '[') this.emit('\\[', 1);
      else this.emit(c, 1);
    }
    if (this.i >= this.p.length) throw new Error('missing closing ]');
    this.emit(']', 1);
  }

  private posixClass(): void {
    const end = this.p.indexOf(':]', this.i + 2);
    if (end < 0) return this.emit('\\[', 1); // not a POSIX class: `[` is a literal inside a class
    const name = this.p.slice(this.i + 2, end);
    if (name.startsWith('^')) throw new Error(`negated POSIX class [:${name}:] is not supported; use [^[:${name.slice(1)}:]]`);
    const contents = POSIX_CLASSES[name];
    if (contents === undefined) throw new Error(`unknown POSIX class [:${name}:]`);
    this.emit(contents, end + 2 - this.i);
  }

  private escape(inClass: boolean): void {
    const c = this.p[this.i + 1];
    if (c === undefined) throw new Error('trailing backslash at end of pattern');
    const after = this.p.slice(this.i + 2);
    if (SAME_ESCAPES.has(c)) return this.emit(`\\${c}`, 2);
    if (c >= '0' && c <= '7' && (c === '0' || OCTAL_TAIL.exec(after)![0] !== '')) return this.octal();
    if (c >= '1' && c <= '9') throw new Error(`backreference \\${c} is not supported by RE2 (DataKit would refuse the pattern)`);
    if (c === 'k' && after.startsWith('<')) {
      throw new Error('named backreference \\k<…> is not supported by RE2 (DataKit would refuse the pattern)');
    }
    if (c === 'x') return this.hex(after);
    if (c === 'p' || c === 'P') return this.unicodeClass(c, after);
    if (c === 'a') return this.emit('\\x07', 2); // bell
    if (!inClass && (c === 'z' || c === 'A')) return this.textAnchor(c);
    if (!inClass && c === 'Q') return this.quoted();
    if (c === 'C') throw new Error('\\C (any byte) has no JS equivalent');
    if (c < '\x80' && !/[0-9A-Za-z]/.test(c)) {
      // Escaped ASCII punctuation is a literal in RE2; JS `u` mode only allows escaping syntax characters.
      return this.emit(JS_SYNTAX_CHARS.includes(c) || (inClass && c === '-') ? `\\${c}` : c, 2);
    }
    throw new Error(`invalid escape sequence \\${c}`);
  }

  /** `\0`, `\012`, `\123`: up to three octal digits (a lone `\1`…`\7` is a backreference, refused above). */
  private octal(): void {
    const digits = this.p[this.i + 1] + OCTAL_TAIL.exec(this.p.slice(this.i + 2))![0];
    this.emit(`\\u{${parseInt(digits, 8).toString(16)}}`, 1 + digits.length);
  }

  private hex(after: string): void {
    const braced = HEX_BRACED.exec(after);
    if (braced !== null) return this.emit(`\\u{${braced[1]}}`, 2 + braced[0].length);
    this.emit('\\x', 2); // `\xHH` is the same in both
  }

  /** `\pL` → `\p{L}`; `\p{Greek}` → `\p{Script=Greek}`; `\p{^Greek}` → `\P{Script=Greek}`. */
  private unicodeClass(c: 'p' | 'P', after: string): void {
    const m = UNICODE_CLASS.exec(after);
    if (m === null) throw new Error(`invalid Unicode class \\${c}${after.slice(0, 1)}`);
    const name = m[2] ?? m[3];
    const negate = (c === 'P') !== (m[1] === '^');
    const property = GENERAL_CATEGORY.test(name) ? name : `Script=${name}`;
    this.emit(`\\${negate ? 'P' : 'p'}{${property}}`, 2 + m[0].length);
  }

  /** `\A` / `\z`: start / end of text, whatever the `m` flag says. */
  private textAnchor(c: 'A' | 'z'): void {
    const multiline = this.flags.includes('m');
    if (c === 'A') this.emit(multiline ? '(?<![\\s\\S])' : '^', 2);
    else this.emit(multiline ? '(?![\\s\\S])' : '$', 2);
  }

  /** `\Q…\E`: everything in between is literal text. */
  private quoted(): void {
    const start = this.i + 2;
    const end = this.p.indexOf('\\E', start);
    const text = this.p.slice(start, end < 0 ? this.p.length : end);
    this.out += text.replace(/[\^$\\.*+?()[\]{}|/]/g, '\\$&');
    this.i = end < 0 ? this.p.length : end + 2;
  }
}
