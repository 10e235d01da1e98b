using System.Diagnostics;

namespace Atlas.Engine.Loading;

/// <summary>
/// How many cores other processes kept busy lately (a build, another language server, a browser), read from Linux's
/// /proc: the machine's busy time less this process's own, over the time since the last reading. llama.cpp's threads
/// wait for each other after every layer, so one that shares a core with such a process holds all of them up (on
/// 2 cores with one busy neighbour, two threads answered slower than one); the engine gives those cores way.
/// Elsewhere, or when /proc cannot be read, nobody else is assumed.
/// </summary>
public static class CpuContention
{
    /// <summary>Readings closer together than this reuse the last estimate: too short a window is mostly noise.</summary>
    private static readonly TimeSpan Window = TimeSpan.FromMilliseconds(250);

    private static readonly Lock Gate = new();
    private static (long Busy, long Total, long Self)? _last;
    private static readonly Stopwatch Since = Stopwatch.StartNew();
    private static double _others;

    /// <summary>Cores other processes used on average since the previous call (0 when unknown).</summary>
    public static double OtherCores()
    {
        lock (Gate)
        {
            if (_last is not null && Since.Elapsed < Window) return _others;
            if (Read() is not { } now) return 0;
            if (_last is { } last && now.Total > last.Total)
            {
                var others = (double)(now.Busy - last.Busy - (now.Self - last.Self)) / (now.Total - last.Total) * Environment.ProcessorCount;
                _others = Math.Clamp(others, 0, Environment.ProcessorCount);
            }
            _last = now;
            Since.Restart();
            return _others;
        }
    }

    /// <summary>
    /// The threads to use now: the physical cores less those others keep busy (rounded: a stray 0.2 of a core is
    /// the editor, not a build; half a core and more counts as one), at least one, at most <paramref name="most"/>.
    /// </summary>
    public static int Threads(int most) => Math.Clamp(CpuCores.Physical - (int)Math.Round(OtherCores(), MidpointRounding.AwayFromZero), 1, Math.Max(1, most));

    /// <summary>Machine busy and total time, and this process's CPU time, all in the kernel's clock ticks.</summary>
    private static (long Busy, long Total, long Self)? Read()
    {
        try
        {
            var cpu = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries);
            var ticks = cpu.Skip(1).Take(8).Select(long.Parse).ToArray(); // user nice system idle iowait irq softirq steal
            var total = ticks.Sum();
            var busy = total - ticks[3] - ticks[4];
            // /proc/self/stat: the command name may hold spaces, so fields are counted after its closing parenthesis.
            var self = File.ReadAllText("/proc/self/stat");
            var fields = self[(self.LastIndexOf(')') + 2)..].Split(' ');
            var own = long.Parse(fields[11]) + long.Parse(fields[12]); // utime, stime (fields 14 and 15 of the whole line)
            return (busy, total, own);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException or InvalidOperationException)
        {
            return null;
        }
    }
}
