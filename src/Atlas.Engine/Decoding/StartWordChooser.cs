using System.Buffers;

namespace Atlas.Engine.Decoding;

/// <summary>
/// Greedy decoding held to <see cref="StartWords"/> until the answer's first word is decided. A word must come out as
/// the model's tokenizer writes it (its canonical tokens, as the model saw words in training), not spelled from
/// fragments: a small model's favourite first token is often a word's tail ("t", "ng") that happens to begin some
/// allowed word, and letting it through would only turn one wrong word into another. Each step takes the most likely
/// token that continues an allowed word's tokens, or, where a word is complete (or the answer may start otherwise),
/// one that starts no word. Then the chooser is <see cref="Free"/> and plain greedy again. A word the model finds far
/// less likely than its own choice is not forced: when no allowed token is within <see cref="MostImprobable"/> of the
/// best logit, the constraint is given up for this answer (the language's list may not know what the user writes).
/// </summary>
internal sealed class StartWordChooser : ITokenChooser
{
    /// <summary>How far (in logits, i.e. nats) below the model's own choice an allowed token may be and still be taken.</summary>
    public const float MostImprobable = 12f;

    private readonly IReadOnlyList<string?> _pieces;
    private readonly Func<int, bool> _isStop;
    private readonly bool _orOtherStart;
    private List<int[]> _live;
    private int _depth;

    public StartWordChooser(IReadOnlyList<string?> pieces, StartWords start, Func<string, int[]> tokenize, Func<int, bool> isStop)
    {
        _pieces = pieces;
        _isStop = isStop;
        _orOtherStart = start.OrOtherStart;
        _live = [.. start.Words.Distinct(StringComparer.Ordinal).Select(w => w.Length == 0 ? [] : tokenize(w))];
    }

    /// <summary>The first word is decided (or the constraint was given up): the rest of the answer is unconstrained.</summary>
    public bool Free { get; private set; }

    public int Next(ReadOnlySpan<float> logits)
    {
        var best = Greedy.ArgMax(logits);
        if (Free) return best;
        var token = Allowed(best) ? best : BestAllowed(logits, logits[best] - MostImprobable);
        if (token < 0)
        {
            Free = true;
            return best;
        }
        Commit(token);
        return token;
    }

    /// <summary>
    /// Chooses as <see cref="Next"/> does, and says how close the choice was among what the words allowed: the runner-up
    /// is the best other allowed token (the one a candidate parting from the answer here may take), or the chosen token
    /// itself at negative infinity when nothing else was allowed. Once free, plain greedy's choice.
    /// </summary>
    public GreedyChoice Decide(ReadOnlySpan<float> logits)
    {
        if (Free) return Greedy.Choose(logits);
        var best = Greedy.ArgMax(logits);
        var (token, runnerUp) = TwoBestAllowed(logits, logits[best] - MostImprobable);
        // The choice is Next's to the last tie: the argmax when it is allowed.
        if (token != best && Allowed(best)) (token, runnerUp) = (best, token);
        if (token < 0)
        {
            Free = true;
            return Greedy.Choose(logits);
        }
        Commit(token);
        return runnerUp < 0
            ? new GreedyChoice(token, logits[token], token, float.NegativeInfinity)
            : new GreedyChoice(token, logits[token], runnerUp, logits[runnerUp]);
    }

    /// <summary>
    /// Takes <paramref name="token"/> as if it had been chosen: a candidate that parts from the greedy answer replays
    /// that answer's start and its own token. False when the words do not allow it (the chooser is then unchanged).
    /// </summary>
    public bool Take(int token)
    {
        if (Free) return true;
        if (!Allowed(token)) return false;
        Commit(token);
        return true;
    }

    /// <summary>The most likely allowed token with a logit of at least <paramref name="floor"/>, or -1.</summary>
    private int BestAllowed(ReadOnlySpan<float> logits, float floor) => Allowed(logits, floor, 1).First;

    /// <summary>The two most likely allowed tokens with a logit of at least <paramref name="floor"/> (-1 for each missing).</summary>
    private (int First, int Second) TwoBestAllowed(ReadOnlySpan<float> logits, float floor) => Allowed(logits, floor, 2);

    private (int First, int Second) Allowed(ReadOnlySpan<float> logits, float floor, int wanted)
    {
        var count = 0;
        for (var i = 0; i < logits.Length; i++) if (logits[i] >= floor) count++;
        var keys = ArrayPool<float>.Shared.Rent(count);
        var ids = ArrayPool<int>.Shared.Rent(count);
        try
        {
            var n = 0;
            for (var i = 0; i < logits.Length; i++)
                if (logits[i] >= floor) { keys[n] = -logits[i]; ids[n++] = i; }
            // Ascending negated logits: most likely first, the lower id first on a tie (as greedy picks).
            Array.Sort(keys, ids, 0, n);
            var found = (First: -1, Second: -1);
            for (var i = 0; i < n; i++)
            {
                if (!Allowed(ids[i])) continue;
                if (found.First < 0) found.First = ids[i];
                else found.Second = ids[i];
                if (--wanted == 0) break;
            }
            return found;
        }
        finally
        {
            ArrayPool<float>.Shared.Return(keys);
            ArrayPool<int>.Shared.Return(ids);
        }
    }

    /// <summary>Some allowed word is written out in full by the tokens so far.</summary>
    private bool WordComplete => _live.Exists(w => w.Length == _depth);

    private bool Allowed(int token)
    {
        if (_isStop(token)) return _depth == 0 || WordComplete;
        if (StartsNoWord(token)) return _depth == 0 ? _orOtherStart || WordComplete : WordComplete;
        return _live.Exists(w => w.Length > _depth && w[_depth] == token);
    }

    private void Commit(int token)
    {
        if (_isStop(token) || StartsNoWord(token))
        {
            Free = true;
            return;
        }
        _live = _live.FindAll(w => w.Length > _depth && w[_depth] == token);
        _depth++;
        Free = _live.Count == 0;
    }

    /// <summary>A token whose text begins with something that cannot continue or start a word (space, bracket, digit first).</summary>
    private bool StartsNoWord(int token) =>
        token < _pieces.Count && _pieces[token] is { Length: > 0 } piece && !(char.IsLetter(piece[0]) || piece[0] == '_');
}
