namespace Atlas.Engine.Loading;

/// <summary>
/// How many physical cores this process may use. llama.cpp's threads meet at a barrier after every layer, so a
/// thread that shares its core with another (a hyper-thread sibling, or a build running next to the editor) holds
/// all of them up; its own default is the physical core count, not the logical one.
/// </summary>
public static class CpuCores
{
    /// <summary>Physical cores (distinct core ids per package on Linux), never more than the logical processors the process may use.</summary>
    public static int Physical { get; } = Math.Max(1, Math.Min(Environment.ProcessorCount, ReadPhysical() ?? Environment.ProcessorCount));

    private static int? ReadPhysical()
    {
        try
        {
            var cores = new HashSet<(string Package, string Core)>();
            foreach (var cpu in Directory.EnumerateDirectories("/sys/devices/system/cpu", "cpu*"))
            {
                var topology = Path.Combine(cpu, "topology");
                var core = Path.Combine(topology, "core_id");
                if (!File.Exists(core)) continue;
                var package = Path.Combine(topology, "physical_package_id");
                cores.Add((File.Exists(package) ? File.ReadAllText(package).Trim() : "0", File.ReadAllText(core).Trim()));
            }
            return cores.Count > 0 ? cores.Count : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
