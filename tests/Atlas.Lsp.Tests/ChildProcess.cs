using System.Diagnostics;

namespace Atlas.Lsp.Tests;

/// <summary>Runs a program to its end for tests: exit code, standard output and standard error, within a patience.</summary>
internal static class ChildProcess
{
    public static async Task<(int Code, string Out, string Err)> RunAsync(string program, IEnumerable<string> args, TimeSpan patience, IReadOnlyDictionary<string, string>? environment = null)
    {
        var info = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var (key, value) in environment ?? new Dictionary<string, string>()) info.Environment[key] = value;
        foreach (var a in args) info.ArgumentList.Add(a);
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(patience);
        return (process.ExitCode, await output, await error);
    }

    /// <summary>A file or folder of the repository, found by walking up from the test's output folder.</summary>
    public static string InRepository(params string[] parts)
    {
        for (var dir = AppContext.BaseDirectory; dir is not null; dir = Path.GetDirectoryName(dir))
        {
            var candidate = Path.Combine([dir, .. parts]);
            if (File.Exists(candidate) || Directory.Exists(candidate)) return candidate;
        }
        throw new FileNotFoundException($"No {Path.Combine(parts)} above {AppContext.BaseDirectory}.");
    }
}
