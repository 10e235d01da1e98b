using Atlas.Documents;

namespace Atlas.Fixes;

/// <summary>A problem to fix: where it is, what the compiler or linter said, and its code when it has one.</summary>
public sealed record FixDiagnostic(TextRange Range, string Message, string? Code = null, string? Source = null)
{
    public override string ToString() => Code is null ? Message : $"{Code}: {Message}";
}
