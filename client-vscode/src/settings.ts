// The extension's decisions that do not need VS Code itself: which settings go to the server, how the server is
// started, and what the status bar says. Kept apart so they are unit-tested in plain Node.
import * as path from "path";
import * as fs from "fs";

/** The `atlas.*` settings the server reads (see the top-level README); `serverPath` is the client's own. */
export const serverSettingKeys = [
  "model", "draftModel", "contextSize", "kvCacheType", "maxTokens", "timeBudgetMs", "completionMode", "gpuLayers", "enabled",
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

export interface Status {
  enabled: boolean;
  loading: boolean;
  model?: string;
  latencyMs?: number;
  acceptance?: number;
  /** Why the server cannot suggest (no model configured, a model that did not load); empty when all is well. */
  problem?: string;
}

/** The status bar's text: model, last completion latency, draft acceptance; a warning when the server has a problem. */
export function statusText(status: Status): string {
  if (!status.enabled) return "$(circle-slash) Atlas off";
  if (status.loading) return "$(sync~spin) Atlas loading";
  if (status.problem && !status.model) return "$(warning) Atlas: no model";
  const parts = [`${status.problem ? "$(warning)" : "$(sparkle)"} ${status.model ?? "Atlas"}`];
  if (status.latencyMs !== undefined) parts.push(`${Math.round(status.latencyMs)} ms`);
  if (status.acceptance !== undefined && status.acceptance > 0) parts.push(`draft ${Math.round(status.acceptance * 100)}%`);
  return parts.join(" · ");
}

/** The status bar's tooltip: the server's problem and what to do about it, or what a click does. */
export function statusTooltip(status: Status): string {
  return status.problem ? `Atlas: ${status.problem}` : "Atlas: click to turn completions on or off";
}
