using System.Diagnostics;
using System.Text;
using Atlas.Engine.Loading;
using LLama;
using LLama.Native;

namespace Atlas.Engine.Decoding;

/// <summary>
/// The answer as it grows, token by token, and the stop rules applied to each token in order: end of generation,
/// end of line in single-line mode, the token cap and the time budget. Multi-byte characters split across tokens
/// are held back until complete.
/// </summary>
internal sealed class OutputText(LoadedModel model, CompletionRequest request, Stopwatch clock)
{
    private readonly StreamingTokenDecoder _decoder = new(Encoding.UTF8, model.Weights.NativeHandle);
    private readonly StringBuilder _text = new();
    private readonly List<int> _tokens = [];

    public string Text => _text.ToString();
    public IReadOnlyList<int> Tokens => _tokens;

    /// <summary>Takes the next greedy token; returns why generation ends here, or null to go on.</summary>
    public StopReason? Emit(int token)
    {
        if (model.IsStop((LLamaToken)token)) return StopReason.EndOfGeneration;
        _tokens.Add(token);
        _decoder.Add(token);
        _text.Append(_decoder.Read());
        if (request.SingleLine && IndexOfNewline() is var newline and >= 0)
        {
            _text.Length = newline;
            return StopReason.EndOfLine;
        }
        request.OnToken?.Invoke(_tokens.Count, _text.ToString());
        if (_tokens.Count >= request.MaxTokens) return StopReason.MaxTokens;
        if (clock.Elapsed >= request.TimeBudget) return StopReason.TimeBudget;
        return null;
    }

    /// <summary>
    /// Where the answer's line ends: its first line break, or with <see cref="CompletionRequest.MayStartOnNextLine"/>
    /// the first one after code, so line breaks before any code start the answer on the next line.
    /// </summary>
    private int IndexOfNewline()
    {
        var from = 0;
        if (request.MayStartOnNextLine)
        {
            while (from < _text.Length && char.IsWhiteSpace(_text[from])) from++;
            if (from == _text.Length) return -1;
        }
        for (var i = from; i < _text.Length; i++)
            if (_text[i] == '\n') return i > 0 && _text[i - 1] == '\r' ? i - 1 : i;
        return -1;
    }
}
