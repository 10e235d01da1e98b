using LLama.Native;

namespace Atlas.Engine.Loading;

/// <summary>
/// Whether a draft model can speak for a target: the same tokenizer kind, the same BOS/EOS, vocabulary sizes within
/// a small margin, and the same text for every token id they share. The same rules llama.cpp applies before it
/// speculates, so a draft it would accept we accept.
/// </summary>
public static class VocabularyCompatibility
{
    /// <summary>Largest difference in vocabulary size tolerated (padding tokens at the end).</summary>
    public const int MaxSizeDifference = 128;

    /// <summary>Ids below this are tokenizer housekeeping (unk, bos, eos, pads) and may differ.</summary>
    private const int FirstComparedId = 5;

    /// <summary>Null when compatible; otherwise one line saying what differs.</summary>
    public static string? Problem(LoadedModel target, LoadedModel draft)
    {
        var t = target.Vocab;
        var d = draft.Vocab;
        if (t.Type != d.Type)
            return $"the draft's tokenizer is {d.Type}, the target's {t.Type}";
        if (t.ShouldAddBOS != d.ShouldAddBOS || t.BOS != d.BOS || t.EOS != d.EOS)
            return "the draft's BOS/EOS tokens differ from the target's";
        if (Math.Abs(t.Count - d.Count) > MaxSizeDifference)
            return $"the draft has {d.Count} tokens, the target {t.Count} (more than {MaxSizeDifference} apart)";
        var shared = Math.Min(t.Count, d.Count);
        for (var id = FirstComparedId; id < shared; id++)
        {
            var token = (LLamaToken)id;
            var a = t.LLamaTokenToString(token, isSpecialToken: true);
            var b = d.LLamaTokenToString(token, isSpecialToken: true);
            if (!string.Equals(a, b, StringComparison.Ordinal))
                return $"token {id} is '{b}' in the draft but '{a}' in the target";
        }
        return null;
    }
}
