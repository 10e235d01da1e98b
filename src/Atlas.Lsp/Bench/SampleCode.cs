using System.Text;

namespace Atlas.Lsp.Bench;

/// <summary>
/// Deterministic C#-like source for benchmarks: the same text on every machine, so figures are comparable.
/// Repetitive on purpose (a class per block), like much real code.
/// </summary>
internal static class SampleCode
{
    public static string Lines(int count)
    {
        var text = new StringBuilder();
        text.AppendLine("using System;").AppendLine("using System.Collections.Generic;").AppendLine().AppendLine("namespace Sample.Inventory;").AppendLine();
        var block = 0;
        while (CountLines(text) < count)
        {
            text.AppendLine($"public sealed class Item{block}");
            text.AppendLine("{");
            text.AppendLine($"    private readonly List<int> _values{block} = new();");
            text.AppendLine($"    public string Name {{ get; }} = \"item-{block}\";");
            text.AppendLine($"    public int Total() => _values{block}.Count * {block + 3};");
            text.AppendLine($"    public void Add(int value) {{ if (value > {block}) _values{block}.Add(value); }}");
            text.AppendLine("}");
            text.AppendLine();
            block++;
        }
        return text.ToString();
    }

    private static int CountLines(StringBuilder text)
    {
        var n = 0;
        foreach (var chunk in text.GetChunks())
            foreach (var c in chunk.Span)
                if (c == '\n') n++;
        return n;
    }
}
