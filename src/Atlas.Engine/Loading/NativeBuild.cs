using System.Reflection;
using System.Runtime.InteropServices;
using LLama.Native;
using Microsoft.Extensions.Logging.Abstractions;

namespace Atlas.Engine.Loading;

/// <summary>What llama.cpp build this process runs: the backend package chosen at build time and the CPU features the loaded library uses.</summary>
public static class NativeBuild
{
    /// <summary>The LLamaSharp backend package this build carries (Cpu, or Cuda12 where the feed has it).</summary>
    public static string Backend => Metadata("AtlasBackend");

    /// <summary>The LLamaSharp version, which pins the llama.cpp build.</summary>
    public static string LLamaSharpVersion => Metadata("LLamaSharpVersion");

    private static string Metadata(string key) =>
        typeof(NativeBuild).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().FirstOrDefault(a => a.Key == key)?.Value ?? "unknown";

    /// <summary>llama.cpp's own system line ("CPU : SSE3 = 1 | AVX2 = 1 | AVX512 = 1 | …"), which loads the native library.</summary>
    public static string SystemInfo()
    {
        Load();
        return Marshal.PtrToStringUTF8(NativeApi.llama_print_system_info())?.Trim() ?? "";
    }

    /// <summary>Whether the loaded library can offload layers to a GPU.</summary>
    public static bool GpuOffload()
    {
        Load();
        return NativeApi.llama_supports_gpu_offload();
    }

    /// <summary>The log callback must be in place before the library loads (and the version line wants no native chatter).</summary>
    private static void Load() => NativeRuntime.Install(NullLogger.Instance);
}
