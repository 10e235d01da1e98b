// A thin client: starts atlas-lsp, forwards the atlas.* settings, shows the server's inline completions as ghost
// text, surfaces its "fix this" code actions (the language client does that by itself), and keeps a status bar
// item: model, last latency, draft acceptance; a click toggles completions.
import * as vscode from "vscode";
import { LanguageClient, LanguageClientOptions, ServerOptions } from "vscode-languageclient/node";
import { serverCommand, serverSettings, statusText, Status } from "./settings";

let client: LanguageClient | undefined;
const status: Status = { enabled: true, loading: true };

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const config = () => vscode.workspace.getConfiguration("atlas");
  status.enabled = config().get<boolean>("enabled", true);
  const bar = vscode.window.createStatusBarItem(vscode.StatusBarAlignment.Right, 100);
  bar.command = "atlas.toggle";
  const refresh = () => { bar.text = statusText(status); bar.show(); };
  refresh();
  const output = vscode.window.createOutputChannel("Atlas", { log: true });

  const start = async () => {
    const { command, args } = serverCommand(config().get<string>("serverPath", ""), context.extensionPath);
    const serverOptions: ServerOptions = { command, args };
    const clientOptions: LanguageClientOptions = {
      documentSelector: [{ scheme: "file" }, { scheme: "untitled" }],
      initializationOptions: serverSettings((k) => config().get(k)),
      outputChannel: output,
      synchronize: { configurationSection: "atlas" },
    };
    client = new LanguageClient("atlas", "Atlas", serverOptions, clientOptions);
    await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: "Atlas: starting the server and loading the model" }, () => client!.start());
    client.onNotification("atlas/status", (s: { model?: string; latencyMs?: number; acceptance?: number; loading?: boolean }) => {
      Object.assign(status, s, { loading: s.loading ?? false });
      refresh();
    });
  };

  context.subscriptions.push(
    bar,
    output,
    vscode.commands.registerCommand("atlas.restartServer", async () => { await client?.stop(); await start(); }),
    vscode.commands.registerCommand("atlas.showLog", () => output.show()),
    vscode.commands.registerCommand("atlas.toggle", async () => {
      status.enabled = !status.enabled;
      await config().update("enabled", status.enabled, vscode.ConfigurationTarget.Global);
      refresh();
    }),
    vscode.languages.registerInlineCompletionItemProvider({ pattern: "**" }, {
      async provideInlineCompletionItems(document, position, _context, token) {
        if (!client || !status.enabled) return [];
        const started = Date.now();
        const result = await client.sendRequest<{ items: { insertText: string; range?: { start: { line: number; character: number }; end: { line: number; character: number } } }[] }>(
          "textDocument/inlineCompletion",
          { textDocument: { uri: document.uri.toString() }, position: { line: position.line, character: position.character }, context: { triggerKind: 1 } },
          token);
        status.latencyMs = Date.now() - started;
        refresh();
        return (result?.items ?? []).map((item) => new vscode.InlineCompletionItem(
          item.insertText,
          item.range ? new vscode.Range(item.range.start.line, item.range.start.character, item.range.end.line, item.range.end.character) : undefined));
      },
    }),
  );
  await start();
}

export async function deactivate(): Promise<void> {
  await client?.stop();
}
