// Which suggestion VS Code shows and how much of it the user took, from what the stable API offers: the provider's
// answers and the document's changes. VS Code reports neither "shown" nor a word or line accepted to an extension
// (handleDidShowCompletionItem and handleDidPartiallyAcceptCompletionItem are proposed API); a whole suggestion
// accepted runs the item's own command, so the server hears of that one without us.
// Plain data only (positions as line/character, changes as start/removed/text), so it is unit-tested in Node.

export interface Place {
  line: number;
  character: number;
}

/** One content change of a document event: where it starts, how many characters it replaced, what it inserted. */
export interface Change {
  start: Place;
  removed: number;
  text: string;
}

export interface PartialAccept<Item> {
  item: Item;
  /** Characters of the suggestion accepted so far, cumulative. */
  acceptedLength: number;
}

interface Tracked<Item> {
  uri: string;
  item: Item;
  /** The suggestion as it shows, from the cursor it was asked at (line ends as \n). */
  text: string;
  /** Where the next accepted piece would be inserted. */
  at: Place;
  accepted: number;
}

/**
 * The last suggestion shown and how much of it has been accepted word by word or line by line. VS Code's "accept
 * next word/line" inserts the next piece of the ghost text at the cursor, so an insertion there that continues the
 * suggestion, but does not finish it, is a partial accept. Typing the suggestion's next characters by hand looks the
 * same in the document; the cursor's move that follows tells them apart (moved by the keyboard: typed), so a
 * candidate is reported once the next event shows it was not typed.
 */
export class AcceptTracker<Item> {
  private current: Tracked<Item> | undefined;
  private pending: { accepted: number; at: Place } | undefined;

  constructor(private readonly report: (accept: PartialAccept<Item>) => void) {}

  /**
   * A suggestion VS Code is about to show at `at` in `uri`. False when it is only the answer to the request VS Code
   * makes after a partial accept: VS Code keeps showing the partly accepted suggestion then, not the new answer.
   */
  shown(uri: string, at: Place, text: string, item: Item): boolean {
    this.settle();
    const c = this.current;
    if (c && c.uri === uri && c.accepted > 0 && c.accepted < c.text.length && samePlace(c.at, at)) return false;
    this.current = { uri, item, text: text.replace(/\r\n/g, "\n"), at, accepted: 0 };
    return true;
  }

  /** A document changed: a partial accept of the tracked suggestion becomes a candidate; anything else forgets it. */
  changed(uri: string, changes: readonly Change[]): void {
    this.settle();
    const c = this.current;
    if (!c || c.uri !== uri || changes.length === 0) return;
    const change = changes.length === 1 ? changes[0] : undefined;
    const inserted = change?.text.replace(/\r\n/g, "\n") ?? "";
    const rest = c.text.slice(c.accepted);
    if (change && change.removed === 0 && samePlace(change.start, c.at) && continues(rest, inserted)) {
      this.pending = { accepted: c.accepted + inserted.length, at: advance(c.at, inserted) };
    } else {
      // A whole suggestion accepted lands here too: its command tells the server.
      this.forget();
    }
  }

  /** The cursor moved in `uri`; `typed` when the keyboard or the mouse moved it (not an accept). */
  selectionChanged(uri: string, typed: boolean): void {
    if (!this.pending || this.current?.uri !== uri) return;
    if (typed) this.forget();
    else this.settle();
  }

  /** Reports a candidate no typing vetoed. */
  private settle(): void {
    const c = this.current;
    if (!this.pending || !c) return;
    c.accepted = this.pending.accepted;
    c.at = this.pending.at;
    this.pending = undefined;
    this.report({ item: c.item, acceptedLength: c.accepted });
  }

  private forget(): void {
    this.current = undefined;
    this.pending = undefined;
  }
}

/**
 * Whether `inserted` is a piece VS Code's accept-next-word/line would insert from `rest`: a proper prefix (all of it
 * is the full accept), and more than one character or one ending at a word or line boundary (a lone character in the
 * middle of a word is typing, not an accept).
 */
export function continues(rest: string, inserted: string): boolean {
  if (inserted.length === 0 || inserted.length >= rest.length || !rest.startsWith(inserted)) return false;
  if (inserted.length > 1 || inserted === "\n") return true;
  const next = rest[1];
  return next === "\n" || isWordChar(inserted) !== isWordChar(next);
}

function isWordChar(c: string): boolean {
  return /[\p{L}\p{N}_]/u.test(c);
}

function samePlace(a: Place, b: Place): boolean {
  return a.line === b.line && a.character === b.character;
}

/** Where the cursor is after `text` is inserted at `at`. */
export function advance(at: Place, text: string): Place {
  const lines = text.split("\n");
  return lines.length === 1
    ? { line: at.line, character: at.character + text.length }
    : { line: at.line + lines.length - 1, character: lines[lines.length - 1].length };
}
