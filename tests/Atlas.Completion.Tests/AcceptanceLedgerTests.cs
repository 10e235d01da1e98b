using Atlas.Completion.Acceptance;

namespace Atlas.Completion.Tests;

public sealed class AcceptanceLedgerTests
{
    [Fact]
    public void Figures_count_each_suggestion_once_by_language_and_by_line_kind()
    {
        var ledger = new AcceptanceLedger();
        var a = ledger.Offer("csharp", "Count();");
        var b = ledger.Offer("csharp", "if (x)\n{\n}");
        ledger.Offer("python", "return 1");
        ledger.Shown(a);
        ledger.Shown(a);
        ledger.Accepted(a);
        ledger.Accepted(a);
        ledger.PartiallyAccepted(b, 4);
        ledger.PartiallyAccepted(b, 2); // cumulative: the most taken counts
        Assert.False(ledger.Shown("atlas-0"));

        var report = ledger.Report();
        Assert.Equal(new AcceptanceFigures(3, 2, 1, 1, "Count();".Length + "if (x)\n{\n}".Length, "Count();".Length + 4), report.All);
        Assert.Equal(1.0, report.All.AcceptRate);
        Assert.Equal(2, report.ByLanguage["csharp"].Offered);
        Assert.Null(report.ByLanguage["python"].AcceptRate); // offered, never shown
        Assert.Equal((2, 1), (report.SingleLine.Offered, report.SingleLine.Accepted));
        Assert.Equal((1, 1), (report.MultiLine.Offered, report.MultiLine.PartiallyAccepted));
    }

    [Fact]
    public void A_client_that_never_says_what_it_shows_has_its_rate_taken_over_what_was_offered()
    {
        var ledger = new AcceptanceLedger();
        var a = ledger.Offer("lua", "x");
        ledger.Offer("lua", "y");
        ledger.Accepted(a);
        Assert.Equal(0.5, ledger.Report().All.AcceptRate);
        Assert.Null(new AcceptanceLedger().Report().All.AcceptRate);
    }

    [Fact]
    public void Taking_all_of_a_suggestion_in_parts_is_an_accept()
    {
        var ledger = new AcceptanceLedger();
        var a = ledger.Offer("go", "abc");
        ledger.PartiallyAccepted(a, 2);
        ledger.PartiallyAccepted(a, 3);
        Assert.Equal((1, 0, 3L), (ledger.Report().All.Accepted, ledger.Report().All.PartiallyAccepted, ledger.Report().All.AcceptedChars));
    }

    [Fact]
    public void Old_suggestions_are_forgotten_for_reports_but_still_counted()
    {
        var ledger = new AcceptanceLedger(remembered: 2);
        var first = ledger.Offer("rust", "a");
        ledger.Accepted(first);
        ledger.Offer("rust", "b");
        ledger.Offer("rust", "c\nd");
        Assert.False(ledger.Accepted(first)); // forgotten: a late report changes nothing
        var all = ledger.Report().All;
        Assert.Equal((3, 3, 1), (all.Offered, all.Shown, all.Accepted));
        Assert.Equal(3, ledger.Report().ByLanguage["rust"].Offered);
    }
}
