using System.Text;
using System.Text.RegularExpressions;
using Atlas.Context.Workspace;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Text;

namespace Atlas.Context.CSharp;

/// <summary>
/// A Roslyn view of the repository's C# files (one ad-hoc project against the framework's reference assemblies),
/// kept current document by document, and the question it answers: which declarations does the code at the cursor
/// use that the model cannot see in its window? The receiver type after a dot, the types of locals, parameters and
/// fields in scope, the base types and interfaces of the enclosing type, and the enclosing type's members declared
/// in other files — rendered as compact stubs (signatures, short doc summaries, no bodies), most relevant first.
/// Works on broken code: Roslyn binds what it can of a file that does not compile.
/// </summary>
public sealed partial class CSharpContext
{
    /// <summary>How relevant a type is that the member around the cursor names (below its locals and parameters).</summary>
    private const int UsedInMember = 78;

    /// <summary>How relevant a repository type is that only the rest of the file names.</summary>
    private const int UsedInFile = 50;

    /// <summary>Members shown per type: enough to call into it, not a dump of the BCL.</summary>
    public const int MembersPerType = 24;

    private static readonly SymbolDisplayFormat MemberFormat = new(
        typeQualificationStyle: SymbolDisplayTypeQualificationStyle.NameOnly,
        genericsOptions: SymbolDisplayGenericsOptions.IncludeTypeParameters | SymbolDisplayGenericsOptions.IncludeTypeConstraints,
        memberOptions: SymbolDisplayMemberOptions.IncludeParameters | SymbolDisplayMemberOptions.IncludeType | SymbolDisplayMemberOptions.IncludeModifiers |
                       SymbolDisplayMemberOptions.IncludeAccessibility | SymbolDisplayMemberOptions.IncludeRef | SymbolDisplayMemberOptions.IncludeConstantValue,
        parameterOptions: SymbolDisplayParameterOptions.IncludeType | SymbolDisplayParameterOptions.IncludeName | SymbolDisplayParameterOptions.IncludeParamsRefOut |
                          SymbolDisplayParameterOptions.IncludeDefaultValue | SymbolDisplayParameterOptions.IncludeExtensionThis,
        propertyStyle: SymbolDisplayPropertyStyle.ShowReadWriteDescriptor,
        miscellaneousOptions: SymbolDisplayMiscellaneousOptions.UseSpecialTypes | SymbolDisplayMiscellaneousOptions.EscapeKeywordIdentifiers |
                              SymbolDisplayMiscellaneousOptions.IncludeNullableReferenceTypeModifier);

    private static readonly SymbolDisplayFormat TypeFormat = new(
        typeQualificationStyle: SymbolDisplayTypeQualificationStyle.NameOnly,
        genericsOptions: SymbolDisplayGenericsOptions.IncludeTypeParameters,
        miscellaneousOptions: SymbolDisplayMiscellaneousOptions.UseSpecialTypes);

    private readonly Lock _gate = new();
    private readonly Dictionary<string, (DocumentId Id, string Text)> _documents = new(StringComparer.Ordinal);
    private readonly Dictionary<ISymbol, string> _stubs = new(SymbolEqualityComparer.Default);
    private readonly Dictionary<string, Anchor> _anchors = new(StringComparer.Ordinal);

    /// <summary>Files whose last bound version is kept (each holds a compilation alive): the ones being edited.</summary>
    private const int MostAnchors = 4;
    private Solution? _solution;
    private readonly ProjectId _project = ProjectId.CreateNewId();

    /// <summary>
    /// The solution, made on first use (callers hold <see cref="_gate"/>): made at construction, a workspace's services
    /// and the framework's references held up the server's answer to initialize (1.4 s after the process started on a
    /// machine under load, 0.65 s without them). The background warm-up is normally the first use (<see cref="RoslynWarmUp"/>).
    /// </summary>
    private Solution Solution => _solution ??= EmptySolution(_project);

    /// <summary>The repository's project with no files yet but the SDK's implicit usings.</summary>
    private static Solution EmptySolution(ProjectId project)
    {
        var solution = new AdhocWorkspace().CurrentSolution.AddProject(ProjectInfo.Create(project, VersionStamp.Create(), "repository", "repository", LanguageNames.CSharp,
            compilationOptions: new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable),
            parseOptions: new CSharpParseOptions(LanguageVersion.Latest),
            metadataReferences: FrameworkReferences.All));
        return solution.AddDocument(DocumentId.CreateNewId(project), "ImplicitUsings.g.cs", SourceText.From(ImplicitUsings));
    }

    /// <summary>
    /// The global usings an SDK-style project gets from &lt;ImplicitUsings&gt; (the default in new projects): without
    /// them, code that relies on them binds List&lt;T&gt;, Task or CancellationToken to nothing.
    /// </summary>
    private const string ImplicitUsings = """
        global using System;
        global using System.Collections.Generic;
        global using System.IO;
        global using System.Linq;
        global using System.Net.Http;
        global using System.Threading;
        global using System.Threading.Tasks;
        """;

    /// <summary>Adds or replaces a file; other files' syntax trees are reused, so an edit costs one reparse.</summary>
    public void Update(string path, string text)
    {
        lock (_gate)
        {
            if (_documents.TryGetValue(path, out var known))
            {
                if (known.Text == text) return;
                // As an edit of the old text, so Roslyn reparses only what changed.
                var source = Solution.GetDocument(known.Id)!.TryGetText(out var old) ? TextDifference.Edited(old, known.Text, text) : SourceText.From(text);
                _solution = Solution.WithDocumentText(known.Id, source);
                _documents[path] = (known.Id, text);
            }
            else
            {
                var id = DocumentId.CreateNewId(_project);
                _solution = Solution.AddDocument(id, Path.GetFileName(path), SourceText.From(text), filePath: path);
                _documents[path] = (id, text);
            }
            _stubs.Clear();
            ForgetAnchorsBut(path);
        }
    }

    /// <summary>
    /// Takes a file out (deleted, or closed and not on disk). The project is built anew from the files left rather
    /// than by removing the document: a compilation derived by removal keeps the removed tree reachable through its
    /// declaration table, and a closed 23 MB file held hundreds of MB that way. Removals are rare; the next bind
    /// is a full one.
    /// </summary>
    public void Remove(string path)
    {
        lock (_gate)
        {
            if (!_documents.Remove(path)) return;
            var solution = EmptySolution(_project);
            foreach (var (file, (id, _)) in _documents)
            {
                var document = Solution.GetDocument(id)!;
                solution = solution.AddDocument(id, document.Name, document.GetTextAsync().Result, filePath: file);
            }
            _solution = solution;
            _stubs.Clear();
            _anchors.Clear();
        }
    }

    /// <summary>
    /// A file's anchor sees the other files as they were when it was bound: a change to any of them retires it.
    /// The changed file's own anchor stays, since its edits are what <see cref="Speculate"/> binds.
    /// </summary>
    private void ForgetAnchorsBut(string? path)
    {
        foreach (var other in _anchors.Keys.Where(k => k != path).ToList()) _anchors.Remove(other);
    }

    /// <summary>The repository's project as it is now: an immutable snapshot, for work that must not hold the view.</summary>
    public Project Project
    {
        get
        {
            lock (_gate) return Solution.GetProject(_project)!;
        }
    }

    /// <summary>The Roslyn document of a file (added if it was not indexed yet), for verification and context alike.</summary>
    public Document Document(string path, string text)
    {
        // One critical section (the lock is re-entrant): between two, the indexer could put the file's text on disk
        // in place of this one, and the caller got a document of other text than it asked for.
        lock (_gate)
        {
            Update(path, text);
            return Solution.GetDocument(_documents[path].Id)!;
        }
    }

    /// <summary>The declarations the code at <paramref name="offset"/> uses and that live outside this file, best first.</summary>
    public async Task<IReadOnlyList<Declaration>> CollectAsync(string path, string text, int offset, Func<string, string> displayPath, CancellationToken cancellationToken) =>
        await SiteAsync(path, text, offset, cancellationToken).ConfigureAwait(false) is { } site ? Collect(site, path, displayPath, cancellationToken) : [];

    /// <summary>
    /// The cursor, bound: speculatively against the file's anchor while the edits stay inside one method body, else
    /// by a full bind that becomes the new anchor. Null when Roslyn has no semantic model for the file.
    /// </summary>
    private async Task<Site?> SiteAsync(string path, string text, int offset, CancellationToken cancellationToken)
    {
        // Binding the cursor binds its whole member, with nullable analysis: in a file too large to index (generated
        // code, a 20 MB script of top-level statements) that is tens of seconds for context a model cannot use anyway.
        if (text.Length > WorkspaceIndex.MaxFileBytes) return null;
        var document = Document(path, text);
        if (Speculate(path, text, offset, cancellationToken) is { } speculative) return speculative;

        var model = await document.GetSemanticModelAsync(cancellationToken).ConfigureAwait(false);
        if (model is null) return null;
        var root = await model.SyntaxTree.GetRootAsync(cancellationToken).ConfigureAwait(false);
        lock (_gate)
        {
            if (_anchors.Count >= MostAnchors) _anchors.Clear();
            // The text the model bound, not the caller's: speculation measures edits against it, and offsets past
            // its end ended a request with "Specified argument was out of the range of valid values".
            _anchors[path] = new Anchor(model, model.SyntaxTree.GetText(cancellationToken).ToString());
        }
        offset = Math.Clamp(offset, 0, root.FullSpan.End);
        var token = root.FindToken(Math.Max(0, offset - 1));
        var member = token.Parent?.AncestorsAndSelf().FirstOrDefault(n => n is AccessorDeclarationSyntax or MemberDeclarationSyntax and not BaseTypeDeclarationSyntax);
        return new Site(model, token, offset, member,
            member is null ? null : model.GetDeclaredSymbol(member, cancellationToken) as IMethodSymbol, TypeAround(model, token.Parent, cancellationToken));
    }

    /// <summary>
    /// While the user types inside one method or accessor body, the file's last fully bound version (its anchor)
    /// stays a good view of everything else: the new body is bound speculatively against the anchor's compilation,
    /// which costs that body's binding only, instead of a new compilation of the repository's source symbols.
    /// Null when the edits since the anchor reach outside one block body (signatures, new members, unbalanced braces).
    /// </summary>
    private Site? Speculate(string path, string text, int offset, CancellationToken cancellationToken)
    {
        Anchor? anchor;
        lock (_gate) _anchors.TryGetValue(path, out anchor);
        if (anchor is null) return null;

        // Everything typed since the anchor, as one span.
        var change = TextDifference.Between(anchor.Text, text);
        var (common, oldEnd) = (change.Span.Start, change.Span.End);
        var delta = text.Length - anchor.Text.Length;

        var oldRoot = anchor.Model.SyntaxTree.GetRoot(cancellationToken);
        var oldMember = BodyMemberAround(oldRoot, common, oldEnd);
        if (oldMember is null) return null;
        var newTree = anchor.Model.SyntaxTree.WithChangedText(anchor.Model.SyntaxTree.GetText(cancellationToken).WithChanges(change));
        var newRoot = newTree.GetRoot(cancellationToken);
        // The same member must come out of the reparse with the same extent, or the edit changed more than its body.
        var newMember = BodyMemberAround(newRoot, common, oldEnd + delta);
        if (newMember is null || newMember.RawKind != oldMember.RawKind || newMember.SpanStart != oldMember.SpanStart ||
            newMember.Span.End != oldMember.Span.End + delta || !BodyOf(newMember)!.Span.Contains(offset)) return null;

        var position = BodyOf(oldMember)!.OpenBraceToken.Span.End;
        SemanticModel? speculative = null;
        var bound = newMember switch
        {
            BaseMethodDeclarationSyntax method => anchor.Model.TryGetSpeculativeSemanticModelForMethodBody(position, method, out speculative),
            AccessorDeclarationSyntax accessor => anchor.Model.TryGetSpeculativeSemanticModelForMethodBody(position, accessor, out speculative),
            _ => false,
        };
        if (!bound || speculative is null) return null;
        return new Site(speculative, newRoot.FindToken(Math.Max(0, offset - 1)), offset, newMember,
            anchor.Model.GetDeclaredSymbol(oldMember, cancellationToken) as IMethodSymbol, TypeAround(anchor.Model, oldMember, cancellationToken));
    }

    /// <summary>The type declared around a node, as the model binds it.</summary>
    private static INamedTypeSymbol? TypeAround(SemanticModel model, SyntaxNode? node, CancellationToken cancellationToken) =>
        node?.AncestorsAndSelf().OfType<TypeDeclarationSyntax>().FirstOrDefault() is { } type ? model.GetDeclaredSymbol(type, cancellationToken) : null;

    /// <summary>The method, constructor, operator or accessor whose block body holds all of [start, end).</summary>
    private static SyntaxNode? BodyMemberAround(SyntaxNode root, int start, int end) =>
        root.FindToken(start).Parent?.AncestorsAndSelf().FirstOrDefault(m =>
            BodyOf(m) is { } body && body.OpenBraceToken.Span.End <= start && end <= body.CloseBraceToken.SpanStart && !body.CloseBraceToken.IsMissing);

    private static BlockSyntax? BodyOf(SyntaxNode member) => member switch
    {
        BaseMethodDeclarationSyntax method => method.Body,
        AccessorDeclarationSyntax accessor => accessor.Body,
        _ => null,
    };

    /// <summary>Where the cursor is, as bound: the model to ask, the member around it and its symbols.</summary>
    private sealed record Site(SemanticModel Model, SyntaxToken Token, int Offset, SyntaxNode? Member, IMethodSymbol? Method, INamedTypeSymbol? Enclosing);

    /// <summary>A file's last fully bound version: its semantic model and the text it was bound from.</summary>
    private sealed record Anchor(SemanticModel Model, string Text);

    private IReadOnlyList<Declaration> Collect(Site site, string path, Func<string, string> displayPath, CancellationToken cancellationToken)
    {
        var (model, token, offset) = (site.Model, site.Token, site.Offset);
        var found = new Dictionary<INamedTypeSymbol, int>(SymbolEqualityComparer.Default);
        void Consider(ITypeSymbol? type, int score)
        {
            foreach (var t in Unwrap(type))
                if (!found.TryGetValue(t, out var s) || s < score) found[t] = score;
        }

        // The receiver after a dot: what the user is about to call a member of.
        if (token.Parent?.AncestorsAndSelf().OfType<MemberAccessExpressionSyntax>().FirstOrDefault() is { } access && access.OperatorToken.SpanStart < offset)
            Consider(model.GetTypeInfo(access.Expression, cancellationToken).Type, 100);
        else if (token.IsKind(SyntaxKind.DotToken) && token.Parent is MemberAccessExpressionSyntax dotted)
            Consider(model.GetTypeInfo(dotted.Expression, cancellationToken).Type, 100);

        // Parameters, then the locals declared before the cursor in the member around it (top-level statements: the file).
        foreach (var parameter in site.Method?.Parameters ?? []) Consider(parameter.Type, 80);
        SyntaxNode? scope = site.Member is GlobalStatementSyntax ? token.SyntaxTree?.GetRoot(cancellationToken) : site.Member;
        foreach (var node in scope?.DescendantNodes(n => n.SpanStart < offset) ?? [])
        {
            if (node.SpanStart >= offset) continue;
            var declared = node switch
            {
                VariableDeclaratorSyntax or SingleVariableDesignationSyntax or ForEachStatementSyntax or CatchDeclarationSyntax => model.GetDeclaredSymbol(node, cancellationToken),
                ParameterSyntax { Parent.Parent: var owner } when owner != site.Member => model.GetDeclaredSymbol(node, cancellationToken),
                _ => null,
            };
            switch (declared)
            {
                // A `var` whose initializer is still being typed binds to an error type; what it creates does not.
                case ILocalSymbol { Type: IErrorTypeSymbol } when node is VariableDeclaratorSyntax { Initializer.Value: var value }:
                    Consider(model.GetTypeInfo(value, cancellationToken).Type, 80);
                    break;
                case ILocalSymbol local: Consider(local.Type, 80); break;
                case IParameterSymbol lambdaParameter: Consider(lambdaParameter.Type, 80); break;
            }
        }

        // Every name the member around the cursor uses: the types it names, the types of what it reads and calls. A
        // speculative model binds the edited body only (asked about the signature, Roslyn throws); the signature's
        // types come from the method's symbol then, as a full bind finds them.
        Consider(site.Method?.ReturnType, UsedInMember);
        var named = model.IsSpeculativeSemanticModel && site.Member is not null && BodyOf(site.Member) is { } body ? body : scope;
        foreach (var name in named?.DescendantNodes().OfType<SimpleNameSyntax>() ?? [])
        {
            var info = model.GetSymbolInfo(name, cancellationToken);
            switch (info.Symbol ?? info.CandidateSymbols.FirstOrDefault())
            {
                case INamedTypeSymbol type: Consider(type, UsedInMember); break;
                case IMethodSymbol method: Consider(method.ReturnType, UsedInMember); break;
                case IFieldSymbol field: Consider(field.Type, UsedInMember); break;
                case IPropertySymbol property: Consider(property.Type, UsedInMember); break;
                case ILocalSymbol local: Consider(local.Type, UsedInMember); break;
                case IParameterSymbol parameter: Consider(parameter.Type, UsedInMember); break;
            }
        }

        // The enclosing type's fields and properties, its base type and interfaces.
        if (site.Enclosing is { } enclosing)
        {
            foreach (var member in enclosing.GetMembers())
            {
                if (member is IFieldSymbol { IsImplicitlyDeclared: false } field) Consider(field.Type, 70);
                if (member is IPropertySymbol property) Consider(property.Type, 65);
            }
            Consider(enclosing.BaseType, 75);
            foreach (var i in enclosing.Interfaces) Consider(i, 72);
            // A partial type's other halves are declarations the window cannot show.
            if (enclosing.DeclaringSyntaxReferences.Any(r => r.SyntaxTree.FilePath != path)) found[enclosing] = 60;
        }

        // The repository's types the rest of the file names: what the file as a whole is about.
        if (token.SyntaxTree?.GetRoot(cancellationToken) is { } root)
        {
            foreach (var word in root.DescendantTokens().Where(t => t.IsKind(SyntaxKind.IdentifierToken)).Select(t => t.ValueText).Distinct(StringComparer.Ordinal))
                foreach (var type in model.Compilation.GetSymbolsWithName(word, SymbolFilter.Type, cancellationToken).OfType<INamedTypeSymbol>())
                    if (!found.ContainsKey(type)) found[type] = UsedInFile;
        }

        var results = new List<Declaration>();
        foreach (var (type, score) in found.OrderByDescending(p => p.Value))
        {
            // The framework's types (the only metadata this view references) are what every code model knows already;
            // an outline of Guid or CancellationToken costs hundreds of tokens that the repository's own types need.
            if (type.DeclaringSyntaxReferences.Length == 0) continue;
            if (type.DeclaringSyntaxReferences.All(r => r.SyntaxTree.FilePath == path)) continue;
            var source = type.DeclaringSyntaxReferences[0].SyntaxTree.FilePath is { Length: > 0 } file ? displayPath(file) : "source";
            results.Add(new Declaration(type.ToDisplayString(TypeFormat), source, Stub(type, path), score));
        }
        return results;
    }

    private string Stub(INamedTypeSymbol type, string currentPath)
    {
        lock (_gate)
        {
            if (_stubs.TryGetValue(type, out var cached)) return cached;
        }
        var text = new StringBuilder();
        if (Summary(type) is { } summary) text.Append("/// ").Append(summary).Append('\n');
        text.Append(Keyword(type)).Append(' ').Append(type.ToDisplayString(TypeFormat));
        var bases = new List<string>();
        if (type.BaseType is { SpecialType: SpecialType.None } b && type.TypeKind == TypeKind.Class) bases.Add(b.ToDisplayString(TypeFormat));
        bases.AddRange(type.Interfaces.Select(i => i.ToDisplayString(TypeFormat)));
        if (bases.Count > 0) text.Append(" : ").Append(string.Join(", ", bases));
        text.Append("\n{\n");
        var shown = 0;
        foreach (var member in type.GetMembers())
        {
            if (member.IsImplicitlyDeclared || member.DeclaredAccessibility is Accessibility.Private || member.CanBeReferencedByName is false && member is not IMethodSymbol { MethodKind: MethodKind.Constructor }) continue;
            if (member is IMethodSymbol { MethodKind: not (MethodKind.Ordinary or MethodKind.Constructor) }) continue;
            // Members declared in the current file are in the window already.
            if (member.DeclaringSyntaxReferences.Length > 0 && member.DeclaringSyntaxReferences.All(r => r.SyntaxTree.FilePath == currentPath)) continue;
            if (shown++ == MembersPerType) { text.Append("    // …\n"); break; }
            if (Summary(member) is { } doc) text.Append("    /// ").Append(doc).Append('\n');
            text.Append("    ").Append(member.ToDisplayString(MemberFormat)).Append(member is IPropertySymbol or IEventSymbol ? "\n" : ";\n");
        }
        text.Append("}\n");
        var stub = text.ToString();
        lock (_gate) _stubs[type] = stub;
        return stub;
    }

    private static string Keyword(INamedTypeSymbol type) => type.TypeKind switch
    {
        TypeKind.Interface => "interface",
        TypeKind.Struct => type.IsRecord ? "record struct" : "struct",
        TypeKind.Enum => "enum",
        TypeKind.Delegate => "delegate",
        _ => (type.IsAbstract ? "abstract " : type.IsSealed ? "sealed " : type.IsStatic ? "static " : "") + (type.IsRecord ? "record" : "class"),
    };

    /// <summary>A short XML doc summary as one line; longer ones are left out (they cost more than they tell).</summary>
    private static string? Summary(ISymbol symbol)
    {
        var xml = symbol.GetDocumentationCommentXml();
        if (string.IsNullOrEmpty(xml)) return null;
        var match = SummaryElement().Match(xml);
        if (!match.Success) return null;
        var text = Whitespace().Replace(Tags().Replace(match.Groups[1].Value, ""), " ").Trim();
        return text.Length is > 0 and <= 160 ? text : null;
    }

    /// <summary>The named types behind a type: element types of arrays, type arguments of generics; never the predefined ones.</summary>
    private static IEnumerable<INamedTypeSymbol> Unwrap(ITypeSymbol? type)
    {
        switch (type)
        {
            case null or IErrorTypeSymbol:
                yield break;
            case IArrayTypeSymbol array:
                foreach (var t in Unwrap(array.ElementType)) yield return t;
                yield break;
            case INamedTypeSymbol named:
                if (named.SpecialType == SpecialType.None && named.TypeKind != TypeKind.Error) yield return named.OriginalDefinition;
                foreach (var argument in named.TypeArguments)
                    foreach (var t in Unwrap(argument)) yield return t;
                yield break;
        }
    }

    [GeneratedRegex(@"<summary>(.*?)</summary>", RegexOptions.Singleline)]
    private static partial Regex SummaryElement();

    [GeneratedRegex(@"<[^>]+>")]
    private static partial Regex Tags();

    [GeneratedRegex(@"\s+")]
    private static partial Regex Whitespace();
}
