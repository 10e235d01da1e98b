using Atlas.Context.Budget;
using Microsoft.CodeAnalysis.CSharp;

namespace Atlas.Context.Tests;

/// <summary>What the prompt carries from other files, for cursors in the sample repositories.</summary>
public sealed class RepositoryContextTests(ContextFixture fixture) : IClassFixture<ContextFixture>
{
    private static string All(PromptPieces pieces) => string.Join("\n", pieces.Context.Select(c => $"[{c.Path}]\n{c.Text}"));

    [Fact]
    public async Task After_a_dot_the_receivers_members_from_another_file_are_in_the_prompt()
    {
        var workspace = await fixture.Workspace("csharp");
        var (document, offset) = ContextFixture.OpenAt("csharp", "Shop.App/CheckoutService.cs", "var customer = _repo.");
        var pieces = await workspace.Prompts.BuildAsync(document, offset, CancellationToken.None);
        var context = All(pieces);

        Assert.Contains("class CustomerRepository", context);
        Assert.Contains("Customer? FindById(int id);", context);
        Assert.Contains("FindByName(string name);", context);
        Assert.Contains("/// The customer with this id, or null.", context);
        Assert.Contains("Shop.Core/CustomerRepository.cs", pieces.Context.Select(c => c.Path));
        Assert.DoesNotContain("ReadBarometricPressure", context);
        Assert.DoesNotContain("IgnoredGeneratedThing", context);
        Assert.Equal("Shop.App/CheckoutService.cs", pieces.FilePath);
        // The receiver's type comes first: it is what the user is about to use.
        Assert.Contains("CustomerRepository", pieces.Context[0].Text);
    }

    [Fact]
    public async Task Typing_in_a_body_whose_signature_names_types_gives_the_declarations_a_fresh_bind_gives()
    {
        // The first request binds the file in full (its anchor); the next binds only the edited body, speculatively,
        // and a model of the body cannot bind the signature's names (it threw inside Roslyn, found by the VS Code test).
        var (document, offset) = ContextFixture.OpenAt("csharp", "Shop.App/CheckoutService.cs", "var customer = _repo.");
        var path = new Uri(document.Uri).LocalPath;
        var text = document.Text.Replace("public string Greet(int customerId)", "public Customer? Greet(Customer? previous, int customerId)");
        offset += text.Length - document.Text.Length;
        var workspace = await fixture.Workspace("csharp");
        await workspace.CSharp.CollectAsync(path, text, offset, p => p, CancellationToken.None);

        var typed = text.Insert(offset, "Find");
        var incremental = await workspace.CSharp.CollectAsync(path, typed, offset + 4, p => p, CancellationToken.None);
        var fresh = await (await fixture.Workspace("csharp")).CSharp.CollectAsync(path, typed, offset + 4, p => p, CancellationToken.None);
        Assert.Contains(fresh, d => d.Name == "Customer");
        Assert.Equal(fresh.Select(d => (d.Name, d.Score)), incremental.Select(d => (d.Name, d.Score)));
    }

    [Fact]
    public async Task A_csharp_document_opened_with_neovims_language_id_gets_the_same_context()
    {
        var workspace = await fixture.Workspace("csharp");
        var (opened, offset) = ContextFixture.OpenAt("csharp", "Shop.App/CheckoutService.cs", "var customer = _repo.");
        // Neovim sends its filetype as the language id: "cs", not LSP's "csharp".
        var document = new Atlas.Documents.TextDocument(opened.Uri, "cs", 1, opened.Text);
        workspace.Opened(document);

        var pieces = await workspace.Prompts.BuildAsync(document, offset, CancellationToken.None);
        Assert.Contains("Customer? FindById(int id);", All(pieces));
    }

    [Fact]
    public async Task A_base_classs_abstract_members_are_in_the_prompt_even_though_the_file_does_not_compile()
    {
        var workspace = await fixture.Workspace("csharp");
        var (document, offset) = ContextFixture.OpenAt("csharp", "Shop.App/Product.cs", "Describe(bool verbose) =>");
        Assert.Contains(CSharpSyntaxTree.ParseText(document.Text).GetDiagnostics(), d => d.Severity == Microsoft.CodeAnalysis.DiagnosticSeverity.Error);

        var context = All(await workspace.Prompts.BuildAsync(document, offset, CancellationToken.None));
        Assert.Contains("abstract class EntityBase", context);
        Assert.Contains("public abstract bool Validate();", context);
        Assert.Contains("public abstract string Describe(bool verbose);", context);
        Assert.DoesNotContain("ReadBarometricPressure", context);
    }

    [Fact]
    public async Task An_imported_python_modules_functions_are_in_the_prompt()
    {
        var workspace = await fixture.Workspace("python");
        var (document, offset) = ContextFixture.OpenAt("python", "main.py", "discounted = ");
        var pieces = await workspace.Prompts.BuildAsync(document, offset, CancellationToken.None);
        var context = All(pieces);

        Assert.Contains("def apply_discount(price, percent):", context);
        Assert.Contains("def add_tax(price, rate=0.2):", context);
        Assert.DoesNotContain("return price * (1 - percent / 100)", context);
        Assert.DoesNotContain("barometric_pressure", context);
        Assert.Equal("#", pieces.CommentMarker);
    }

    [Fact]
    public async Task An_imported_typescript_modules_exports_are_in_the_prompt()
    {
        var workspace = await fixture.Workspace("typescript");
        var (document, offset) = ContextFixture.OpenAt("typescript", "src/app.ts", "return ");
        var context = All(await workspace.Prompts.BuildAsync(document, offset, CancellationToken.None));

        Assert.Contains("export function formatCurrency(amount: number, currency: string): string", context);
        Assert.Contains("export class ReceiptPrinter", context);
    }

    [Theory]
    [InlineData(60)]
    [InlineData(200)]
    [InlineData(1500)]
    public async Task Every_piece_fits_its_share_of_the_budget_cut_at_line_boundaries(int budget)
    {
        var workspace = await fixture.Workspace("csharp", budget);
        var (document, offset) = ContextFixture.OpenAt("csharp", "Shop.App/CheckoutService.cs", "var customer = _repo.");
        var pieces = await workspace.Prompts.BuildAsync(document, offset, CancellationToken.None);
        var shares = new ContextBudget { TotalTokens = budget };

        Assert.True(fixture.Count(pieces.Prefix) <= shares.PrefixTokens || pieces.Prefix == document.Text[(document.Text.LastIndexOf('\n', offset - 1) + 1)..offset]);
        Assert.True(fixture.Count(pieces.Suffix) <= shares.SuffixTokens || !pieces.Suffix.TrimEnd().Contains('\n'));
        Assert.True(pieces.Context.Sum(c => fixture.Count(c.Path) + fixture.Count(c.Text) + 2) <= shares.ContextTokens);
        // Cut at line boundaries: the prefix starts a line, the suffix ends one.
        Assert.True(offset - pieces.Prefix.Length == 0 || document.Text[offset - pieces.Prefix.Length - 1] == '\n');
        Assert.True(pieces.Suffix.Length == 0 || pieces.Suffix.EndsWith('\n') || offset + pieces.Suffix.Length == document.Text.Length);
        Assert.EndsWith("var customer = _repo.", pieces.Prefix);
        if (budget >= 1500) Assert.NotEmpty(pieces.Context);
    }

    [Fact]
    public async Task Typing_line_after_line_gives_the_context_a_fresh_bind_of_the_same_text_gives()
    {
        // One workspace follows the edits as an editor sends them (method bodies bound against the file's last full
        // bind); for each state a new workspace binds the same text from scratch. Their contexts must be equal.
        var workspace = await fixture.Workspace("csharp");
        var (document, offset) = ContextFixture.OpenAt("csharp", "Shop.App/CheckoutService.cs", "var customer = _repo.");
        await workspace.Prompts.BuildAsync(document, offset, CancellationToken.None);

        string[] edits =
        [
            "FindById(customerId)!;\n        customer.",          // a new line in the body: the receiver is now a Customer
            "Name;\n        var all = _repo.FindByName(\"x\");\n        all.", // a new local whose type comes from another file
            ";\n        if (all is null) {\n            customer.",  // an unbalanced brace: the body's extent changes
            "Name;\n        }\n    }\n\n    public int Count() => 0;\n\n    public void Next()\n    {\n        _repo.", // a new member
        ];
        var version = 1;
        foreach (var edit in edits)
        {
            var at = document.PositionAt(offset);
            document = document.WithChange(new Atlas.Documents.TextRange(at, at), edit, ++version);
            workspace.Changed(document, at.Line);
            offset += edit.Length;

            var incremental = await workspace.Prompts.BuildAsync(document, offset, CancellationToken.None);
            var fresh = await (await fixture.Workspace("csharp")).Prompts.BuildAsync(document, offset, CancellationToken.None);
            Assert.Equal(All(fresh), All(incremental));
            Assert.NotEmpty(incremental.Context);
        }

        // The last cursor is after `_repo.` in the new member: the repository comes first again.
        Assert.Contains("class CustomerRepository", (await workspace.Prompts.BuildAsync(document, offset, CancellationToken.None)).Context[0].Text);
    }

    [Fact]
    public async Task A_new_local_typed_in_a_body_brings_its_types_declaration()
    {
        var workspace = await fixture.Workspace("csharp");
        var (document, offset) = ContextFixture.OpenAt("csharp", "Shop.App/CheckoutService.cs", "var customer = _repo.");
        await workspace.Prompts.BuildAsync(document, offset, CancellationToken.None);

        const string edit = "FindById(customerId)!;\n        customer.";
        var at = document.PositionAt(offset);
        document = document.WithChange(new Atlas.Documents.TextRange(at, at), edit, 2);
        workspace.Changed(document, at.Line);
        var pieces = await workspace.Prompts.BuildAsync(document, offset + edit.Length, CancellationToken.None);

        Assert.Equal("Shop.Core/Customer.cs", pieces.Context[0].Path);
        Assert.Contains("string Email { get; set; }", pieces.Context[0].Text);
        Assert.Contains(pieces.Context, c => c.Text.Contains("class CustomerRepository"));
    }

    [Fact]
    public async Task Keystrokes_on_one_line_get_the_same_repository_context()
    {
        var workspace = await fixture.Workspace("csharp");
        var (document, offset) = ContextFixture.OpenAt("csharp", "Shop.App/CheckoutService.cs", "var customer = _repo.");
        var first = await workspace.Prompts.BuildAsync(document, offset, CancellationToken.None);
        var typed = document.WithChange(new Atlas.Documents.TextRange(document.PositionAt(offset), document.PositionAt(offset)), "Fi", 2);
        workspace.Changed(typed, document.PositionAt(offset).Line);
        var second = await workspace.Prompts.BuildAsync(typed, offset + 2, CancellationToken.None);

        Assert.Same(first.Context, second.Context);
    }

    [Fact]
    public async Task Similar_chunks_of_other_files_and_recent_edits_come_along_for_other_languages()
    {
        var workspace = await fixture.Workspace("python");
        var pricing = Path.Combine(ContextFixture.Samples, "python", "shop", "pricing.py");
        workspace.Changed(new Atlas.Documents.TextDocument(new Uri(pricing).AbsoluteUri, "python", 3, File.ReadAllText(pricing)), 10);
        var (document, offset) = ContextFixture.OpenAt("python", "main.py", "discounted = ");
        var context = await workspace.Prompts.BuildAsync(document, offset, CancellationToken.None);

        // A body line: only the ring of recent edits carries it (an import brings the outline alone).
        Assert.Contains(context.Context, c => c.Path == "shop/pricing.py" && c.Text.Contains("return price * (1 + rate)"));
    }
}
