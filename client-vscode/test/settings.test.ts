import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { serverCommand, serverSettings, statsLines, statusText, statusTooltip, statusWarns } from "../src/settings";

test("settings sent to the server are the atlas section without empty values", () => {
  const values: Record<string, unknown> = { model: "qwen2.5-coder-1.5b", draftModel: "", maxTokens: 64, serverPath: "/x" };
  assert.deepEqual(serverSettings((k) => values[k]), { atlas: { model: "qwen2.5-coder-1.5b", maxTokens: 64 } });
});

test("a configured dll runs under dotnet, an executable runs as is, and --stdio is always passed", () => {
  assert.deepEqual(serverCommand("/opt/atlas/atlas-lsp.dll", "/ext"), { command: "dotnet", args: ["/opt/atlas/atlas-lsp.dll", "--stdio"] });
  assert.deepEqual(serverCommand("/usr/bin/atlas-lsp", "/ext"), { command: "/usr/bin/atlas-lsp", args: ["--stdio"] });
});

test("without a setting the server bundled with the extension is preferred", () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "atlas-ext-"));
  fs.mkdirSync(path.join(root, "server"));
  fs.writeFileSync(path.join(root, "server", "atlas-lsp.dll"), "");
  assert.deepEqual(serverCommand("", root), { command: "dotnet", args: [path.join(root, "server", "atlas-lsp.dll"), "--stdio"] });
});

test("the status bar shows model, latency and draft acceptance, or that completions are off", () => {
  assert.equal(statusText({ enabled: true, loading: false, model: "Qwen2.5-Coder", latencyMs: 84.4, acceptance: 0.71 }), "$(sparkle) Qwen2.5-Coder · 84 ms · draft 71%");
  assert.equal(statusText({ enabled: false, loading: false }), "$(circle-slash) Atlas off");
  assert.equal(statusText({ enabled: true, loading: true }), "$(sync~spin) Atlas loading");
});

test("without a model the status bar warns and its tooltip says what to set", () => {
  const problem = "no model is configured, so there are no suggestions. Set atlas.model to a GGUF file or a catalog name";
  assert.equal(statusText({ enabled: true, loading: false, problem }), "$(warning) Atlas: no model");
  assert.match(statusTooltip({ enabled: true, loading: false, problem }), /atlas\.model/);
  assert.equal(statusText({ enabled: true, loading: false, model: "Qwen", problem: "the draft did not load" }), "$(warning) Qwen");
  assert.equal(statusText({ enabled: true, loading: false, model: "Qwen", problem: "" }), "$(sparkle) Qwen");
});

const stats = {
  shown: 20, accepted: 7, partiallyAccepted: 2, shownChars: 1900, acceptedChars: 1234, acceptRate: 0.45,
  byLanguage: { csharp: { shown: 18, accepted: 7, partiallyAccepted: 2, acceptRate: 0.5 }, python: { shown: 2, accepted: 0, acceptRate: 0 } },
  singleLine: { shown: 15, accepted: 6, acceptRate: 0.4 },
  multiLine: { shown: 5, accepted: 1, acceptRate: 0.2 },
};

test("the tooltip gives the session's accept figures, per language when there are several", () => {
  assert.equal(statusTooltip({ enabled: true, loading: false, model: "Qwen", stats }), [
    "This session: 20 shown, 7 accepted, 2 in part (45%); 1,234 of 1,900 characters accepted",
    "csharp: 18 shown, 7 accepted, 2 in part (50%)",
    "python: 2 shown, 0 accepted (0%)",
    "single-line: 15 shown, 6 accepted (40%); multi-line: 5 shown, 1 accepted (20%)",
    "Click to turn completions on or off",
  ].join("\n"));
  const one = { ...stats, byLanguage: { csharp: stats.byLanguage.csharp }, multiLine: { shown: 0, accepted: 0, acceptRate: null } };
  assert.deepEqual(statsLines(one), ["This session: 20 shown, 7 accepted, 2 in part (45%); 1,234 of 1,900 characters accepted"]);
  const none = { ...one, shown: 0, accepted: 0, partiallyAccepted: 0, shownChars: 0, acceptedChars: 0, acceptRate: null, byLanguage: {} };
  assert.deepEqual(statsLines(none), ["This session: no suggestion shown yet"]);
});

test("a latency warning turns the bar to a warning and leads the tooltip; an empty one clears it", () => {
  const slow = "completions take 2,300 ms (p50 of the last 20); try a smaller model";
  const status = { enabled: true, loading: false, model: "Qwen", latencyMs: 2300, slow, stats };
  assert.equal(statusWarns(status), true);
  assert.equal(statusText(status), "$(warning) Qwen · 2300 ms");
  assert.equal(statusTooltip(status).split("\n")[0], `Atlas: ${slow}`);
  assert.equal(statusWarns({ ...status, slow: "" }), false);
  assert.equal(statusText({ ...status, slow: "" }), "$(sparkle) Qwen · 2300 ms");
  assert.equal(statusTooltip({ enabled: true, loading: false, model: "Qwen", slow: "" }), "Atlas: click to turn completions on or off");
});
