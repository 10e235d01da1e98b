using System.Diagnostics;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Text;

namespace Atlas.Context.CSharp;

/// <summary>
/// Roslyn's first answer in a process is slow: its compiler's code is JIT-compiled on first use, the framework's
/// reference assemblies are read and their symbols made, and the repository's files are parsed and declared. The
/// first "fix this" listing paid all of that (1.3 s) and the tenth none of it. A warm-up does that work in the
/// background after initialize, on a throwaway file first, then on the repository's project once it is indexed, so
/// the user's first request finds it done.
/// </summary>
/// <remarks>
/// It takes no lock a request waits on: it binds a snapshot of the Roslyn view (an immutable solution) taken under the
/// view's lock for an instant. A request that comes while it runs shares Roslyn's own lazily built state (the same
/// syntax trees, the framework's symbols, the JIT's compiled code): it waits at most for work it needed anyway.
/// </remarks>
public sealed class RoslynWarmUp(CSharpContext csharp)
{
    /// <summary>
    /// A small file in the shapes every C# file has (types, generics, lambdas, LINQ, async, patterns, interpolation)
    /// and one error of each common kind, so the parser's recovery, the binder's error paths and the messages a
    /// listing formats are compiled too.
    /// </summary>
    private const string Sample = """
        namespace Atlas.WarmUp;

        public interface IShelf { int Count { get; } }

        public sealed record Book(string Title, decimal Price);

        public sealed class Shelf : IShelf
        {
            private readonly List<Book> _books = new();
            public int Count => _books.Count;

            public async Task<decimal> TotalAsync(CancellationToken cancellationToken)
            {
                await Task.Delay(1, cancellationToken);
                var total = _books.Where(b => b.Price > 0).Sum(b => b.Price);
                var label = $"{Count} books, {total:F2}";
                return label is { Length: > 0 } ? total : 0m
            }

            public string Describe(object value) => value switch
            {
                Book { Price: > 10 } book => book.Title.ToUpperInvariant(),
                int n when n > 0 => n.ToString(),
                _ => Missing(value),
            };

            public IEnumerable<string> Titles() { foreach (var book in _books) yield return book.Title; }
        }
        """;

    /// <summary>
    /// Compiles the sample in the repository's project (its references and options), then, once
    /// <paramref name="indexed"/> completes, declares the repository's own files. Runs on the thread pool from its
    /// first line: the caller's thread (the server's request dispatcher) is never held.
    /// </summary>
    public Task<RoslynWarmth> RunAsync(Task indexed, CancellationToken cancellationToken) => Task.Run(async () =>
    {
        var clock = Stopwatch.StartNew();
        await CompileSampleAsync(csharp.Project, cancellationToken).ConfigureAwait(false);
        var compiler = clock.Elapsed;

        // Indexing failures are the index's to report; the repository is then bound as far as it got.
        await indexed.ContinueWith(_ => { }, cancellationToken, TaskContinuationOptions.None, TaskScheduler.Default).ConfigureAwait(false);
        var waited = clock.Elapsed;
        var files = await DeclareAsync(csharp.Project, cancellationToken).ConfigureAwait(false);
        return new RoslynWarmth(compiler, waited - compiler, clock.Elapsed - waited, files);
    }, cancellationToken);

    /// <summary>
    /// The sample, added to a copy of the project (the view itself never sees it), compiled and asked what a listing
    /// and a completion ask: every diagnostic with its message, the types and symbols of its names, the members in
    /// scope after a dot (with extension methods, whose first lookup scans every referenced namespace).
    /// </summary>
    private static async Task CompileSampleAsync(Project project, CancellationToken cancellationToken)
    {
        var document = project.AddDocument("AtlasWarmUp.cs", SourceText.From(Sample));
        var model = await document.GetSemanticModelAsync(cancellationToken).ConfigureAwait(false);
        if (model is null) return;
        foreach (var diagnostic in model.GetDiagnostics(cancellationToken: cancellationToken)) _ = diagnostic.GetMessage();
        var root = await model.SyntaxTree.GetRootAsync(cancellationToken).ConfigureAwait(false);
        foreach (var name in root.DescendantNodes().OfType<SimpleNameSyntax>())
        {
            _ = model.GetSymbolInfo(name, cancellationToken);
            _ = model.GetTypeInfo(name, cancellationToken);
        }
        var books = root.DescendantNodes().OfType<MemberAccessExpressionSyntax>().First(a => a.Expression.ToString() == "_books");
        if (model.GetTypeInfo(books.Expression, cancellationToken).Type is { } list)
            _ = model.LookupSymbols(books.Name.SpanStart, list, includeReducedExtensionMethods: true);
        _ = model.LookupSymbols(books.SpanStart);
    }

    /// <summary>
    /// The repository's compilation with every file parsed and its types declared (what any bind looks names up in),
    /// without binding member bodies: that part is per request and per file, and costs the size of the repository.
    /// </summary>
    private static async Task<int> DeclareAsync(Project project, CancellationToken cancellationToken)
    {
        var compilation = await project.GetCompilationAsync(cancellationToken).ConfigureAwait(false);
        if (compilation is null) return 0;
        _ = compilation.GetSymbolsWithName(_ => true, SymbolFilter.Type, cancellationToken).Count();
        return project.Documents.Count(d => d.FilePath is not null);
    }
}

/// <summary>What a warm-up did and how long each part took.</summary>
/// <param name="Compiler">Compiling the sample: the compiler's code and the framework's references.</param>
/// <param name="IndexWait">Waiting for the workspace index after that.</param>
/// <param name="Repository">Parsing and declaring the repository's files.</param>
/// <param name="Files">The repository's C# files in the project.</param>
public sealed record RoslynWarmth(TimeSpan Compiler, TimeSpan IndexWait, TimeSpan Repository, int Files);
