using System.Diagnostics;
using Atlas.Engine.Loading;

namespace Atlas.Engine.Tests;

/// <summary>The engine gives way to other processes' busy cores: a neighbour spinning on a core is seen, and the thread count drops.</summary>
public sealed class CpuContentionTests
{
    [Fact]
    public async Task A_process_spinning_next_to_the_engine_is_counted_and_takes_a_thread_away()
    {
        // Linux's /proc is what it reads, and a single core has none to give away.
        if (!OperatingSystem.IsLinux() || CpuCores.Physical < 2) return;
        using var neighbour = Process.Start(new ProcessStartInfo("timeout", ["10", "sh", "-c", "while :; do :; done"]))!;
        try
        {
            await Task.Delay(300);
            CpuContention.OtherCores();
            await Task.Delay(600);
            var others = CpuContention.OtherCores();
            Assert.True(others >= 0.5, $"a spinning neighbour counted as {others:F2} cores");
            Assert.True(CpuContention.Threads(CpuCores.Physical) < CpuCores.Physical);
        }
        finally
        {
            neighbour.Kill(entireProcessTree: true);
        }
    }
}
