using LLama;
using LLama.Common;
using LLama.Native;

namespace Atlas.TestModels.Tests;

/// <summary>
/// The few llama.cpp operations these tests need, on LLamaSharp's low-level API: load, decode a prompt, read
/// logits, greedy-decode. Each call owns and disposes the weights and context it creates.
/// </summary>
internal static class Llama
{
    public const int ContextSize = 256;

    public static ModelParams Parameters(string path) => new(path) { ContextSize = ContextSize, Threads = 2 };

    /// <summary>
    /// q8_0 keys and values; llama.cpp only accepts a quantized V cache with flash attention on. ModelParams takes
    /// flash attention as a bool? (true = LLAMA_FLASH_ATTENTION_TYPE_ENABLED, null = auto), not the native enum.
    /// </summary>
    public static ModelParams QuantizedKvParameters(string path) => new(path)
    {
        ContextSize = ContextSize,
        Threads = 2,
        TypeK = GGMLType.GGML_TYPE_Q8_0,
        TypeV = GGMLType.GGML_TYPE_Q8_0,
        FlashAttention = true,
    };

    public static LLamaWeights Load(string path) => LLamaWeights.LoadFromFile(Parameters(path));

    /// <summary>Decodes the prompt in one batch and returns a copy of the logits after its last token.</summary>
    public static float[] PromptLogits(LLamaContext context, IReadOnlyList<LLamaToken> prompt)
    {
        var batch = new LLamaBatch();
        for (var i = 0; i < prompt.Count; i++) batch.Add(prompt[i], i, (LLamaSeqId)0, i == prompt.Count - 1);
        Decode(context, batch);
        return context.NativeHandle.GetLogitsIth(batch.TokenCount - 1).ToArray();
    }

    /// <summary>Loads the model afresh and greedily continues the prompt: the argmax token, <paramref name="count"/> times.</summary>
    public static List<int> Greedy(string path, string prompt, int count)
    {
        var parameters = Parameters(path);
        using var weights = LLamaWeights.LoadFromFile(parameters);
        using var context = weights.CreateContext(parameters);
        var tokens = context.Tokenize(prompt, addBos: true, special: false);
        var next = ArgMax(PromptLogits(context, tokens));
        var generated = new List<int> { next };
        var batch = new LLamaBatch();
        for (var position = tokens.Length; generated.Count < count; position++)
        {
            batch.Clear();
            batch.Add(next, position, (LLamaSeqId)0, true);
            Decode(context, batch);
            next = ArgMax(context.NativeHandle.GetLogitsIth(0));
            generated.Add(next);
        }
        return generated;
    }

    public static int ArgMax(ReadOnlySpan<float> logits)
    {
        var best = 0;
        for (var i = 1; i < logits.Length; i++)
        {
            if (logits[i] > logits[best]) best = i;
        }
        return best;
    }

    private static void Decode(LLamaContext context, LLamaBatch batch)
    {
        var result = context.NativeHandle.Decode(batch);
        if (result != DecodeResult.Ok) throw new InvalidOperationException($"llama_decode failed: {result}");
    }
}
