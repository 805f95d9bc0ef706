import { GraphQLError } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { badInput, ErrorCode } from './errors.ts';

/**
 * Refuses a request whose text cannot be stored: a NUL character or a lone UTF-16 surrogate,
 * anywhere in the document or its variables. PostgreSQL (behind the embedded FerretDB) cannot
 * store NUL in text, MongoDB drivers reject lone surrogates, and no field of ours means either;
 * so they are the client's error (BAD_USER_INPUT), found before anything is read or written,
 * rather than a database error surfacing as INTERNAL_SERVER_ERROR. One check for every
 * subgraph and the gateway.
 */
// eslint-disable-next-line no-control-regex
const unstorable = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * Where in `value` such text is (a path like `variables.input.lines[0]`), or null. Walks without
 * recursion, and names the path only once found: variables may nest deeper than the stack.
 */
function findUnstorable(value: unknown, root: string): string | null {
  const nodes: { value: unknown; parent: number; key: string | number | null }[] = [{ value, parent: -1, key: null }];
  const stack = [0];
  while (stack.length > 0) {
    const index = stack.pop()!;
    const current = nodes[index]!.value;
    if (typeof current === 'string') {
      if (unstorable.test(current)) return pathTo(nodes, index, root);
    } else if (current && typeof current === 'object') {
      const children: [string | number, unknown][] = Array.isArray(current) ? current.map((item, i) => [i, item]) : Object.entries(current);
      for (let i = children.length - 1; i >= 0; i--) {
        stack.push(nodes.length);
        nodes.push({ value: children[i]![1], parent: index, key: children[i]![0] });
      }
    }
  }
  return null;
}

function pathTo(nodes: { parent: number; key: string | number | null }[], index: number, root: string): string {
  const keys: (string | number)[] = [];
  for (let at = index; nodes[at]!.key !== null; at = nodes[at]!.parent) keys.unshift(nodes[at]!.key!);
  return keys.reduce<string>((path, key) => (typeof key === 'number' ? `${path}[${key}]` : path ? `${path}.${key}` : key), root);
}

/** The same characters written as escapes inside the document's string literals (`"a\\u0000b"`). */
const escapedUnstorable = /\\u0{4}|\\u\{0+\}|\\u[dD][89abAB][0-9a-fA-F]{2}(?!\\u[dD][c-fC-F][0-9a-fA-F]{2})|(?<!\\u[dD][89abAB][0-9a-fA-F]{2})\\u[dD][c-fC-F][0-9a-fA-F]{2}/;

/**
 * In a variable, where the text is within it (`variables.input.lines[0].sku`: `lines[0].sku`), as
 * the field checks name the place within an argument (a variable is usually a whole argument);
 * the variable's own name when it is the text itself.
 */
function fieldOf(where: string): { field?: string } {
  const match = /^variables\.([^.[]+)(.*)$/.exec(where);
  if (!match) return {};
  const [, variable, rest] = match as unknown as [string, string, string];
  return { field: rest.startsWith('.') ? rest.slice(1) : `${variable}${rest}` };
}

/** Throws BAD_USER_INPUT if the request's document or variables hold text no field can store (for HTTP and WebSocket alike). */
export function refuseUnstorable<T extends { query?: string; variables?: unknown }>(params: T): T {
  const query = params.query ?? '';
  const where = findUnstorable(query, 'query') ?? (escapedUnstorable.test(query) ? 'query' : null) ?? findUnstorable(params.variables ?? {}, 'variables');
  if (where) {
    throw new GraphQLError(`${where} holds a NUL character or a lone UTF-16 surrogate, which no field accepts`, {
      // A request error like a variable of the wrong type: 400 for application/graphql-response+json, 200 for application/json.
      extensions: { code: ErrorCode.BAD_USER_INPUT, http: { spec: true, status: 400 }, ...fieldOf(where) },
    });
  }
  return params;
}

export function useStorableText(): Plugin {
  return {
    onParams({ params }) {
      refuseUnstorable(params);
    },
  };
}

/** Direction overrides and isolates (U+202A-U+202E, U+2066-U+2069): text then reads differently than it is stored. */
const DIRECTION_CONTROLS = '\u202A-\u202E\u2066-\u2069';
/**
 * Characters that show nothing but make two texts that look alike differ (a name that looks
 * blank, an email that looks like another's): soft hyphen, combining grapheme joiner, Mongolian
 * vowel separator, zero-width space, word joiner, invisible operators, Hangul fillers,
 * byte-order mark, interlinear annotation marks, and the tag characters that can smuggle text
 * along unseen. Zero-width (non-)joiners and the direction marks are left: Persian, emoji and
 * mixed-direction text need them.
 */
const INVISIBLE = '\u00AD\u034F\u115F\u1160\u180E\u200B\u2060-\u2064\u3164\uFEFF\uFFA0\uFFF9-\uFFFB\u{E0000}-\u{E007F}';
/** The flags of England, Scotland and Wales: the only tag characters that mean something to a reader. */
const SUBDIVISION_FLAGS = /\u{1F3F4}\u{E0067}\u{E0062}(?:\u{E0065}\u{E006E}\u{E0067}|\u{E0073}\u{E0063}\u{E0074}|\u{E0077}\u{E006C}\u{E0073})\u{E007F}/gu;
/** In a text people read: control characters (tab and line breaks aside) and the direction overrides (embeddings and isolates: withoutDirectionFormatting). */
const hiddenInText = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F\u202D\u202E]/u;
/** In one line also line breaks of every kind: control characters and the line and paragraph separators (U+2028, U+2029). */
const hiddenInLinePattern = new RegExp(`[\\p{Cc}\\p{Zl}\\p{Zp}${DIRECTION_CONTROLS}${INVISIBLE}]`, 'u');
const hasHiddenInLine = (text: string) => hiddenInLinePattern.test(text.replace(SUBDIVISION_FLAGS, ''));

/** Combining marks one character may carry (refuseStackedMarks). */
export const MAX_MARKS_A_CHARACTER = 8;
/** Code points a character may hold, at most, for `longerThan`: a flag, a family emoji, a letter with two accents. */
const MAX_CODE_POINTS_A_CHARACTER = 12;
const graphemes = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

/**
 * Whether `text` has more than `max` characters as people count them (grapheme clusters): an
 * emoji, a flag, or an accented letter typed as a letter and a combining accent, is one
 * character, though a string's `length` counts two or more. A text of more than twelve code points
 * a character (a family emoji with skin tones has eleven) is longer all the same: accents stacked
 * on one letter do not make a long text short.
 */
export function longerThan(text: string, max: number): boolean {
  if (text.length <= max) return false;
  let codePoints = 0;
  for (const _codePoint of text) if (++codePoints > max * MAX_CODE_POINTS_A_CHARACTER) return true;
  if (codePoints <= max) return false;
  let characters = 0;
  for (const _character of graphemes.segment(text)) if (++characters > max) return true;
  return false;
}

/** `text` cut to at most `max` code points, never through a surrogate pair (for messages that quote what a client sent). */
export function cutTo(text: string, max: number): string {
  return text.length > max ? [...text].slice(0, max).join('') : text;
}

/** Whether the text shows nothing: empty, or only spaces and invisible characters (a zero-width space). */
export const showsNothing = (text: string): boolean => !text.replace(unseen, '');

/** `value`, unless it shows nothing (an id or a filter that could name nothing): then BAD_USER_INPUT. */
export function notBlank(value: string, field: string): string {
  if (showsNothing(value)) throw badInput(`${field} must not be empty`, field);
  return value;
}

/**
 * Words a person wrote that other people will read (a cancellation's or a return's reason, a
 * note): trimmed, not empty (nor only characters that show nothing, which read as empty), at
 * most `max` characters, and without control characters (tab and line breaks aside), the
 * direction overrides that make text read differently than it is stored, or what carries text
 * along unseen: tag characters (the flags of England, Scotland and Wales aside) and runs of
 * invisible characters. Direction formatting (marks, embeddings, isolates, which phones put
 * around a pasted number or name) is kept in right-to-left text and dropped elsewhere
 * (withoutDirectionFormatting).
 */
export function readableText(value: string, field: string, max: number): string {
  const text = withoutDirectionFormatting(value, field);
  // Named before emptiness: an override alone shows nothing, and "empty" would not say what to remove.
  if (hiddenInText.test(text)) throw badInput(`${field} must not contain control characters or direction overrides`, field);
  if (showsNothing(text)) throw badInput(`${field} must not be empty`, field);
  if (longerThan(text, max)) throw badInput(`${field} is longer than ${max} characters`, field);
  refuseStackedMarks(text, field, field);
  const withoutFlags = text.replace(SUBDIVISION_FLAGS, '');
  if (TAGS.test(withoutFlags) || hiddenRun.test(withoutFlags)) throw badInput(`${field} must not carry hidden text (tag characters, or runs of invisible characters)`, field);
  return text;
}
const TAGS = /[\u{E0000}-\u{E007F}]/u;
/** Direction embeddings, their pop, and isolates (U+202A-U+202C, U+2066-U+2069): not the overrides (U+202D, U+202E). */
const DIRECTION_FORMATTING = /[\u202A-\u202C\u2066-\u2069]/g;
/** The direction marks: left-to-right, right-to-left, Arabic letter mark. */
const DIRECTION_MARKS = /[\u200E\u200F\u061C]/g;
/**
 * The blocks of the scripts written right to left (Hebrew, Arabic, Syriac, Thaana, N'Ko, ... and
 * the historic ones). Not U+FEFF, the last code point of Arabic Presentation Forms-B: the
 * byte-order mark (a zero-width no-break space) has no direction, and is one of the invisible
 * characters above.
 */
const RTL_BLOCKS = '\u0590-\u08FF\uFB1D-\uFDFF\uFE70-\uFEFE\u{10800}-\u{10FFF}\u{1E800}-\u{1EFFF}';
/** A letter of those blocks: not a modifier letter (the tatweel), a point, a digit, a format character or an unassigned code point. */
const RIGHT_TO_LEFT_LETTER = new RegExp(`(?=[\\p{Lu}\\p{Ll}\\p{Lt}\\p{Lo}])[${RTL_BLOCKS}]`, 'u');
/**
 * Anything of those blocks but the extended Arabic-Indic (Persian) digits, which take the direction
 * of what is around them: without a right-to-left letter such a sign only reorders what is shown
 * (one N'Ko digit showed "100 - 200" as "200 - 100"; Arabic-Indic digits in a list reverse it).
 */
const RIGHT_TO_LEFT_SIGN = new RegExp(`(?![\\u06F0-\\u06F9])[${RTL_BLOCKS}]`, 'u');

/**
 * `value`, trimmed, with direction formatting only where it serves a reader:
 * - in text with a right-to-left letter, marks, embeddings and isolates place its numbers and
 *   Latin words where its writer saw them (a phone number in Hebrew reads backwards without its
 *   isolates): kept, with embeddings and isolates only if each one opened is closed;
 * - in text without one, none of them places anything; they only reorder what is shown ("refund
 *   100-200" showed as "refund 200-100"; an isolate shows "refund no" as "no refund"): dropped.
 *   There, any other sign of the right-to-left scripts reorders the text by itself: BAD_USER_INPUT.
 */
function withoutDirectionFormatting(value: string, field: string): string {
  const text = value.trim();
  const plain = text.replace(DIRECTION_FORMATTING, '').replace(DIRECTION_MARKS, '');
  if (RIGHT_TO_LEFT_LETTER.test(plain)) return balancedDirections(text) ? text : text.replace(DIRECTION_FORMATTING, '').trim();
  if (RIGHT_TO_LEFT_SIGN.test(plain)) throw badInput(`${field} holds signs of a right-to-left script but no letter of one; they would show it in another order`, field);
  return plain.trim();
}

/** Whether every embedding (U+202A, U+202B) is closed by U+202C and every isolate (U+2066-U+2068) by U+2069, nested. */
function balancedDirections(text: string): boolean {
  const open: string[] = [];
  for (const character of text) {
    if (character === '\u202A' || character === '\u202B') open.push('embedding');
    else if (character >= '\u2066' && character <= '\u2068') open.push('isolate');
    else if (character === '\u202C' && open.pop() !== 'embedding') return false;
    else if (character === '\u2069' && open.pop() !== 'isolate') return false;
  }
  return open.length === 0;
}
/** Variation selectors: one after a character picks its look (an emoji's, a CJK ideograph's); many in a row carry bytes unseen. */
const VARIATION_SELECTORS = '\uFE00-\uFE0F\u180B-\u180D\u180F\u{E0100}-\u{E01EF}';
/**
 * What shows nothing of its own: format characters, marks without a base, spaces and controls,
 * unassigned code points, the Braille blank, and the invisible characters above. Text of only
 * these reads as empty.
 */
const unseen = new RegExp(`[\\p{Cf}\\p{DI}\\p{Mn}\\p{Me}\\p{Z}\\p{Cc}\\p{Cn}\\u2800${INVISIBLE}${VARIATION_SELECTORS}]`, 'gu');
/**
 * Three or more invisible characters in a row (format characters, and every code point Unicode
 * says to show as nothing: \p{DI}, unassigned ones included): no script or emoji needs them (an
 * emoji sequence has at most a variation selector and a joiner together), and they can encode text
 * a reader never sees.
 */
const hiddenRun = new RegExp(`[\\p{Cf}\\p{DI}${INVISIBLE}${VARIATION_SELECTORS}]{3,}`, 'u');

/**
 * One line people read on a screen or a parcel's label (a name, a line of an address, an email):
 * BAD_USER_INPUT naming `field` when it holds a line break of any kind, another control
 * character (a tab), a direction override or an invisible character, which would print as
 * something else than what was checked, or make it look like another; or, without a
 * right-to-left letter, a right-to-left mark or another sign of those scripts, which would print
 * its numbers in another order ("Flat 100-200" as "Flat 200-100").
 */
export function refuseHiddenInLine(value: string, field: string, name = field.split('.').at(-1)!): void {
  if (hasHiddenInLine(value)) throw badInput(`${name} must not contain line breaks, control characters (tabs), direction overrides or invisible characters`, field);
  refuseStackedMarks(value, field, name);
  if (!RIGHT_TO_LEFT_LETTER.test(value) && (RIGHT_TO_LEFT_MARKS.test(value) || RIGHT_TO_LEFT_SIGN.test(value))) {
    throw badInput(`${name} holds right-to-left marks or signs but no right-to-left letter; it would print in another order`, field);
  }
}
/**
 * BAD_USER_INPUT naming `field` when a line that is not empty shows nothing all the same (a
 * Braille blank, joiners, accents with nothing under them): a name or an address line that
 * prints as a blank, which `trim` keeps.
 */
export function refuseBlank(value: string, field: string, name = field.split('.').at(-1)!): void {
  if (showsNothing(value)) throw badInput(`${name} must not be empty: it holds only characters that show nothing`, field);
}

/**
 * More combining marks on one character than any script writes (Vietnamese puts two on a letter,
 * Tibetan stacks a few): text that spills over the lines around it wherever it is shown.
 */
const STACKED_MARKS = new RegExp(`\\p{M}{${MAX_MARKS_A_CHARACTER + 1},}`, 'u');

/** BAD_USER_INPUT naming `field` when a character carries more than MAX_MARKS_A_CHARACTER combining marks. */
export function refuseStackedMarks(value: string, field: string, name = field.split('.').at(-1)!): void {
  if (STACKED_MARKS.test(value)) throw badInput(`${name} stacks more than ${MAX_MARKS_A_CHARACTER} accents or other marks on one character`, field);
}

/** The right-to-left mark and the Arabic letter mark (a left-to-right mark in left-to-right text changes nothing). */
const RIGHT_TO_LEFT_MARKS = /[\u200F\u061C]/;

/**
 * A line people read (a name, a title), trimmed and composed (NFC: an accented letter typed as a
 * letter and its accent is stored as the one letter, so the two spellings of one name are one name,
 * where names are unique): 1 to `max` characters and passing refuseHiddenInLine; BAD_USER_INPUT
 * naming `field` otherwise.
 */
export function checkedLine(value: string, field: string, max: number): string {
  const line = value.trim().normalize('NFC');
  const name = field.split('.').at(-1)!;
  if (!line || longerThan(line, max)) throw badInput(`${name} must be 1 to ${max} characters`, field);
  refuseBlank(line, field, name);
  refuseHiddenInLine(line, field, name);
  return line;
}

/** A key's characters: letters (with their marks), digits, punctuation and symbols, runs of them one space apart. */
const KEY = /^[\p{L}\p{M}\p{N}\p{P}\p{S}]+(?: [\p{L}\p{M}\p{N}\p{P}\p{S}]+)*$/u;
/**
 * Of those, what shows nothing, so that two keys that look the same differ: variation selectors,
 * Mongolian and Khmer ones, Hangul fillers, the Braille blank, and the invisible characters
 * one-line text refuses (INVISIBLE).
 */
const INVISIBLE_IN_KEYS = new RegExp(`[\uFE00-\uFE0F\u{E0100}-\u{E01EF}\u180B-\u180F\u17B4\u17B5\u2800\u{1BC9D}\u{1BC9E}${INVISIBLE}]`, 'u');
/**
 * Emoji as they are written: a pictograph with its presentation selector or skin tone, joined to
 * others (U+200D: a family, a rainbow flag), keycaps, and the flags of England, Scotland and Wales.
 * Their joiners and selectors show as one picture, so a key may hold them there, and nowhere else.
 */
const EMOJI = /\p{Extended_Pictographic}(?:\uFE0F|\p{Emoji_Modifier})?(?:\u200D\p{Extended_Pictographic}(?:\uFE0F|\p{Emoji_Modifier})?)*|[0-9#*]\uFE0F\u20E3/gu;

/**
 * A key or id a client chose (an idempotency key, a receipt id): it names a record and shows up
 * in lists, cursors and histories (a customer reads the receipt that brought her return back).
 * Two keys that look the same must be the same key, so it is 1 to `max` characters that all show:
 * letters, digits, punctuation and symbols, single spaces between them, nothing around them; no
 * control, format (direction marks, joiners), invisible or blank-looking characters.
 */
export function clientKey(value: string, field: string, max = 100): string {
  const shown = value.replace(SUBDIVISION_FLAGS, 'x').replace(EMOJI, 'x');
  // Composed (NFC), as keyboards type it: "é" as one character and as "e" with its accent would be two keys.
  if (longerThan(value, max) || !KEY.test(shown) || INVISIBLE_IN_KEYS.test(shown) || value !== value.normalize('NFC')) {
    throw badInput(
      `${field} must be 1 to ${max} characters that all show (letters, digits, punctuation, symbols, single spaces between them), composed (NFC), without control, direction, joining or invisible characters`,
      field,
    );
  }
  return value;
}

/**
 * `text` as one line that prints as it reads: line breaks and other control characters become
 * spaces, direction overrides and invisible characters are dropped. For text stored before
 * refuseHiddenInLine checked it, copied where it is printed (an order's shipping address and
 * lines, which go onto labels; a customer copied to a regional replica). Text that passes
 * refuseHiddenInLine comes back as it is.
 */
export function asOneLine(text: string): string {
  // Marks stacked past what refuseStackedMarks takes keep the first MAX_MARKS_A_CHARACTER.
  const unstacked = text.replace(STACKED_MARKS_RUNS, (run) => [...run].slice(0, MAX_MARKS_A_CHARACTER).join(''));
  if (!hasHiddenInLine(unstacked)) return unstacked;
  // Split around the subdivision flags (odd pieces), which are kept whole as refuseHiddenInLine keeps them.
  const pieces = unstacked.split(aroundSubdivisionFlags);
  const cleaned = pieces.map((piece, i) => (i % 2 === 1 ? piece : piece.replace(hiddenToDrop, '').replace(lineBreaks, ' ')));
  return cleaned.join('').replace(/ {2,}/g, ' ').trim();
}
const STACKED_MARKS_RUNS = new RegExp(STACKED_MARKS.source, 'gu');
const aroundSubdivisionFlags = new RegExp(`(${SUBDIVISION_FLAGS.source})`, 'u');
const hiddenToDrop = new RegExp(`[${DIRECTION_CONTROLS}${INVISIBLE}]`, 'gu');
const lineBreaks = /[\p{Cc}\p{Zl}\p{Zp}]+/gu;

/**
 * An email address as typed (trimmed): `local@domain.tld` with nothing invisible in it, at most 254
 * characters; BAD_USER_INPUT naming `field` otherwise. Format characters of every kind are refused
 * here (a soft hyphen, a joiner): unseen, they would make an address that looks like another's.
 */
export function checkedEmail(input: string, field: string): string {
  const email = input.trim();
  // hiddenInLinePattern refuses control characters, line breaks and the invisible characters
  // that are no format characters (Hangul fillers, the combining grapheme joiner); then every
  // format character and every kind of space.
  if (email.length > 254 || !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email) || hiddenInLinePattern.test(email) || /[\p{Cf}\p{Z}]/u.test(email)) {
    // Quoted as JSON, and cut between characters: what was sent, without letting it print as something else.
    throw badInput(`${JSON.stringify([...input].slice(0, 100).join(''))} is not an email address`, field);
  }
  return email;
}
