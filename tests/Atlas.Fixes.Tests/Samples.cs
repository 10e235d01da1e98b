using Atlas.Documents;

namespace Atlas.Fixes.Tests;

internal static class Samples
{
    public const string Broken = """
        using System;

        public static class Calculator
        {
            public static int Twice(int value)
            {
                var result = value * 2
                return result;
            }

            public static int Unused() => 0;
        }
        """;

    public static TextDocument Document(string text, string name = "Calculator.cs", string language = "csharp", int version = 3) =>
        new($"file:///repo/{name}", language, version, text);

    /// <summary>The range of the first occurrence of a snippet, for diagnostics placed by hand.</summary>
    public static TextRange RangeOf(TextDocument document, string snippet, int extraStart = 0, int? length = null)
    {
        var start = document.Text.IndexOf(snippet, StringComparison.Ordinal) + extraStart;
        Assert.True(start >= extraStart, $"'{snippet}' not in the sample");
        return new TextRange(document.PositionAt(start), document.PositionAt(start + (length ?? snippet.Length - extraStart)));
    }
}
