using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Text;

namespace Atlas.EditorScenario;

/// <summary>
/// The editor tests' scenario: in the sample repository tests/Samples/shelf, open
/// <c>Services/LibraryService.cs</c>, start a new line in the body of <c>DescribeAsync</c> and type
/// <c>var book = await _bookRepository.</c> — a member access on <c>IBookRepository</c>, which is declared in
/// another file. A good suggestion there names a member of that interface; the file itself mentions none, so the
/// model can only have it from the repository context (without it, the trained model invents one, e.g. LoadAsync).
/// The checks are properties, never the model's exact text, so a better-trained model still passes.
/// </summary>
public static class MemberAccessScenario
{
    /// <summary>The file typed into, relative to the repository.</summary>
    public const string File = "Services/LibraryService.cs";

    /// <summary>What is typed on the new line (after the editor's indentation).</summary>
    public const string Typed = "var book = await _bookRepository.";

    /// <summary>The receiver's type, and the file that declares it.</summary>
    public const string ReceiverType = "IBookRepository";
    public const string DeclaredIn = "Services/IBookRepository.cs";

    /// <summary>The line the new line is opened after: the opening brace of this method.</summary>
    private const string Method = "public async Task<string> DescribeAsync(";

    /// <summary>The sample repository's folder, found above the running binaries (tests/Samples/shelf).</summary>
    public static string Repository { get; } = FindRepository();

    /// <summary>The full path of <see cref="File"/>.</summary>
    public static string FilePath => Path.Combine(Repository, File);

    /// <summary>0-based line after which the statement is typed on a new line (the method body's opening brace).</summary>
    public static int AfterLine { get; } = FindAfterLine();

    /// <summary>Members of <see cref="ReceiverType"/> that <see cref="File"/> does not mention: the names a suggestion may start with.</summary>
    public static IReadOnlySet<string> Members { get; } = FindMembers();

    /// <summary>
    /// What is wrong with <paramref name="suggestion"/> inserted at <paramref name="offset"/> of the document as the
    /// editor held it when it asked (<see cref="Typed"/> just before the cursor); empty when nothing is: the
    /// suggestion starts with one of <see cref="Members"/> and brings no syntax error the document did not have.
    /// </summary>
    public static IReadOnlyList<string> Check(string typedDocument, int offset, string suggestion)
    {
        var problems = new List<string>();
        if (!typedDocument[..offset].EndsWith(Typed, StringComparison.Ordinal))
            problems.Add($"the cursor is not right after \"{Typed}\"");
        var first = SyntaxFactory.ParseTokens(suggestion).FirstOrDefault();
        if (!first.IsKind(SyntaxKind.IdentifierToken) || !Members.Contains(first.ValueText))
            problems.Add($"the suggestion {Quote(suggestion)} does not start with a member of {ReceiverType} that {File} does not mention ({string.Join(", ", Members.Order())})");

        var before = Parse(typedDocument);
        var after = before.WithChangedText(before.GetText().WithChanges(new TextChange(new TextSpan(offset, 0), suggestion)));
        var unmatched = SyntaxErrors(before).GroupBy(e => e).ToDictionary(g => g.Key, g => g.Count());
        foreach (var error in SyntaxErrors(after))
        {
            if (unmatched.GetValueOrDefault(error) > 0) unmatched[error]--;
            else problems.Add($"with the suggestion inserted, Roslyn reports a new syntax error: {error}");
        }
        return problems;
    }

    /// <summary>
    /// <see cref="Check"/> for a document saved after the editor accepted the suggestion: the suggestion must follow
    /// <see cref="Typed"/> in it (the editor inserted exactly what it showed), and the document without it is what was typed.
    /// </summary>
    public static IReadOnlyList<string> CheckSaved(string savedDocument, string suggestion)
    {
        var at = savedDocument.IndexOf(Typed + suggestion, StringComparison.Ordinal);
        if (suggestion.Length == 0 || at < 0) return [$"the saved file has no \"{Typed}\" followed by the suggestion {Quote(suggestion)}"];
        var cursor = at + Typed.Length;
        return Check(savedDocument.Remove(cursor, suggestion.Length), cursor, suggestion);
    }

    private static SyntaxTree Parse(string text) => CSharpSyntaxTree.ParseText(text, new CSharpParseOptions(LanguageVersion.Latest));

    /// <summary>Errors by id and message, not position: the suggestion moves everything after it.</summary>
    private static IEnumerable<string> SyntaxErrors(SyntaxTree tree) =>
        tree.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).Select(d => $"{d.Id} {d.GetMessage()}");

    private static string Quote(string text) => System.Text.Json.JsonSerializer.Serialize(text);

    private static string FindRepository()
    {
        for (var dir = AppContext.BaseDirectory; dir is not null; dir = Path.GetDirectoryName(dir))
        {
            var candidate = Path.Combine(dir, "tests", "Samples", "shelf");
            if (Directory.Exists(candidate)) return candidate;
        }
        throw new DirectoryNotFoundException($"No tests/Samples/shelf above {AppContext.BaseDirectory}.");
    }

    private static int FindAfterLine()
    {
        var lines = System.IO.File.ReadAllLines(FilePath);
        var method = Array.FindIndex(lines, l => l.Contains(Method, StringComparison.Ordinal));
        if (method < 0 || method + 1 >= lines.Length || lines[method + 1].Trim() != "{")
            throw new InvalidOperationException($"{File} no longer has \"{Method}\" followed by its opening brace: update the scenario with the sample.");
        return method + 1;
    }

    private static HashSet<string> FindMembers()
    {
        var declaring = Parse(System.IO.File.ReadAllText(Path.Combine(Repository, DeclaredIn))).GetRoot();
        var type = declaring.DescendantNodes().OfType<TypeDeclarationSyntax>().Single(t => t.Identifier.ValueText == ReceiverType);
        var declared = type.Members.SelectMany(m => m switch
        {
            MethodDeclarationSyntax method => [method.Identifier.ValueText],
            PropertyDeclarationSyntax property => [property.Identifier.ValueText],
            EventDeclarationSyntax e => [e.Identifier.ValueText],
            BaseFieldDeclarationSyntax field => field.Declaration.Variables.Select(v => v.Identifier.ValueText),
            _ => [],
        }).Concat(type.ParameterList?.Parameters.Select(p => p.Identifier.ValueText) ?? []);
        var mentioned = Parse(System.IO.File.ReadAllText(FilePath)).GetRoot().DescendantTokens()
            .Where(t => t.IsKind(SyntaxKind.IdentifierToken)).Select(t => t.ValueText).ToHashSet();
        var members = declared.Where(m => !mentioned.Contains(m)).ToHashSet();
        return members.Count > 0 ? members : throw new InvalidOperationException($"{File} mentions every member of {ReceiverType}: the scenario would prove nothing.");
    }
}
