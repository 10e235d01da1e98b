import { test } from "node:test";
import * as assert from "node:assert/strict";
import { AcceptTracker, advance, continues, PartialAccept } from "../src/accepts";

const uri = "file:///work/demo.cs";
const at = { line: 4, character: 8 };

/** A tracker that shows `text` at `at` and collects what it reports. */
function showing(text: string) {
  const reported: PartialAccept<string>[] = [];
  const tracker = new AcceptTracker<string>((accept) => reported.push(accept));
  assert.equal(tracker.shown(uri, at, text, "item-1"), true);
  return { tracker, reported };
}

/** What VS Code's accept-next-word does: insert the piece at the cursor, then move the cursor itself (no keyboard). */
function acceptPiece(tracker: AcceptTracker<string>, where: { line: number; character: number }, piece: string) {
  tracker.changed(uri, [{ start: where, removed: 0, text: piece }]);
  tracker.selectionChanged(uri, false);
}

test("word by word: each piece is reported with the characters accepted so far", () => {
  const { tracker, reported } = showing("GetBook(id);\nreturn book;");
  acceptPiece(tracker, at, "GetBook");
  acceptPiece(tracker, { line: 4, character: 15 }, "(");
  acceptPiece(tracker, { line: 4, character: 16 }, "id);\n");
  assert.deepEqual(reported, [
    { item: "item-1", acceptedLength: 7 },
    { item: "item-1", acceptedLength: 8 },
    { item: "item-1", acceptedLength: 13 },
  ]);
  // The rest, accepted whole, is the full accept: the item's command reports it, not the tracker.
  acceptPiece(tracker, advance({ line: 4, character: 16 }, "id);\n"), "return book;");
  assert.equal(reported.length, 3);
});

test("the whole suggestion at once is not a partial accept", () => {
  const { tracker, reported } = showing("GetBook(id);");
  acceptPiece(tracker, at, "GetBook(id);");
  assert.deepEqual(reported, []);
});

test("characters typed by hand that match the suggestion are not an accept", () => {
  const { tracker, reported } = showing("GetBook(id);");
  tracker.changed(uri, [{ start: at, removed: 0, text: "Ge" }]);
  tracker.selectionChanged(uri, true);
  // The suggestion is forgotten: the next piece is not counted either.
  acceptPiece(tracker, { line: 4, character: 10 }, "tBook");
  assert.deepEqual(reported, []);
});

test("a candidate no cursor move confirmed is reported by the next event", () => {
  const { tracker, reported } = showing("GetBook(id);");
  tracker.changed(uri, [{ start: at, removed: 0, text: "GetBook" }]);
  assert.deepEqual(reported, []);
  tracker.changed(uri, [{ start: { line: 9, character: 0 }, removed: 0, text: "x" }]);
  assert.deepEqual(reported, [{ item: "item-1", acceptedLength: 7 }]);
});

test("an edit elsewhere, a deletion or a text that departs from the suggestion forgets it", () => {
  for (const change of [
    { start: { line: 4, character: 9 }, removed: 0, text: "GetBook" },
    { start: at, removed: 3, text: "GetBook" },
    { start: at, removed: 0, text: "GetAll" },
  ]) {
    const { tracker, reported } = showing("GetBook(id);");
    tracker.changed(uri, [change]);
    tracker.selectionChanged(uri, false);
    acceptPiece(tracker, advance(at, change.text), "GetBook");
    assert.deepEqual(reported, [], JSON.stringify(change));
  }
});

test("changes to other documents and cursor moves without an edit leave the suggestion alone", () => {
  const { tracker, reported } = showing("GetBook(id);");
  tracker.changed("file:///work/other.cs", [{ start: { line: 0, character: 0 }, removed: 0, text: "x" }]);
  tracker.selectionChanged(uri, true);
  acceptPiece(tracker, at, "GetBook");
  assert.deepEqual(reported, [{ item: "item-1", acceptedLength: 7 }]);
});

test("after a partial accept VS Code keeps the suggestion: the answer to its next request is not shown", () => {
  const { tracker, reported } = showing("GetBook(id);");
  acceptPiece(tracker, at, "GetBook");
  const next = { line: 4, character: 15 };
  assert.equal(tracker.shown(uri, next, "(id);", "item-2"), false);
  acceptPiece(tracker, next, "(");
  assert.deepEqual(reported.at(-1), { item: "item-1", acceptedLength: 8 });
  // Anywhere else, a new answer is a new suggestion shown.
  assert.equal(tracker.shown(uri, { line: 7, character: 0 }, "return;", "item-3"), true);
});

test("a lone character counts only at a word or line boundary", () => {
  assert.equal(continues("(id);", "("), true);
  assert.equal(continues(" book", " "), true);
  assert.equal(continues("\n    return", "\n"), true);
  assert.equal(continues("x;", "x"), true);
  assert.equal(continues("GetBook", "G"), false);
  assert.equal(continues("GetBook", "GetBook"), false, "the whole rest is the full accept");
  assert.equal(continues("GetBook", ""), false);
});

test("Windows line ends in the document match the suggestion's \\n", () => {
  const { tracker, reported } = showing("a();\nb();\nc();");
  acceptPiece(tracker, at, "a();\r\n");
  assert.deepEqual(reported, [{ item: "item-1", acceptedLength: 5 }]);
  assert.deepEqual(advance(at, "a();\nb"), { line: 5, character: 1 });
});
