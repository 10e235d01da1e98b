// The client's protocol against the real server: the same JSON-RPC library vscode-languageclient is built on,
// the same initialize/didOpen/inlineCompletion/completion/codeAction messages the extension sends, and the accept
// reports: didShowCompletion and didPartiallyAcceptCompletion from the extension, atlas.accepted from the item's
// command (VS Code runs it, the language client forwards it), atlas.stats from "Show Completion Statistics".
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as cp from "child_process";
import * as fs from "fs";
import * as path from "path";
import { createMessageConnection, StreamMessageReader, StreamMessageWriter } from "vscode-jsonrpc/node";
import { serverCommand, serverSettings, statsLines, Stats } from "../src/settings";

interface Item { insertText: string; command?: { command: string; arguments?: unknown[] } }

const repository = path.resolve(__dirname, "..", "..", "..");
const model = path.resolve(repository, "..", "shared", "models", "llama-2-tiny-random.gguf");

test("the real server answers the extension's requests", async () => {
  const dll = path.join(repository, "src", "Atlas.Lsp", "bin", "Debug", "net10.0", "atlas-lsp.dll");
  assert.ok(fs.existsSync(dll), `build the server first: dotnet build src/Atlas.Lsp (${dll})`);
  assert.ok(fs.existsSync(model), `the test model is missing: ${model}`);
  const { command, args } = serverCommand(dll, path.join(repository, "client-vscode"));
  const server = cp.spawn(command, args, { stdio: ["pipe", "pipe", "ignore"] });
  const connection = createMessageConnection(new StreamMessageReader(server.stdout!), new StreamMessageWriter(server.stdin!));
  const statuses: unknown[] = [];
  connection.onNotification("atlas/status", (s: unknown) => { statuses.push(s); });
  connection.listen();
  try {
    const values: Record<string, unknown> = { model, maxTokens: 8 };
    const init = await connection.sendRequest("initialize", { processId: process.pid, capabilities: {}, initializationOptions: serverSettings((k) => values[k]) }) as { capabilities: Record<string, unknown> };
    assert.ok(init.capabilities.inlineCompletionProvider);
    assert.ok(init.capabilities.codeActionProvider);
    // The language client registers these as VS Code commands; the extension must not register them itself.
    assert.deepEqual((init.capabilities.executeCommandProvider as { commands: string[] }).commands.slice().sort(), ["atlas.accepted", "atlas.stats"]);
    connection.sendNotification("initialized", {});
    // Ghost text on a Java file: the tiny model writes random words, which C#'s syntax guard would drop.
    const java = "file:///work/Demo.java";
    connection.sendNotification("textDocument/didOpen", { textDocument: { uri: java, languageId: "java", version: 1, text: "class A\n{\n    int f() { return \n}\n" } });
    const inline = await connection.sendRequest("textDocument/inlineCompletion", { textDocument: { uri: java }, position: { line: 2, character: 21 }, context: { triggerKind: 2 } }) as { items: Item[] };
    assert.equal(inline.items.length, 1);
    const item = inline.items[0];
    assert.ok(item.insertText.length > 0);
    assert.ok(statuses.length > 0, "the server reports its status for the status bar");

    // The item's command is what VS Code runs on Tab; its one argument is the id the reports carry.
    assert.equal(item.command?.command, "atlas.accepted");
    assert.equal(typeof item.command.arguments?.[0], "string");
    connection.sendNotification("textDocument/didShowCompletion", { item });
    connection.sendNotification("textDocument/didPartiallyAcceptCompletion", { item, acceptedLength: 1 });
    let stats = await connection.sendRequest("workspace/executeCommand", { command: "atlas.stats" }) as Stats;
    assert.deepEqual([stats.shown, stats.accepted, stats.partiallyAccepted, stats.acceptedChars], [1, 0, 1, 1]);
    await connection.sendRequest("workspace/executeCommand", { command: item.command.command, arguments: item.command.arguments });
    stats = await connection.sendRequest("workspace/executeCommand", { command: "atlas.stats" }) as Stats;
    assert.deepEqual([stats.shown, stats.accepted, stats.acceptedChars, stats.acceptRate], [1, 1, item.insertText.length, 1]);
    assert.deepEqual([stats.byLanguage.java.shown, stats.byLanguage.java.accepted], [1, 1]);
    assert.ok(statsLines(stats)[0].startsWith("This session: 1 shown, 1 accepted (100%)"), statsLines(stats)[0]);

    const uri = "file:///work/demo.cs";
    connection.sendNotification("textDocument/didOpen", { textDocument: { uri, languageId: "csharp", version: 1, text: "class A\n{\n    int F() => \n}\n" } });
    const actions = await connection.sendRequest("textDocument/codeAction", { textDocument: { uri }, range: { start: { line: 2, character: 4 }, end: { line: 2, character: 15 } }, context: { diagnostics: [] } }) as { title: string }[];
    assert.equal(actions[0].title, "Atlas: fix this");

    await connection.sendRequest("shutdown");
    connection.sendNotification("exit");
  } finally {
    connection.dispose();
    server.kill();
  }
});
