import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { serverCommand, serverSettings, statusText, statusTooltip } from "../src/settings";

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
