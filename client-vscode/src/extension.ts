// A thin client: starts atlas-lsp, forwards the atlas.* settings, and keeps a status bar item (model, last latency,
// draft acceptance; a click toggles completions). The language client itself shows the server's inline completions
// as ghost text and its "fix this" code actions in the light bulb.
import * as vscode from "vscode";
import { LanguageClient, LanguageClientOptions, ServerOptions } from "vscode-languageclient/node";
import { serverCommand, serverSettings, statusText, statusTooltip, Status } from "./settings";

let client: LanguageClient | undefined;
const status: Status = { enabled: true, loading: true };

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const config = () => vscode.workspace.getConfiguration("atlas");
  status.enabled = config().get<boolean>("enabled", true);
  const bar = vscode.window.createStatusBarItem(vscode.StatusBarAlignment.Right, 100);
  bar.command = "atlas.toggle";
  const refresh = () => {
    bar.text = statusText(status);
    bar.tooltip = statusTooltip(status);
    bar.backgroundColor = status.problem ? new vscode.ThemeColor("statusBarItem.warningBackground") : undefined;
    bar.show();
  };
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
      // The language client registers the inline-completion provider itself when the server advertises
      // inlineCompletionProvider; a second provider of our own would send every request twice. The middleware
      // adds only what the extension owns: the toggle and the status bar's latency.
      middleware: {
        async provideInlineCompletionItems(document, position, context, token, next) {
          if (!status.enabled) return null;
          const started = Date.now();
          const result = await next(document, position, context, token);
          const items = Array.isArray(result) ? result : result?.items;
          // An empty answer is usually a request superseded by the next keystroke: not a latency worth showing.
          if (items?.length) {
            status.latencyMs = Date.now() - started;
            refresh();
          }
          return result;
        },
        // The server's completion-menu item is for clients without ghost text. Here it would show the same
        // suggestion a second time, in the suggest widget, and its request would supersede the inline one on the
        // server (one suggestion per document at a time).
        provideCompletionItem: () => null,
      },
    };
    client = new LanguageClient("atlas", "Atlas", serverOptions, clientOptions);
    // Before start: the server reports the loaded model as soon as it is ready, possibly before start resolves.
    client.onNotification("atlas/status", (s: { model?: string; latencyMs?: number; acceptance?: number; loading?: boolean; problem?: string }) => {
      Object.assign(status, s, { loading: s.loading ?? false });
      refresh();
    });
    await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: "Atlas: starting the server and loading the model" }, () => client!.start());
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
  );
  await start();
}

export async function deactivate(): Promise<void> {
  await client?.stop();
}
