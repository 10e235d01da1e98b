using Atlas.Engine;

namespace Atlas.Context.Tests;

/// <summary>The words Roslyn says can start a completion at the cursor, in the sample C# repository.</summary>
public sealed class StartWordsTests(ContextFixture fixture) : IClassFixture<ContextFixture>
{
    private const string File = "Shop.App/CheckoutService.cs";
    private const string Line = "var customer = _repo.";

    /// <summary>The words at the end of the cursor line after its text is replaced by <paramref name="typed"/>.</summary>
    private async Task<StartWords?> WordsAfter(string typed, RepositoryWorkspace? workspace = null)
    {
        workspace ??= await fixture.Workspace("csharp");
        var (document, offset) = ContextFixture.OpenAt("csharp", File, Line);
        var text = document.Text[..(offset - Line.Length)] + typed + document.Text[offset..];
        var path = new Uri(document.Uri).LocalPath;
        return await workspace.CSharp.StartWordsAsync(path, text, offset - Line.Length + typed.Length, CancellationToken.None);
    }

    [Fact]
    public async Task After_a_dot_only_the_receivers_members_may_start_the_completion()
    {
        var words = await WordsAfter(Line);
        Assert.NotNull(words);
        Assert.False(words.OrOtherStart);
        Assert.Contains("FindById", words.Words);
        Assert.Contains("FindByName", words.Words);
        Assert.Contains("Count", words.Words);
        Assert.Contains("ToString", words.Words); // inherited from object
        Assert.DoesNotContain("Greet", words.Words);
        Assert.DoesNotContain("var", words.Words);
    }

    [Fact]
    public async Task A_word_typed_after_the_dot_leaves_what_is_left_of_the_members_it_begins()
    {
        var words = await WordsAfter("var customer = _repo.Find");
        Assert.NotNull(words);
        Assert.Equal(["ById", "ByName"], words.Words.Order());
        Assert.False(words.OrOtherStart);

        // A word nothing known begins is a name Roslyn cannot see: no constraint.
        Assert.Null(await WordsAfter("var customer = _repo.Zz"));
    }

    [Fact]
    public async Task After_a_type_its_static_members_and_after_a_namespace_its_types()
    {
        var words = await WordsAfter("var empty = string.");
        Assert.NotNull(words);
        Assert.Contains("IsNullOrEmpty", words.Words);
        Assert.DoesNotContain("Length", words.Words);

        words = await WordsAfter("var repository = new Shop.Core.");
        Assert.NotNull(words);
        Assert.Contains("CustomerRepository", words.Words);
    }

    [Fact]
    public async Task Where_a_statement_starts_names_in_scope_and_keywords_or_something_else()
    {
        var words = await WordsAfter("");
        Assert.NotNull(words);
        Assert.True(words.OrOtherStart);
        foreach (var word in new[] { "var", "return", "if", "try", "await", "_repo", "customerId", "CustomerRepository", "Greet" })
            Assert.Contains(word, words.Words);
        Assert.DoesNotContain("FindById", words.Words);
        Assert.DoesNotContain("equals", words.Words); // a query keyword, not a statement's start
    }

    [Theory]
    [InlineData("var customer = customerId > 0 ? ")]
    [InlineData("var customer = ")]
    [InlineData("var found = _repo.FindById(")]
    [InlineData("if (")]
    [InlineData("return ")]
    public async Task Where_only_an_expression_can_stand_statement_keywords_are_no_start(string typed)
    {
        var words = await WordsAfter(typed);
        Assert.NotNull(words);
        foreach (var word in new[] { "_repo", "customerId", "new", "null", "this", "string", "throw" })
            Assert.Contains(word, words.Words);
        foreach (var word in new[] { "try", "if", "for", "switch", "return", "class", "public" })
            Assert.DoesNotContain(word, words.Words);
    }

    [Theory]
    [InlineData("var ")]                       // a new local's name
    [InlineData("Customer ")]                  // likewise, after a type
    [InlineData("// look up _repo.")]          // a comment
    [InlineData("var name = \"_repo.")]         // a string
    public async Task Where_a_name_is_declared_or_in_comments_and_strings_nothing_is_imposed(string typed) =>
        Assert.Null(await WordsAfter(typed));

    [Fact]
    public async Task Typing_in_a_method_body_gives_the_words_a_fresh_bind_gives()
    {
        // The first request binds the file in full (its anchor); the next ones bind the edited body speculatively.
        var workspace = await fixture.Workspace("csharp");
        await WordsAfter(Line, workspace);
        foreach (var typed in new[] { "var customer = _repo.FindById(customerId)!;\n        customer.", "var all = _repo.FindByName(\"x\");\n        all.", "" })
        {
            var incremental = await WordsAfter(typed, workspace);
            var fresh = await WordsAfter(typed);
            Assert.True(fresh is not null, $"no words after {typed}");
            Assert.Equal(fresh.Words.Order(), incremental!.Words.Order());
        }
    }
}
