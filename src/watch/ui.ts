/**
 * The watch screen's state and its keys, in htop/btop's conventions: q quit, p pause, s sort,
 * / filter (type, Enter keeps it, Esc clears it), ↑↓ select a finding, Enter its why and fix,
 * ? help, Esc closes what is open. Pure: a key and a state give the next state.
 */
import { filterModel, PROCESS_SORTS, type Model, type ProcessSort } from './model.js';

export interface UiState {
  paused: boolean;
  sort: ProcessSort;
  filter: string;
  /** Typing a filter after `/`. */
  editing: boolean;
  /** Index into the (filtered) groups of findings: one line each on the screen. */
  selected: number;
  /** Showing the selected finding's why and fix. */
  detail: boolean;
  help: boolean;
  /** First line shown of the help or a finding's why and fix, when they are taller than the terminal. */
  scroll: number;
  quit: boolean;
}

export const INITIAL_UI: UiState = { paused: false, sort: 'fill', filter: '', editing: false, selected: 0, detail: false, help: false, scroll: 0, quit: false };

/** A key as node's readline keypress events name it (`name`), with the character typed (`sequence`). */
export interface Key {
  name?: string;
  sequence?: string;
  ctrl?: boolean;
  meta?: boolean;
}

/** A single character as readline names it when it comes alone. */
function charKey(ch: string): Key {
  if (ch === '\r' || ch === '\n') return { name: 'return', sequence: ch };
  if (ch === '\x7f' || ch === '\b') return { name: 'backspace', sequence: ch };
  if (ch === '\x1b') return { name: 'escape', sequence: ch };
  if (ch === ' ') return { name: 'space', sequence: ch };
  if (ch < ' ') return { name: String.fromCharCode(ch.charCodeAt(0) + 96), ctrl: true, sequence: ch };
  if (/^[a-z0-9]$/i.test(ch)) return { name: ch.toLowerCase(), sequence: ch };
  return { sequence: ch };
}

/**
 * The keys a keypress stands for. readline joins Esc and the next byte when they come within its
 * escape timeout (node lib/internal/readline/utils.js emitKeys: ESC + char = the char with `meta`):
 * Esc then Ctrl-C typed quickly arrives as one unnamed key "\x1b\x03", and Ctrl-C was lost. Such
 * a pair is split back into Esc and the key; longer sequences (Alt+arrow) stay whole.
 */
export function keysOf(key: Key): Key[] {
  const seq = key.sequence;
  if (key.meta && seq && seq.length === 2 && seq[0] === '\x1b') return [{ name: 'escape', sequence: '\x1b' }, charKey(seq[1])];
  return [key];
}

/**
 * The selection after a new sample: the same group (by key) where it moved to, so the why and fix
 * on screen stay those of the problem the user picked; when it is gone, the overlay closes.
 */
export function followSelection(state: UiState, before: Model | null, after: Model): UiState {
  if (!before) return state;
  const key = filterModel(before, state.filter).groups[state.selected]?.key;
  const now = filterModel(after, state.filter).groups;
  const at = key === undefined ? -1 : now.findIndex((g) => g.key === key);
  if (at >= 0) return at === state.selected ? state : { ...state, selected: at };
  return { ...state, selected: Math.min(state.selected, Math.max(0, now.length - 1)), detail: false };
}

/** The next state after `key`, with `findings` lines of findings (groups) currently listed (for the selection bounds). */
export function press(state: UiState, key: Key, findings: number): UiState {
  const s = { ...state };
  if (key.ctrl && key.name === 'c') return { ...s, quit: true };
  if (s.editing) {
    if (key.name === 'return' || key.name === 'enter') s.editing = false;
    else if (key.name === 'escape') Object.assign(s, { editing: false, filter: '' });
    else if (key.name === 'backspace') s.filter = s.filter.slice(0, -1);
    else if (key.sequence && key.sequence.length === 1 && key.sequence >= ' ' && key.sequence !== '\x7f' && s.filter.length < 40) s.filter += key.sequence;
    s.selected = 0;
    return s;
  }
  if (s.help || s.detail) {
    // Any of these closes the overlay; q still quits from anywhere, as in htop.
    if (key.name === 'q') return { ...s, quit: true };
    if (key.name === 'escape' || key.name === 'return' || key.name === 'enter' || key.sequence === '?' || key.name === 'h') {
      return { ...s, help: false, detail: false, scroll: 0 };
    }
    // A fix taller than a small terminal is read by scrolling (the screen clamps the end).
    if (key.name === 'down' || key.name === 'j' || key.name === 'pagedown' || key.name === 'space') return { ...s, scroll: s.scroll + (key.name === 'pagedown' || key.name === 'space' ? 10 : 1) };
    if (key.name === 'up' || key.name === 'k' || key.name === 'pageup') return { ...s, scroll: Math.max(0, s.scroll - (key.name === 'pageup' ? 10 : 1)) };
    return s;
  }
  switch (key.name) {
    case 'q':
      return { ...s, quit: true };
    case 'p':
    case 'space':
      return { ...s, paused: !s.paused };
    case 's':
      return { ...s, sort: PROCESS_SORTS[(PROCESS_SORTS.indexOf(s.sort) + 1) % PROCESS_SORTS.length] };
    case 'up':
    case 'k':
      return { ...s, selected: Math.max(0, s.selected - 1) };
    case 'down':
    case 'j':
      return { ...s, selected: Math.min(Math.max(0, findings - 1), s.selected + 1) };
    case 'return':
    case 'enter':
      return findings > 0 ? { ...s, detail: true, scroll: 0 } : s;
    case 'escape':
      return { ...s, filter: '' };
    case 'h':
    case 'f1':
      return { ...s, help: true, scroll: 0 };
  }
  if (key.sequence === '/') return { ...s, editing: true };
  if (key.sequence === '?') return { ...s, help: true, scroll: 0 };
  return s;
}
