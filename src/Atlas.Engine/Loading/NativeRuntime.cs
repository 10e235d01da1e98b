using System.Text;
using System.Text.RegularExpressions;
using LLama.Native;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Atlas.Engine.Loading;

/// <summary>
/// The process-wide bridge from llama.cpp's native log to our logger. llama.cpp logs in fragments from any
/// thread, and its callback can only be installed before the native library loads, so this is one static
/// owner: it joins fragments into lines, sends warnings and errors on at their level (the chatty info lines at
/// Debug), and remembers the KV-cache size llama.cpp reports when a context is created.
/// </summary>
internal static partial class NativeRuntime
{
    private static readonly Lock Gate = new();
    private static readonly StringBuilder Pending = new();
    private static ILogger _logger = NullLogger.Instance;
    private static bool _installed;

    /// <summary>Bytes of the most recently created KV cache, as llama.cpp reported them (MiB, two decimals).</summary>
    public static long? LastKvCacheBytes { get; private set; }

    /// <summary>The last warning or error llama.cpp printed: the reason behind a refused load or context.</summary>
    public static string? LastProblem { get; private set; }

    /// <summary>
    /// Held while the callback is installed (a second caller must not load the library before it is, or the install
    /// fails), and while a context is created and its reports read (so two creations do not mix their figures).
    /// </summary>
    public static readonly Lock Creation = new();

    public static void Install(ILogger logger)
    {
        lock (Gate) _logger = logger;
        lock (Creation)
        {
            if (_installed) return;
            NativeLibraryConfig.All.WithLogCallback(OnNativeLog);
            _installed = true;
        }
    }

    /// <summary>Forgets what the previous load or context creation reported.</summary>
    public static void ResetObservations()
    {
        lock (Gate)
        {
            LastKvCacheBytes = null;
            LastProblem = null;
        }
    }

    /// <summary>Forgets the last problem only: a model load, which must not clear a context's KV size being read meanwhile.</summary>
    public static void ResetProblem()
    {
        lock (Gate) LastProblem = null;
    }

    private static void OnNativeLog(LLamaLogLevel level, string message)
    {
        lock (Gate)
        {
            Pending.Append(message);
            if (!message.EndsWith('\n')) return;
            var line = Pending.ToString().TrimEnd();
            Pending.Clear();
            if (line.Length == 0 || line.Trim('.').Length == 0) return;

            var kv = KvSizeLine().Match(line);
            if (kv.Success)
                LastKvCacheBytes = (long)(double.Parse(kv.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) * 1024 * 1024);

            switch (level)
            {
                case LLamaLogLevel.Error:
                    LastProblem = line;
                    _logger.LogError("llama.cpp: {Line}", line);
                    break;
                case LLamaLogLevel.Warning:
                    LastProblem = line;
                    _logger.LogWarning("llama.cpp: {Line}", line);
                    break;
                default:
                    _logger.LogDebug("llama.cpp: {Line}", line);
                    break;
            }
        }
    }

    /// <summary>
    /// llama.cpp's own account of the CPU features its build uses (AVX512, AVX512_VNNI, …): what decides its speed on
    /// a given machine, and what benchmarks against another build print beside their figures.
    /// </summary>
    public static string SystemInfo => System.Runtime.InteropServices.Marshal.PtrToStringAnsi(NativeApi.llama_print_system_info())?.Trim() ?? "";

    [GeneratedRegex(@"llama_kv_cache: size =\s*([0-9.]+) MiB")]
    private static partial Regex KvSizeLine();
}
