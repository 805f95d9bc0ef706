import { describe, expect, it } from 'vitest';
import { GraphQLError } from 'graphql';
import { asOneLine, checkedEmail, checkedLine, clientKey, cutTo, notBlank, readableText, refuseHiddenInLine, refuseUnstorable } from './storable-text.ts';

// What a line people read (a name, an address line, an email) may hold, and what a longer text
// (a reason) may: the characters that would print differently than what was checked are refused.

/** The message of what `check` throws. */
const messageOf = (check: () => unknown) => {
  try {
    check();
  } catch (error) {
    return (error as Error).message;
  }
  return 'accepted';
};

const refused = (check: () => unknown) => {
  try {
    check();
  } catch (error) {
    return (error as { extensions?: { code?: string } }).extensions?.code;
  }
  return 'accepted';
};

describe('one line people read', () => {
  it('takes names in any script, with the joiners and direction marks they need', () => {
    const scotland = '\u{1F3F4}\u{E0067}\u{E0062}\u{E0073}\u{E0063}\u{E0074}\u{E007F}';
    for (const name of ['Ada Lovelace', 'Zoë Ørsted-Łukasiewicz', 'דוד כהן', 'محمد علي', 'می\u200Cخواهم', '山田 太郎', 'Dev \u{1F469}\u200D\u{1F4BB}', 'Apt 5\u200E B', `Thistle Tea ${scotland}`]) {
      expect(refused(() => refuseHiddenInLine(name, 'name')), JSON.stringify(name)).toBe('accepted');
    }
  });

  it('refuses line breaks of every kind, control characters, direction overrides and invisible characters', () => {
    const hidden = ['\n', '\r', '\t', '\u0007', '\u0085', '\u2028', '\u2029', '\u202E', '\u2066', '\u2069', '\u00AD', '\u034F', '\u115F', '\u180E', '\u200B', '\u2060', '\u2062', '\u3164', '\uFEFF', '\uFFA0', '\uFFF9', '\u{E0041}', '\u{1F3F4}\u{E0041}\u{E007F}'];
    for (const character of hidden) {
      expect(refused(() => refuseHiddenInLine(`Ada${character}Lovelace`, 'address.name')), JSON.stringify(character)).toBe('BAD_USER_INPUT');
    }
    expect(() => refuseHiddenInLine('\u200B', 'address.name')).toThrow('name must not contain line breaks, control characters (tabs), direction overrides or invisible characters');
  });

  it('refuses right-to-left marks and signs in a line without right-to-left letters, which would print its numbers in another order', () => {
    for (const line of ['Flat \u200F100\u200F-\u200F200\u200F Main St', 'Flat \u061C100-200', 'Flat \u07C0 100-200', 'Unit \u0661\u0660-\u0662\u0660']) {
      expect(refused(() => refuseHiddenInLine(line, 'address.line1')), JSON.stringify(line)).toBe('BAD_USER_INPUT');
    }
    // With a right-to-left letter, marks place what the writer meant; a left-to-right mark in Latin changes nothing.
    for (const line of ['\u05E8\u05D7\u05D5\u05D1 \u05D4\u05E8\u05E6\u05DC 12\u200F', 'Apt 5\u200E B']) {
      expect(refused(() => refuseHiddenInLine(line, 'address.line1')), JSON.stringify(line)).toBe('accepted');
    }
  });
});

describe('a line with a length', () => {
  it('is trimmed, 1 to max characters, one line', () => {
    expect(checkedLine('  Manifesto Mug ', 'title', 200)).toBe('Manifesto Mug');
    expect(() => checkedLine('   ', 'title', 200)).toThrow('title must be 1 to 200 characters');
    // Not empty, but printed as a blank: a Braille blank, joiners, accents over nothing.
    for (const blank of ['\u2800\u2800', '\u200D', '\u0301\u0301']) expect(() => checkedLine(blank, 'address.name', 200), JSON.stringify(blank)).toThrow('name must not be empty: it holds only characters that show nothing');
    // Composed: the two spellings of one name are one name.
    expect(checkedLine('Zoe\u0301', 'name', 200)).toBe('Zo\u00e9');
    expect(() => checkedLine('x'.repeat(201), 'title', 200)).toThrow('title must be 1 to 200 characters');
    expect(() => checkedLine('Mug\nFRAGILE', 'address.name', 200)).toThrow('name must not contain line breaks');
    // Characters as people count them: an emoji is one, though a string's length counts it twice.
    expect(checkedLine('\u{1F375}'.repeat(200), 'title', 200)).toHaveLength(400);
    expect(() => checkedLine('\u{1F375}'.repeat(201), 'title', 200)).toThrow('title must be 1 to 200 characters');
    // An accented letter typed as a letter and its accent, an emoji with a skin tone, a flag: one each.
    const family = '\u{1F468}\u{1F3FB}\u200D\u{1F469}\u{1F3FB}\u200D\u{1F467}\u{1F3FB}\u200D\u{1F466}\u{1F3FB}';
    for (const character of ['x\u0323\u0302', '\u{1F44D}\u{1F3FD}', '\u{1F1E9}\u{1F1EA}', family]) {
      expect(checkedLine(character.repeat(200), 'title', 200), JSON.stringify(character)).toBe(character.repeat(200));
      expect(() => checkedLine(character.repeat(201), 'title', 200), JSON.stringify(character)).toThrow('title must be 1 to 200 characters');
    }
    // Nor more marks on one character than any script writes; a few, as Vietnamese or Tibetan write, are kept.
    expect(() => checkedLine(`Zx${'\u0301\u0302\u0303'.repeat(3)}`, 'vendor.name', 200)).toThrow('name stacks more than 8 accents or other marks on one character');
    expect(checkedLine('Nguy\u1ec5n', 'name', 200)).toBe('Nguy\u1ec5n');
    expect(checkedLine('\u0f66\u0f92\u0fb2\u0f74\u0f56', 'name', 200)).toBe('\u0f66\u0f92\u0fb2\u0f74\u0f56');
    expect(() => readableText(`reason ${'\u0301'.repeat(9)}`, 'reason', 500)).toThrow('reason stacks more than 8');
    // Accents stacked on a letter do not make a long text short.
    expect(() => checkedLine(`a${'\u0301'.repeat(2_500)}`, 'title', 200)).toThrow('title must be 1 to 200 characters');
  });
});

describe('text stored before it was checked, copied onto a label', () => {
  it('becomes one line that prints as it reads, and text that passes the check is left as it is', () => {
    expect(asOneLine('Bob\r\nX-Injected: 1')).toBe('Bob X-Injected: 1');
    expect(asOneLine('Ada\tLove\u202Elace\u200B ')).toBe('Ada Lovelace');
    expect(asOneLine('12 St James\u2028Square')).toBe('12 St James Square');
    for (const text of ['Ada Lovelace', 'می\u200Cخواهم', ' padded ']) expect(asOneLine(text)).toBe(text);
    const wales = '\u{1F3F4}\u{E0067}\u{E0062}\u{E0077}\u{E006C}\u{E0073}\u{E007F}';
    expect(asOneLine(`Cwtch\tTea ${wales}\u200B`)).toBe(`Cwtch Tea ${wales}`);
    expect(asOneLine('\u200B\n')).toBe('');
    // Marks stacked on one character past what a check takes: the first eight are kept.
    expect(asOneLine(`Zx${'\u0301'.repeat(20)} Ltd`)).toBe(`Zx${'\u0301'.repeat(8)} Ltd`);
  });
});

describe('an email address', () => {
  it('takes what people type, trimmed', () => {
    expect(checkedEmail('  A.B+tag@Example.COM ', 'email')).toBe('A.B+tag@Example.COM');
    expect(checkedEmail('josé@correo.es', 'email')).toBe('josé@correo.es');
  });

  it('refuses one that would look like another: soft hyphens, joiners, zero-width spaces; and one too long', () => {
    expect(() => checkedEmail('ada\r\n@example.com', 'email')).toThrow('"ada\\r\\n@example.com" is not an email address');
    for (const email of ['ad\u00ADa@example.com', 'ad\u200Ba@example.com', 'ad\u200Da@example.com', 'ada@exa\u2028mple.com', `${'a'.repeat(250)}@example.com`, 'not-an-email', 'a b@example.com']) {
      expect(refused(() => checkedEmail(email, 'email')), JSON.stringify(email)).toBe('BAD_USER_INPUT');
    }
  });
});

describe('text cut to a length', () => {
  it('counts characters as people do and never cuts one in half', () => {
    expect(cutTo(`${'b'.repeat(499)}\u{1F600}x`, 500)).toBe(`${'b'.repeat(499)}\u{1F600}`);
    expect(cutTo(`${'b'.repeat(500)}\u{1F600}`, 500)).toBe('b'.repeat(500));
    expect(cutTo('short', 500)).toBe('short');
  });
});

describe('a text people read (a reason)', () => {
  it('keeps line breaks and tabs, and refuses other control characters and direction overrides', () => {
    expect(readableText('  Changed my mind.\nSorry!\t ', 'reason', 500)).toBe('Changed my mind.\nSorry!');
    expect(refused(() => readableText('changed \u202Emind', 'reason', 500))).toBe('BAD_USER_INPUT');
    expect(refused(() => readableText('bell\u0007', 'reason', 500))).toBe('BAD_USER_INPUT');
    // An override alone shows nothing; the refusal names it rather than calling the text empty.
    expect(messageOf(() => readableText('\u202E', 'note', 500))).toBe('note must not contain control characters or direction overrides');
  });

  it('refuses text that reads as empty, and tag characters that carry hidden text; a subdivision flag is kept', () => {
    expect(refused(() => readableText('\u200B\u200B', 'note', 500))).toBe('BAD_USER_INPUT');
    expect(refused(() => readableText(' \uFEFF \u2060 ', 'note', 500))).toBe('BAD_USER_INPUT');
    expect(refused(() => readableText('ok\u{E0041}\u{E0042}', 'note', 500))).toBe('BAD_USER_INPUT');
    expect(readableText('Wales \u{1F3F4}\u{E0067}\u{E0062}\u{E0077}\u{E006C}\u{E0073}\u{E007F}', 'note', 500)).toBe('Wales \u{1F3F4}\u{E0067}\u{E0062}\u{E0077}\u{E006C}\u{E0073}\u{E007F}');
    expect(readableText('zero\u200Bwidth inside is kept', 'note', 500)).toBe('zero\u200Bwidth inside is kept');
    // A byte-order mark is a zero-width no-break space, not a sign of a right-to-left script: kept
    // inside as a zero-width space is, trimmed at the ends (where a pasted file's text has it).
    expect(readableText('\uFEFFrefund 100\uFEFF-200 now\uFEFF', 'reason', 500)).toBe('refund 100\uFEFF-200 now');
    // Only what shows nothing: joiners, direction marks, variation selectors, marks without a base, the Braille blank, unassigned.
    for (const blank of ['\u200D', '\u200C\u200E', '\u061C', '\uFE0F', '\u{E0100}', '\u0301\u0300', '\u2800', '\u206A', '\u{1D173}', '\u180B', '\u2065', '\u200B\u200D\u200C\uFE0F\u200E\u2060\u3164\u0301']) {
      expect(refused(() => readableText(blank, 'note', 500)), JSON.stringify(blank)).toBe('BAD_USER_INPUT');
    }
    // Bytes smuggled in variation selectors or zero-width characters after visible text.
    expect(refused(() => readableText(`ok${'\uFE01\uFE0E\u{E0105}\uFE00'.repeat(4)}`, 'note', 500))).toBe('BAD_USER_INPUT');
    expect(refused(() => readableText('ok\u200B\u200C\u200B\u200C', 'note', 500))).toBe('BAD_USER_INPUT');
  });

  it('drops direction formatting from text without right-to-left letters, where it only reorders what is shown', () => {
    expect(readableText('call me on \u2068+44 20 7946 0958\u2069 please', 'note', 500)).toBe('call me on +44 20 7946 0958 please');
    // Kept, an isolate would show "no refund" for what is stored as "refund no"; marks, "refund 200-100".
    expect(readableText('\u2067refund no\u2069', 'reason', 500)).toBe('refund no');
    expect(readableText('refund \u200F100\u200F-\u200F200\u200F now', 'reason', 500)).toBe('refund 100-200 now');
    expect(refused(() => readableText('\u2066\u2069', 'note', 500))).toBe('BAD_USER_INPUT');
    expect(refused(() => readableText('ok \u202Dtext\u202C', 'note', 500))).toBe('BAD_USER_INPUT');
    // What is left after the drop is checked: no run of invisible characters hides behind it.
    expect(refused(() => readableText('ok\u200B\u2066\u200C\u2069\u200B', 'note', 500))).toBe('BAD_USER_INPUT');
  });

  it('keeps direction formatting in right-to-left text, where it places numbers and Latin words as their writer saw them', () => {
    const phoneInHebrew = '\u05D4\u05EA\u05E7\u05E9\u05E8 \u2066+1 (555) 123-4567\u2069 \u05EA\u05D5\u05D3\u05D4';
    expect(readableText(phoneInHebrew, 'note', 500)).toBe(phoneInHebrew);
    expect(readableText('\u05E9\u05DC\u05D5\u05DD!\u200F 100-200', 'reason', 500)).toBe('\u05E9\u05DC\u05D5\u05DD!\u200F 100-200');
    expect(readableText('\u202A\u05E9\u05DC\u05D5\u05DD\u202C and \u2067\u05E2\u05D5\u05DC\u05DD\u2069', 'note', 500)).toBe('\u202A\u05E9\u05DC\u05D5\u05DD\u202C and \u2067\u05E2\u05D5\u05DC\u05DD\u2069');
    // One left open (or closed twice) would spill into what the page shows after it: the embeddings and isolates go.
    expect(readableText('\u05E9\u05DC\u05D5\u05DD \u2067abc \u200F', 'note', 500)).toBe('\u05E9\u05DC\u05D5\u05DD abc \u200F');
    // Letters of the historic right-to-left scripts count.
    expect(readableText('\u{10A10}\u{10A11} \u200F100', 'note', 500)).toBe('\u{10A10}\u{10A11} \u200F100');
  });

  it('refuses signs of a right-to-left script without a letter of one, which reorder the text by themselves', () => {
    // A point, a tatweel, an abbreviation mark, a modifier letter, unassigned code points,
    // and the digits that are right-to-left or Arabic (N'Ko, Adlam, Hanifi Rohingya, Arabic-Indic).
    for (const sign of ['\u05B0', '\u0640', '\u070F', '\u07FA', '\u05FF', '\u{1E8D7}', '\u07C1', '\u{1E951}', '\u{10D31}', '\u0661']) {
      expect(refused(() => readableText(`refund ${sign}100${sign}-${sign}200${sign} now`, 'reason', 500)), JSON.stringify(sign)).toBe('BAD_USER_INPUT');
    }
    // Persian digits take the direction of what is around them.
    expect(readableText('order \u06F1\u06F2\u06F3 please', 'note', 500)).toBe('order \u06F1\u06F2\u06F3 please');
  });

  it('refuses runs of any characters shown as nothing, unassigned ones and invisible vowels included', () => {
    for (const run of ['\u{E0080}\u{E0081}\u{E0082}', '\u17B4\u17B5\u17B4', '\uFE01\uFE02\u17B4', '\u2065\uFFF0\uFFF1']) {
      expect(refused(() => readableText(`ok${run} fine`, 'note', 500)), JSON.stringify(run)).toBe('BAD_USER_INPUT');
    }
  });

  it('keeps what people write: accents, scripts that join, emoji sequences', () => {
    for (const text of ['Cafe\u0301 ne\u0301', 'Vie\u0323\u0302t', '\u0645\u06CC\u200C\u062E\u0648\u0627\u0647\u0645', '\u2764\uFE0F thanks', '\u{1F469}\u200D\u2764\uFE0F\u200D\u{1F48B}\u200D\u{1F468}', '\u{1F3F3}\uFE0F\u200D\u{1F308}', '1\uFE0F\u20E3', '\u845B\u{E0100}\u57CE']) {
      expect(readableText(text, 'note', 500)).toBe(text);
    }
  });
});

describe('a key or an id a client names', () => {
  it('refuses one that shows nothing: a zero-width space is no key and names no element', () => {
    for (const blank of ['', '  ', '\u200B', '\u200B\u2060']) {
      expect(refused(() => clientKey(blank, 'idempotencyKey')), JSON.stringify(blank)).toBe('BAD_USER_INPUT');
      expect(messageOf(() => notBlank(blank, 'elementId')), JSON.stringify(blank)).toBe('elementId must not be empty');
    }
    expect(clientKey('cancel-4711', 'idempotencyKey')).toBe('cancel-4711');
    expect(notBlank('r-1', 'elementId')).toBe('r-1');
  });

  it('refuses one that reads otherwise than it is stored, or looks like another: a receipt id shows in the customer\'s history of her return', () => {
    const hidden = [
      'R1 \u202Edetaerc dnufer ON\u202C', 'R1\u2066x\u2069', 'R1\u200Bx', 'R1\nx', 'R1\u2028x', 'R1\tx',
      // Direction marks, joiners, other format characters, variation selectors, look-alike blanks, spaces around it or doubled.
      'k\u200F', 'k\u200E', 'k\u061C', 'k\u200C', 'k\u200D', 'k\u2065', 'k\u206A', 'k\u206F', 'k\uFE0F', 'k\u{E0100}', 'k\u180B', 'k\u180F', 'k\u17B4', 'k\u{1D173}', 'k\u{1BCA0}',
      'k\u00A0x', 'k\u200Ax', 'k\u2800', ' RCPT-1', 'RCPT-1 ', 'RCPT  1', '\u3164', 'k\u{1BC9D}',
      // A joiner or selector outside an emoji, and a decomposed letter (the composed one is the key).
      'a\u200Db', '\u200D\u{1F4BB}', 'k\uFE0F', 'Cafe\u0301-x',
    ];
    for (const key of hidden) {
      expect(messageOf(() => clientKey(key, 'receiptId')), JSON.stringify(key)).toBe(
        'receiptId must be 1 to 100 characters that all show (letters, digits, punctuation, symbols, single spaces between them), composed (NFC), without control, direction, joining or invisible characters',
      );
    }
    // Letters of any script with their marks, digits, punctuation and symbols (emoji too) are keys like any other.
    const keys = ['\u0645\u06CC\u062E-1', 'Caf\u00E9-7', '\u{1F4E6}-7', 'Beleg-Nr. 4711/\u00C4', 'order:64b0#2'];
    // Emoji as they are written: with their presentation selector, skin tone, joiners, keycaps and flags.
    keys.push('\u2764\uFE0F-x', '1\uFE0F\u20E3-x', '\u{1F3F3}\uFE0F\u200D\u{1F308}-x', '\u{1F469}\u200D\u{1F4BB}-x', '\u{1F44D}\u{1F3FD}', '\u{1F1E9}\u{1F1EA}-k', '\u{1F3F4}\u{E0067}\u{E0062}\u{E0077}\u{E006C}\u{E0073}\u{E007F}-1');
    for (const key of keys) expect(clientKey(key, 'receiptId'), JSON.stringify(key)).toBe(key);
  });
});

describe('text no field can store (a NUL, a lone surrogate)', () => {
  const refusal = (params: { query?: string; variables?: unknown }) => {
    try {
      refuseUnstorable(params);
    } catch (error) {
      return (error as GraphQLError).extensions;
    }
    return 'accepted';
  };

  it('is BAD_USER_INPUT naming the field within the variable, as the other checks name it within the argument', () => {
    expect(refusal({ query: 'q', variables: { input: { lines: [{ sku: 'a\u0000' }] } } })).toMatchObject({ code: 'BAD_USER_INPUT', field: 'lines[0].sku' });
    expect(refusal({ query: 'q', variables: { reason: 'half\ud800' } })).toMatchObject({ code: 'BAD_USER_INPUT', field: 'reason' });
    expect(refusal({ query: 'q', variables: { ids: ['ok', '\u0000'] } })).toMatchObject({ field: 'ids[1]' });
    // In the document itself: no field to name.
    expect(refusal({ query: '{ receipt(id: "a\\u0000b") { id } }' })).not.toHaveProperty('field');
    expect(refusal({ query: 'q', variables: { reason: 'fine' } })).toBe('accepted');
  });
});
