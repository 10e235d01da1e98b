using System.CommandLine;
using System.Diagnostics;

namespace Atlas.Lsp.Bench;

/// <summary>
/// A competing CPU load for benchmarks: another process (this executable's hidden `bench spin`) keeping some threads
/// busy, as a build or another language server would next to the editor. Bounded: it ends itself after its time
/// even if the benchmark dies, and the benchmark ends it when its round is over.
/// </summary>
internal sealed class BusyLoad : IDisposable
{
    private readonly Process _process;

    private BusyLoad(Process process) => _process = process;

    public static BusyLoad Start(int threads, int seconds = 900)
    {
        var self = Environment.ProcessPath ?? throw new InvalidOperationException("The path of this executable is unknown.");
        var info = new ProcessStartInfo(self) { UseShellExecute = false, RedirectStandardOutput = true };
        // Under `dotnet atlas-lsp.dll` the process is dotnet itself: run the same assembly again.
        if (Path.GetFileNameWithoutExtension(self) == "dotnet") info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "atlas-lsp.dll"));
        foreach (var argument in new[] { "bench", "spin", "--threads", threads.ToString(), "--seconds", seconds.ToString() }) info.ArgumentList.Add(argument);
        var process = Process.Start(info)!;
        // Started when it says so: the round must not begin before the load does.
        process.StandardOutput.ReadLine();
        return new BusyLoad(process);
    }

    public void Dispose()
    {
        if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        _process.WaitForExit();
        _process.Dispose();
    }

    /// <summary>`bench spin`: busy threads for a while, then exit (hidden: only benchmarks start it).</summary>
    public static Command Command()
    {
        var threads = new Option<int>("--threads") { DefaultValueFactory = _ => 1 };
        var seconds = new Option<int>("--seconds") { DefaultValueFactory = _ => 60 };
        var command = new Command("spin", "Keep threads busy for a while (a competing load for benchmarks).") { Hidden = true };
        command.Options.Add(threads);
        command.Options.Add(seconds);
        command.SetAction(result =>
        {
            var until = DateTime.UtcNow.AddSeconds(Math.Clamp(result.GetValue(seconds), 1, 3600));
            var spinners = Enumerable.Range(0, Math.Clamp(result.GetValue(threads), 1, 4 * Environment.ProcessorCount))
                .Select(_ => new Thread(() => { var x = 0UL; while (DateTime.UtcNow < until) x = x * 6364136223846793005UL + 1; }) { IsBackground = true })
                .ToList();
            spinners.ForEach(t => t.Start());
            Console.WriteLine("spinning");
            Console.Out.Flush();
            spinners.ForEach(t => t.Join());
            return 0;
        });
        return command;
    }
}
