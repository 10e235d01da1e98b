namespace Atlas.Engine.Decoding;

/// <summary>
/// Where a candidate parts from the greedy answer: at token <see cref="Position"/> of that answer it took
/// <see cref="Token"/>, the model's runner-up there, <see cref="Gap"/> logits below the greedy choice, and went on greedily.
/// </summary>
public sealed record CandidateBranch(int Position, int Token, float Gap);

/// <summary>
/// Picks where the extra candidates of an explicit request part from the greedy answer: at the tokens the model was
/// least sure of (the smallest gap between its top two logits), those on the answer's first line before the rest, since
/// that is the line a user reads first and a branch further down changes only what they see later. A branch is
/// deterministic (runner-up, then greedy) and shares the KV cache with the greedy answer up to its token, where a
/// sampled candidate would share nothing after the prompt and differ from run to run.
/// </summary>
internal static class CandidateBranches
{
    /// <summary>
    /// Runner-ups further than this below the greedy logit (in nats: under about 1/3000 as likely) are not branched to:
    /// the model all but rules them out, and a candidate made from one only pads the list.
    /// </summary>
    public const float MostGap = 8f;

    /// <summary>
    /// Branches decoded per candidate wanted, at most. Many come out the same as one before them once cleaned, or show
    /// nothing (in C# the syntax guard drops what breaks the line); a branch decodes only its own tokens, a small part of
    /// a greedy answer's cost next to its prompt, so a few tries each stay well within one more answer's time.
    /// </summary>
    public const int TriesPerCandidate = 4;

    /// <summary>
    /// The branch points of a greedy answer, best first. <paramref name="decided"/> is how many of the decisions the
    /// answer used: its tokens, and the stop token when the model ended it (branching there continues the answer).
    /// A decision whose choice is not the answer's token, or that a constraint made against the model (a negative
    /// gap), is not branched from: its runner-up is not the model's second choice for that answer.
    /// </summary>
    public static List<CandidateBranch> Rank(IReadOnlyList<TokenDecision> decisions, IReadOnlyList<int> tokens, int decided, Func<int, bool> breaksLine)
    {
        var firstLineEnd = tokens.Count;
        for (var i = 0; i < tokens.Count; i++)
            if (breaksLine(tokens[i])) { firstLineEnd = i; break; }

        var branches = new List<(CandidateBranch Branch, bool FirstLine)>();
        for (var i = 0; i < Math.Min(decided, decisions.Count); i++)
        {
            var choice = decisions[i].Choice;
            if (i < tokens.Count && choice.Token != tokens[i]) continue;
            if (choice.RunnerUp == choice.Token || choice.Gap is < 0 or > MostGap || float.IsNaN(choice.Gap)) continue;
            branches.Add((new CandidateBranch(i, choice.RunnerUp, choice.Gap), i <= firstLineEnd));
        }
        return [.. branches.OrderBy(b => b.FirstLine ? 0 : 1).ThenBy(b => b.Branch.Gap).ThenBy(b => b.Branch.Position).Select(b => b.Branch)];
    }
}
