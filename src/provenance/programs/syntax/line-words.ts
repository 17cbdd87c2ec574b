/**
 * Line-oriented configurations whose lines are words: HAProxy (doc/configuration.txt §2.2: blanks
 * separate words, "double" and 'single' quotes, `\` escapes, `#` starts a comment at a word's
 * start) and Redis (redis.conf: the same, sdssplitargs). One directive per line.
 *
 * A character loop (never a RegExp over the host's text); at most MAX_LINES lines and
 * MAX_WORDS words per line are kept.
 */

export interface WordLine {
  words: string[];
  /** 1-based. */
  line: number;
  /** The line starts with a blank (HAProxy: a keyword inside a section; sections start in column 0 by habit). */
  indented: boolean;
}

const MAX_LINES = 200_000;
const MAX_WORDS = 256;

/** The non-empty lines of `text` as words. */
export function lineWords(text: string): WordLine[] {
  const out: WordLine[] = [];
  let line = 0;
  let i = 0;
  const n = text.length;
  while (i < n && out.length < MAX_LINES) {
    line++;
    const indented = text[i] === ' ' || text[i] === '\t';
    const words: string[] = [];
    let cur = '';
    let has = false;
    let quote: string | null = null;
    for (; i < n; i++) {
      const c = text[i];
      if (c === '\n') break;
      if (quote) {
        if (c === quote) quote = null;
        else if (c === '\\' && quote === '"' && i + 1 < n && text[i + 1] !== '\n') cur += text[++i];
        else cur += c;
        continue;
      }
      if (c === ' ' || c === '\t' || c === '\r') {
        if (has && words.length < MAX_WORDS) words.push(cur);
        cur = '';
        has = false;
        continue;
      }
      if (c === '#' && !has) {
        while (i < n && text[i] !== '\n') i++;
        break;
      }
      if (c === '"' || c === "'") {
        quote = c;
        has = true;
        continue;
      }
      if (c === '\\' && i + 1 < n && text[i + 1] !== '\n') {
        cur += text[++i];
        has = true;
        continue;
      }
      cur += c;
      has = true;
    }
    if (has && words.length < MAX_WORDS) words.push(cur);
    i++; // the newline
    if (words.length) out.push({ words, line, indented });
  }
  return out;
}
