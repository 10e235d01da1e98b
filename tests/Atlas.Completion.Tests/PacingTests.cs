using System.Diagnostics;
using Atlas.Completion.Pacing;

namespace Atlas.Completion.Tests;

public sealed class KeystrokeDebounceTests
{
    private static readonly TypingContext MidWord = new('a', AtLineEnd: false, AtDocumentEnd: false);
    private static readonly TypingContext AfterDotAtLineEnd = new('.', AtLineEnd: true, AtDocumentEnd: false);

    /// <summary>Keystrokes <paramref name="ms"/> apart, as the requests they start arrive.</summary>
    private static KeystrokeDebounce Typed(int count, double ms)
    {
        var debounce = new KeystrokeDebounce();
        var at = Stopwatch.GetTimestamp();
        for (var i = 0; i < count; i++)
        {
            debounce.Keystroke(at);
            at += (long)(ms * Stopwatch.Frequency / 1000);
        }
        return debounce;
    }

    [Fact]
    public void Mid_word_waits_three_typing_intervals_and_after_a_dot_at_the_line_end_one_and_a_half()
    {
        var debounce = Typed(30, 150);
        Assert.Equal(150, debounce.BaseInterval, 3);
        Assert.Equal(450, debounce.Delay(Debounce.Adaptive, MidWord, 0).TotalMilliseconds, 3);
        // 0.5 for the non-word character, 0.4 for the line end: 3 − 1.5 × 0.9 = 1.65 intervals.
        Assert.Equal(247.5, debounce.Delay(Debounce.Adaptive, AfterDotAtLineEnd, 0).TotalMilliseconds, 3);
    }

    [Fact]
    public void The_models_expected_time_is_taken_off_and_the_wait_stays_between_one_typing_interval_and_a_second()
    {
        var debounce = Typed(30, 150);
        Assert.Equal(250, debounce.Delay(Debounce.Adaptive, MidWord, 200).TotalMilliseconds, 3);
        // A slow model does not make the wait shorter than the user's typing interval: a run the next key supersedes costs this machine.
        Assert.Equal(150, debounce.Delay(Debounce.Adaptive, MidWord, 5000).TotalMilliseconds, 3);
        var slowTypist = Typed(30, 390);
        Assert.Equal(1000, slowTypist.Delay(Debounce.Adaptive, MidWord, 0).TotalMilliseconds, 3);
    }

    [Fact]
    public void Pauses_and_bursts_are_not_typing_and_few_keystrokes_keep_the_200_ms_start()
    {
        Assert.Equal(200, Typed(8, 120).BaseInterval, 3);
        // Intervals of two seconds (pauses) and 30 ms (a key held, a paste) say nothing of the user's pace.
        Assert.Equal(200, Typed(40, 2000).BaseInterval, 3);
        Assert.Equal(200, Typed(40, 30).BaseInterval, 3);
    }

    [Fact]
    public void A_fixed_debounce_is_what_it_says()
    {
        var debounce = Typed(30, 150);
        Assert.Equal(0, debounce.Delay(Debounce.None, MidWord, 0).TotalMilliseconds);
        Assert.Equal(75, debounce.Delay(Debounce.Fixed(75), AfterDotAtLineEnd, 900).TotalMilliseconds);
        Assert.Throws<ArgumentException>(() => Debounce.Parse("later"));
        Assert.Throws<ArgumentException>(() => Debounce.FromMs(-5));
    }
}

public sealed class LatencyTrackerTests
{
    [Fact]
    public void A_slow_spell_is_reported_when_it_starts_and_when_it_ends_and_not_in_between()
    {
        var tracker = new LatencyTracker(window: 10);
        for (var i = 0; i < 4; i++) Assert.Null(tracker.Add(3000, false, 1500));
        var start = tracker.Add(3000, false, 1500);
        Assert.NotNull(start);
        Assert.True(start.TooSlow);
        Assert.Equal((5, 3000.0), (start.Requests, start.P50Ms));
        for (var i = 0; i < 3; i++) Assert.Null(tracker.Add(2000, false, 1500));

        // Back under the threshold but not under three quarters of it: still the same spell.
        for (var i = 0; i < 10; i++) Assert.Null(tracker.Add(1400, false, 1500));
        var tracker2 = new LatencyTracker(window: 10);
        for (var i = 0; i < 5; i++) tracker2.Add(3000, false, 1500);
        LatencyVerdict? end = null;
        for (var i = 0; i < 10 && end is null; i++) end = tracker2.Add(300, false, 1500);
        Assert.NotNull(end);
        Assert.False(end.IsSlow);
    }

    [Fact]
    public void Half_the_requests_running_out_of_time_is_a_slow_spell_whatever_the_median()
    {
        var tracker = new LatencyTracker(window: 10);
        LatencyVerdict? verdict = null;
        for (var i = 0; i < 10 && verdict is null; i++) verdict = tracker.Add(400, hitTimeBudget: i % 2 == 0, 1500);
        Assert.NotNull(verdict);
        Assert.True(verdict.TooManyTimeouts);
        Assert.False(verdict.TooSlow);
        Assert.Equal(400, tracker.TypicalMs);
    }
}
