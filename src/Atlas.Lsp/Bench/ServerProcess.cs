using System.Diagnostics;

namespace Atlas.Lsp.Bench;

/// <summary>
/// This executable started again as `atlas-lsp --stdio`, with a client on its pipes: for figures that need a fresh
/// process (a cold JIT, nothing loaded), which a server in the bench's own process cannot give after its first round.
/// Its log goes nowhere; the client sees what it mirrors as window/logMessage. Disposing sends shutdown and exit.
/// </summary>
internal sealed class ServerProcess : IAsyncDisposable
{
    private readonly Process _process;

    private ServerProcess(Process process)
    {
        _process = process;
        process.ErrorDataReceived += (_, _) => { };
        process.BeginErrorReadLine();
        Client = new PipeClient(process.StandardInput.BaseStream, process.StandardOutput.BaseStream);
    }

    public PipeClient Client { get; }

    public static ServerProcess Start(IReadOnlyDictionary<string, string> environment)
    {
        // Run as `dotnet atlas-lsp.dll` the process is dotnet, which needs the assembly (beside this one: a single-file
        // build has no assembly paths, and runs as its own apphost); the apphost needs nothing.
        var self = Environment.ProcessPath ?? "dotnet";
        var info = new ProcessStartInfo(self) { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        if (Path.GetFileNameWithoutExtension(self) == "dotnet") info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "atlas-lsp.dll"));
        info.ArgumentList.Add("--stdio");
        foreach (var (name, value) in environment) info.Environment[name] = value;
        return new ServerProcess(Process.Start(info) ?? throw new InvalidOperationException($"Could not start {self}."));
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await Client.Request("shutdown", null).WaitAsync(TimeSpan.FromSeconds(10));
            await Client.Notify("exit", null);
            await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
        }
        catch (Exception e) when (e is TimeoutException or IOException)
        {
            _process.Kill(entireProcessTree: true);
        }
        _process.Dispose();
    }
}
