using Atlas.Engine.Decoding;

namespace Atlas.Engine.Tests;

/// <summary>Greedy choice held to the words that can start an answer, on a made-up vocabulary.</summary>
public sealed class StartWordChooserTests
{
    private static readonly string?[] Pieces = ["t", "try", "this", "_", "repo", ";", " ", "Find", "ById", "(", null, "ng"];
    private const int Stop = 10;

    private static readonly Dictionary<string, int[]> Tokens = new()
    {
        ["try"] = [1], ["this"] = [2], ["_repo"] = [3, 4], ["FindById"] = [7, 8], ["Find"] = [7], ["ng"] = [11],
    };

    private static StartWordChooser Chooser(bool orOther, params string[] words) =>
        new(Pieces, new StartWords(words, orOther), w => Tokens[w], t => t == Stop);

    /// <summary>Logits that rank the given tokens in this order, every other token far below.</summary>
    private static float[] Ranking(params int[] best)
    {
        var logits = Enumerable.Repeat(-50f, Pieces.Length).ToArray();
        for (var i = 0; i < best.Length; i++) logits[best[i]] = 10f - i;
        return logits;
    }

    [Fact]
    public void A_word_fragment_the_model_prefers_gives_way_to_the_best_whole_word()
    {
        // "t" begins "try" and "this", but neither is written that way: the model's next choice that is a word wins.
        var chooser = Chooser(orOther: true, "try", "this", "_repo");
        Assert.Equal(2, chooser.Next(Ranking(0, 11, 2, 1)));
        // "this" is whole, but only what starts no word may follow it: not "thisng".
        Assert.Equal(6, chooser.Next(Ranking(11, 6)));
        Assert.True(chooser.Free);
    }

    [Fact]
    public void A_word_is_followed_token_by_token_and_then_anything_that_starts_no_word()
    {
        var chooser = Chooser(orOther: false, "_repo", "FindById", "Find");
        Assert.Equal(3, chooser.Next(Ranking(0, 3)));     // "_", the start of _repo
        Assert.False(chooser.Free);
        Assert.Equal(4, chooser.Next(Ranking(7, 4)));     // "Find" does not continue "_"
        Assert.False(chooser.Free);
        Assert.Equal(5, chooser.Next(Ranking(11, 5)));    // the word is whole: ";" ends it
        Assert.True(chooser.Free);
        Assert.Equal(11, chooser.Next(Ranking(11, 5)));   // free: plain greedy
    }

    [Fact]
    public void A_decision_chooses_as_next_does_and_names_the_best_other_allowed_token_as_runner_up()
    {
        // The model prefers the fragment "t"; "this" wins, and "try" is what a candidate parting here would take.
        var chooser = Chooser(orOther: false, "try", "this", "_repo");
        var choice = chooser.Decide(Ranking(0, 2, 11, 1));
        Assert.Equal((2, 1), (choice.Token, choice.RunnerUp));
        Assert.True(choice.Gap > 0);
        Assert.Equal(Chooser(orOther: false, "try", "this", "_repo").Next(Ranking(0, 2, 11, 1)), choice.Token);
        // Nothing else allowed: no runner-up to part to.
        var alone = Chooser(orOther: false, "try").Decide(Ranking(1));
        Assert.Equal(float.PositiveInfinity, alone.Gap);
    }

    [Fact]
    public void A_branch_replays_an_answers_start_and_may_take_only_what_the_words_allow()
    {
        // A candidate parting from "_repo" after "_" may take "repo" but not a fragment no word goes on with.
        var chooser = Chooser(orOther: false, "_repo", "FindById");
        Assert.True(chooser.Take(3));
        Assert.False(chooser.Take(11));
        Assert.False(chooser.Free);
        Assert.True(chooser.Take(4));
        Assert.True(chooser.Take(5));
        Assert.True(chooser.Free);
        Assert.True(chooser.Take(11));                    // free: anything
        Assert.False(Chooser(orOther: false, "try").Take(9));
    }

    [Fact]
    public void A_word_that_is_a_prefix_of_another_may_end_or_go_on()
    {
        var ends = Chooser(orOther: false, "FindById", "Find");
        Assert.Equal(7, ends.Next(Ranking(7)));
        Assert.Equal(9, ends.Next(Ranking(9, 8)));        // "Find(" : Find is whole
        Assert.True(ends.Free);

        var goesOn = Chooser(orOther: false, "FindById", "Find");
        goesOn.Next(Ranking(7));
        Assert.Equal(8, goesOn.Next(Ranking(8, 9)));      // "FindById"
    }

    [Fact]
    public void After_a_dot_nothing_but_a_word_may_start_and_elsewhere_other_starts_may()
    {
        Assert.Equal(1, Chooser(orOther: false, "try").Next(Ranking(9, 6, 1)));
        Assert.Equal(9, Chooser(orOther: true, "try").Next(Ranking(9, 6, 1)));
        // An empty answer is always allowed (nothing is shown).
        Assert.Equal(Stop, Chooser(orOther: false, "try").Next(Ranking(Stop, 1)));
    }

    [Fact]
    public void A_word_the_model_finds_far_less_likely_is_not_forced()
    {
        var logits = Ranking(0);
        logits[1] = logits[0] - StartWordChooser.MostImprobable - 1;
        var chooser = Chooser(orOther: false, "try");
        Assert.Equal(0, chooser.Next(logits));
        Assert.True(chooser.Free);
    }
}
