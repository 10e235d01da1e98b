namespace Atlas.Lsp.Tests;

/// <summary>The server process's resident memory, as Linux reports it (VmRSS in /proc/PID/status).</summary>
internal static class ServerMemory
{
    public static double ResidentMegabytes(int processId)
    {
        var status = $"/proc/{processId}/status";
        if (!File.Exists(status)) throw new PlatformNotSupportedException($"{status} is missing: memory is read from Linux's /proc.");
        var line = File.ReadLines(status).First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
        var kilobytes = long.Parse(line["VmRSS:".Length..].Replace("kB", "").Trim());
        return kilobytes / 1024.0;
    }
}
