using System.Collections.Immutable;
using Microsoft.CodeAnalysis;

namespace Atlas.Context.CSharp;

/// <summary>
/// The .NET framework's reference assemblies, taken from the running runtime: enough for Roslyn to know the BCL's
/// types without MSBuild or a restore. Loaded once per process.
/// </summary>
public static class FrameworkReferences
{
    private static readonly Lazy<ImmutableArray<MetadataReference>> Loaded = new(() =>
        [.. ((string?)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES") ?? "")
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Where(p => Path.GetFileName(p).StartsWith("System.", StringComparison.Ordinal) || Path.GetFileName(p) is "mscorlib.dll" or "netstandard.dll")
            .Select(p => (MetadataReference)MetadataReference.CreateFromFile(p))]);

    public static ImmutableArray<MetadataReference> All => Loaded.Value;
}
