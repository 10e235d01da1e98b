// The extension's decisions that do not need VS Code itself: which settings go to the server, how the server is
// started, and what the status bar says. Kept apart so they are unit-tested in plain Node.
import * as path from "path";
import * as fs from "fs";

/** The `atlas.*` settings the server reads (see the top-level README); `serverPath` is the client's own. */
export const serverSettingKeys = [
  "model", "draftModel", "contextSize", "kvCacheType", "maxTokens", "timeBudgetMs", "completionMode", "gpuLayers", "enabled",
  "debounce", "precomputeNext", "slowLatencyMs",
] as const;

/** initializationOptions / didChangeConfiguration payload: the section, empty values left out. */
export function serverSettings(get: (key: string) => unknown): { atlas: Record<string, unknown> } {
  const atlas: Record<string, unknown> = {};
  for (const key of serverSettingKeys) {
    const value = get(key);
    if (value !== undefined && value !== null && value !== "") atlas[key] = value;
  }
  return { atlas };
}

/**
 * How to start the server: a configured executable, a configured atlas-lsp.dll (run with dotnet), or the server
 * built in the repository the extension sits in.
 */
export function serverCommand(serverPath: string, extensionRoot: string): { command: string; args: string[] } {
  const candidate = serverPath.trim() || [
    path.join(extensionRoot, "server", "atlas-lsp.dll"),
    path.join(extensionRoot, "..", "src", "Atlas.Lsp", "bin", "Release", "net10.0", "atlas-lsp.dll"),
    path.join(extensionRoot, "..", "src", "Atlas.Lsp", "bin", "Debug", "net10.0", "atlas-lsp.dll"),
  ].find((p) => fs.existsSync(p)) || "atlas-lsp";
  return candidate.endsWith(".dll")
    ? { command: "dotnet", args: [candidate, "--stdio"] }
    : { command: candidate, args: ["--stdio"] };
}

/**
 * Suggestions shown, accepted whole and in part, and the server's accept rate (accepted whole or in part over shown;
 * null while nothing was shown).
 */
export interface Figures {
  shown: number;
  accepted: number;
  partiallyAccepted?: number;
  acceptRate: number | null;
}

/** The server's figures for this session (`atlas.stats`, and `stats` in `atlas/status`). */
export interface Stats extends Figures {
  shownChars: number;
  acceptedChars: number;
  byLanguage: Record<string, Figures>;
  singleLine: Figures;
  multiLine: Figures;
}

export interface Status {
  enabled: boolean;
  loading: boolean;
  model?: string;
  latencyMs?: number;
  acceptance?: number;
  /** Why the server cannot suggest (no model configured, a model that did not load); empty when all is well. */
  problem?: string;
  /** The server's latency warning (suggestions too slow to be useful); empty once latency is fine again. */
  slow?: string;
  stats?: Stats;
}

/** Whether the status bar shows the warning background: the server cannot suggest, or suggests too slowly. */
export function statusWarns(status: Status): boolean {
  return !!status.problem || !!status.slow;
}

/** The status bar's text: model, last completion latency, draft acceptance; a warning when the server has a problem. */
export function statusText(status: Status): string {
  if (!status.enabled) return "$(circle-slash) Atlas off";
  if (status.loading) return "$(sync~spin) Atlas loading";
  if (status.problem && !status.model) return "$(warning) Atlas: no model";
  const parts = [`${statusWarns(status) ? "$(warning)" : "$(sparkle)"} ${status.model ?? "Atlas"}`];
  if (status.latencyMs !== undefined) parts.push(`${Math.round(status.latencyMs)} ms`);
  if (status.acceptance !== undefined && status.acceptance > 0) parts.push(`draft ${Math.round(status.acceptance * 100)}%`);
  return parts.join(" · ");
}

/**
 * The status bar's tooltip: the latency warning and the server's problem first, then the session's figures, then
 * what a click does.
 */
export function statusTooltip(status: Status): string {
  const lines: string[] = [];
  if (status.slow) lines.push(`Atlas: ${status.slow}`);
  if (status.problem) lines.push(`Atlas: ${status.problem}`);
  if (status.stats) lines.push(...statsLines(status.stats));
  lines.push(lines.length ? "Click to turn completions on or off" : "Atlas: click to turn completions on or off");
  return lines.join("\n");
}

/**
 * The session's figures in words: the totals, then each language when there is more than one, and single- against
 * multi-line suggestions when both were shown. The status bar's tooltip and "Show Completion Statistics" both use it.
 */
export function statsLines(stats: Stats): string[] {
  if (stats.shown === 0) return ["This session: no suggestion shown yet"];
  const lines = [`This session: ${figures(stats)}; ${stats.acceptedChars.toLocaleString("en-US")} of ${stats.shownChars.toLocaleString("en-US")} characters accepted`];
  const languages = Object.entries(stats.byLanguage ?? {}).filter(([, f]) => f.shown > 0);
  if (languages.length > 1) {
    for (const [language, f] of languages.sort(([, a], [, b]) => b.shown - a.shown)) lines.push(`${language}: ${figures(f)}`);
  }
  if (stats.singleLine?.shown > 0 && stats.multiLine?.shown > 0) {
    lines.push(`single-line: ${figures(stats.singleLine)}; multi-line: ${figures(stats.multiLine)}`);
  }
  return lines;
}

function figures(f: Figures): string {
  const partly = f.partiallyAccepted ? `, ${f.partiallyAccepted} in part` : "";
  const rate = f.acceptRate === null || f.acceptRate === undefined ? "" : ` (${Math.round(f.acceptRate * 100)}%)`;
  return `${f.shown} shown, ${f.accepted} accepted${partly}${rate}`;
}
