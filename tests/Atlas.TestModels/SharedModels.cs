namespace Atlas.TestModels;

/// <summary>
/// Finds the real GGUF files kept beside the repository in shared/models (never copied into it, never
/// downloaded). ATLAS_SHARED_MODELS, when set, names that folder directly, for checkouts that live elsewhere.
/// </summary>
public static class SharedModels
{
    public const string EnvironmentVariable = "ATLAS_SHARED_MODELS";

    /// <summary>Llama-2 SentencePiece tokenizer, random weights, head size 4: the default tokenizer donor.</summary>
    public const string TinyLlama = "llama-2-tiny-random.gguf";

    /// <summary>
    /// A real, trained C# model (Qwen2.5-Coder's FIM and repository tokens, 2,048-token context) and its draft: for
    /// tests that need real C# suggestions. They may be replaced by better-trained files under the same names, so
    /// tests assert properties of a suggestion, never its exact text.
    /// </summary>
    public const string CSharpTarget = "atlas-csharp-target.gguf";
    public const string CSharpDraft = "atlas-csharp-draft.gguf";

    /// <summary>The full path of shared/models/<paramref name="fileName"/>; throws FileNotFoundException saying where it looked.</summary>
    public static string Find(string fileName)
    {
        var fromEnvironment = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (!string.IsNullOrEmpty(fromEnvironment))
        {
            var path = Path.GetFullPath(Path.Combine(fromEnvironment, fileName));
            // An explicit setting that points nowhere is a mistake to report, not a reason to guess elsewhere.
            return File.Exists(path)
                ? path
                : throw new FileNotFoundException($"{EnvironmentVariable} is '{fromEnvironment}', but it has no {fileName}.", path);
        }

        // Test binaries run from bin/<config>/<tfm>/ deep inside the repository; shared/ sits next to the repository.
        var searched = new List<string>();
        foreach (var start in new[] { AppContext.BaseDirectory, Environment.CurrentDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                var candidate = Path.Combine(dir.FullName, "shared", "models", fileName);
                if (File.Exists(candidate)) return candidate;
                searched.Add(dir.FullName);
            }
        }
        throw new FileNotFoundException(
            $"No shared/models/{fileName} above {AppContext.BaseDirectory} or {Environment.CurrentDirectory}; " +
            $"set {EnvironmentVariable} to the folder that holds it.", fileName);
    }
}
