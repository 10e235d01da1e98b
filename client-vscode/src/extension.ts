// A thin client: starts atlas-lsp, forwards the atlas.* settings, and keeps a status bar item (model, last latency,
// draft acceptance, the session's accept figures, the latency warning; a click toggles completions). The language
// client itself shows the server's inline completions as ghost text and its "fix this" code actions in the light bulb.
// It also tells the server which suggestion was shown and how much of it was taken word by word (accepts.ts); a
// whole suggestion accepted runs the item's own command (atlas.accepted), which the language client registers and
// forwards, because the server lists it in executeCommandProvider.
import * as vscode from "vscode";
import { LanguageClient, LanguageClientOptions, ServerOptions } from "vscode-languageclient/node";
import { AcceptTracker } from "./accepts";
import { serverCommand, serverSettings, statsLines, statusText, statusTooltip, statusWarns, Stats, Status } from "./settings";

/** An inline completion item as the server sent it: the notifications about it carry it back. */
interface ProtocolItem {
  insertText: string;
  range?: { start: { line: number; character: number }; end: { line: number; character: number } };
  filterText?: string;
  command: { title: string; command: string; arguments: unknown[] };
}

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
    bar.backgroundColor = statusWarns(status) ? new vscode.ThemeColor("statusBarItem.warningBackground") : undefined;
    bar.show();
  };
  refresh();
  const output = vscode.window.createOutputChannel("Atlas", { log: true });
  const notify = (method: string, params: object) => {
    // A notification while the server restarts is lost, like the figures of a suggestion shown then.
    client?.sendNotification(method, params).catch((error) => output.debug(`${method}: ${error}`));
  };
  const accepts = new AcceptTracker<ProtocolItem>((accept) => notify("textDocument/didPartiallyAcceptCompletion", accept));

  /** Tells the server which suggestion shows; the id it gave the item is the command's argument. */
  const reportShown = (document: vscode.TextDocument, position: vscode.Position, shown: vscode.InlineCompletionItem) => {
    const id = shown.command?.arguments?.[0];
    if (typeof id !== "string" || typeof shown.insertText !== "string" || !client) return;
    const item: ProtocolItem = {
      insertText: shown.insertText,
      range: shown.range && client.code2ProtocolConverter.asRange(shown.range),
      filterText: shown.filterText,
      command: { title: shown.command!.title, command: shown.command!.command, arguments: shown.command!.arguments! },
    };
    // The ghost text is what the item adds after the cursor: a range starting before it covers typed text.
    const typed = shown.range?.start.isBefore(position) ? document.getText(new vscode.Range(shown.range.start, position)) : "";
    const text = shown.insertText.startsWith(typed) ? shown.insertText.slice(typed.length) : shown.insertText;
    if (accepts.shown(document.uri.toString(), position, text, item)) notify("textDocument/didShowCompletion", { item });
  };

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
      // adds only what the extension owns: the toggle, the status bar's latency and telling the server what shows.
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
            // VS Code shows the first item as ghost text, unless the request was superseded meanwhile.
            if (!token.isCancellationRequested) reportShown(document, position, items[0]);
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
    client.onNotification("atlas/status", (s: { model?: string; latencyMs?: number; acceptance?: number; loading?: boolean; problem?: string; slow?: string; stats?: Stats }) => {
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
    // Not atlas.stats itself: the language client registers the server's commands, and a second registration fails.
    vscode.commands.registerCommand("atlas.showStats", async () => {
      try {
        if (!client) throw new Error("the server is not running");
        const stats = await client.sendRequest<Stats>("workspace/executeCommand", { command: "atlas.stats" });
        status.stats = stats;
        refresh();
        const lines = statsLines(stats);
        for (const line of lines) output.info(line);
        // Not awaited: the message's promise settles only when it is closed.
        void vscode.window.showInformationMessage(`Atlas: ${lines.join("; ")}`);
      } catch (error) {
        void vscode.window.showWarningMessage(`Atlas: the server gave no statistics (${error instanceof Error ? error.message : error})`);
      }
    }),
    vscode.workspace.onDidChangeTextDocument((e) => accepts.changed(e.document.uri.toString(),
      e.contentChanges.map((c) => ({ start: c.range.start, removed: c.rangeLength, text: c.text })))),
    vscode.window.onDidChangeTextEditorSelection((e) => accepts.selectionChanged(e.textEditor.document.uri.toString(),
      e.kind === vscode.TextEditorSelectionChangeKind.Keyboard || e.kind === vscode.TextEditorSelectionChangeKind.Mouse)),
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
