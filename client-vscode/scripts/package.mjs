// npm run package [-- <vsce target>]: a .vsix for one platform with the server inside, so an installed extension
// starts `dotnet <extension>/server/atlas-lsp.dll` with nothing else to build. The server is framework-dependent
// (users need the .NET 10 runtime) and carries only its platform's llama.cpp natives, hence one .vsix per platform.
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";

// VS Code's platform targets and the .NET runtime identifiers LLamaSharp ships natives for.
const runtimeOf = {
  "linux-x64": "linux-x64",
  "linux-arm64": "linux-arm64",
  "alpine-x64": "linux-musl-x64",
  "darwin-x64": "osx-x64",
  "darwin-arm64": "osx-arm64",
  "win32-x64": "win-x64",
  "win32-arm64": "win-arm64",
};

const extension = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const target = process.argv[2] ?? `${process.platform}-${process.arch}`;
const runtime = runtimeOf[target];
if (!runtime) {
  console.error(`No server build for target ${target}; one of: ${Object.keys(runtimeOf).join(", ")}`);
  process.exit(2);
}

const run = (command, args) => execFileSync(command, args, { cwd: extension, stdio: "inherit", shell: process.platform === "win32" });
const server = path.join(extension, "server");
// A previous publish for another runtime would leave its natives behind. No apphost: a .vsix does not keep the
// executable bit, and the extension runs the dll with dotnet anyway (settings.ts, serverCommand).
fs.rmSync(server, { recursive: true, force: true });
run("dotnet", ["publish", path.join("..", "src", "Atlas.Lsp"), "-c", "Release", "-r", runtime, "--self-contained", "false",
  "-p:UseAppHost=false", "-o", server]);
run("npm", ["run", "bundle"]);
const vsix = `atlas-vscode-${target}.vsix`;
run("npx", ["vsce", "package", "--target", target, "--no-dependencies", "--allow-missing-repository", "--skip-license", "-o", vsix]);
console.log(`${path.join(extension, vsix)} (${(fs.statSync(path.join(extension, vsix)).size / 1e6).toFixed(1)} MB)`);
