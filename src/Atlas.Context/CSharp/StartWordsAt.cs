using System.Collections.Frozen;
using Atlas.Engine;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Atlas.Context.CSharp;

public sealed partial class CSharpContext
{
    /// <summary>
    /// The keywords that may start code where an expression, a statement or a member may: every reserved keyword, and
    /// the contextual ones that work there (not the query clauses or attribute targets, which only follow their own).
    /// </summary>
    private static readonly FrozenSet<string> Keywords = SyntaxFacts.GetReservedKeywordKinds().Select(SyntaxFacts.GetText)
        .Concat(["var", "await", "async", "yield", "nameof", "dynamic", "global", "record", "partial", "required", "get", "set", "init",
                 "add", "remove", "value", "where", "when", "with", "and", "or", "not", "from", "file", "scoped"])
        .Where(k => k.Length > 0 && !k.StartsWith("__", StringComparison.Ordinal)).ToFrozenSet(StringComparer.Ordinal);

    /// <summary>
    /// The keywords an expression may begin with: literals, this and base, the operators written as words, the
    /// predefined types (a cast, <c>int.Parse</c>), a lambda's modifiers, an argument's ref kind, the throw expression,
    /// <c>var</c> of an out variable or a deconstruction, and the pattern words. Where only an expression can stand
    /// (after <c>await</c>, <c>return</c>, <c>=</c>, inside parentheses), a statement keyword is no start: the small model
    /// ended 33 of the 150 shared cases on a lone <c>try</c>, many of them after <c>await</c> or in an argument list.
    /// </summary>
    private static readonly FrozenSet<string> ExpressionKeywords = SyntaxFacts.GetKeywordKinds().Where(SyntaxFacts.IsPredefinedType).Select(SyntaxFacts.GetText)
        .Concat(["new", "null", "true", "false", "this", "base", "typeof", "sizeof", "default", "nameof", "checked", "unchecked", "await",
                 "stackalloc", "throw", "ref", "out", "in", "var", "static", "async", "delegate", "not", "and", "or", "from", "dynamic", "global"])
        .ToFrozenSet(StringComparer.Ordinal);

    /// <summary>
    /// The words that can stand at the cursor, as Roslyn knows them, so the model cannot start a suggestion inside a
    /// word or with a name that does not exist: after a member-access dot, the receiver's members (its static ones
    /// after a type, a namespace's types); where an expression or statement starts, the names in scope, the members an
    /// object initializer sets, the parameter names of the call, and the keywords. Where a new name is being declared,
    /// in comments and strings, and wherever the position is unclear, null: no constraint. A word typed up to the
    /// cursor narrows the list to the words it begins, and the words are what is left to type of them.
    /// </summary>
    public async Task<StartWords?> StartWordsAsync(string path, string text, int offset, CancellationToken cancellationToken)
    {
        if (offset < text.Length && IsWordPart(text[offset])) return null; // inside a word, not at its end
        var wordStart = offset;
        while (wordStart > 0 && IsWordPart(text[wordStart - 1])) wordStart--;
        var typed = text[wordStart..offset];
        if (typed.Length > 0 && !IsWordStart(typed[0])) return null; // a number

        if (await SiteAsync(path, text, offset, cancellationToken).ConfigureAwait(false) is not { } site) return null;
        var root = site.Token.SyntaxTree?.GetRoot(cancellationToken);
        if (root is null || InCommentOrText(root, offset)) return null;

        var previous = root.FindToken(Math.Max(0, wordStart - 1));
        while (previous.RawKind != 0 && previous.Span.End > wordStart) previous = previous.GetPreviousToken();
        if (previous.RawKind == 0) return null;

        var (names, orOther) = Candidates(site.Model, previous, offset, cancellationToken);
        if (names is null) return null;
        var words = names.Where(n => n.StartsWith(typed, StringComparison.Ordinal)).Select(n => n[typed.Length..]).ToHashSet(StringComparer.Ordinal);
        // A typed word that begins nothing known is a new name (or one Roslyn cannot see): leave the model free.
        if (words.Count == 0) return null;
        return new StartWords(words, orOther && typed.Length == 0);
    }

    private static (IEnumerable<string>? Names, bool OrOther) Candidates(SemanticModel model, SyntaxToken previous, int position, CancellationToken cancellationToken)
    {
        if (previous.IsKind(SyntaxKind.DotToken))
        {
            return previous.Parent switch
            {
                MemberAccessExpressionSyntax access => (MembersOf(model, access.Expression, position, cancellationToken), false),
                QualifiedNameSyntax qualified => (MembersOf(model, qualified.Left, position, cancellationToken), false),
                MemberBindingExpressionSyntax { Parent: var binding } when binding?.Parent is ConditionalAccessExpressionSyntax conditional =>
                    (InstanceMembers(model, Underlying(model.GetTypeInfo(conditional.Expression, cancellationToken).Type), position), false),
                _ => (null, false),
            };
        }
        if (previous.IsKind(SyntaxKind.NewKeyword))
            return (Named(model.LookupNamespacesAndTypes(position)), true);
        if (!StartsExpression(previous)) return (null, false);

        var names = new HashSet<string>(Named(model.LookupSymbols(position)), StringComparer.Ordinal);
        names.UnionWith(StartsStatement(previous) ? Keywords : ExpressionKeywords);
        // An object initializer sets the created type's members; a call may name its parameters.
        if (previous.Parent is InitializerExpressionSyntax { Parent: BaseObjectCreationExpressionSyntax creation })
            names.UnionWith(InstanceMembers(model, model.GetTypeInfo(creation, cancellationToken).Type, position) ?? []);
        if (previous.Parent is ArgumentListSyntax { Parent: var call } && call is not null)
        {
            var info = model.GetSymbolInfo(call, cancellationToken);
            foreach (var method in info.CandidateSymbols.Append(info.Symbol).OfType<IMethodSymbol>())
                names.UnionWith(method.Parameters.Select(p => p.Name));
        }
        return (names, true);
    }

    /// <summary>What can follow <c>receiver.</c>: a namespace's members, a type's static members, a value's instance members.</summary>
    private static IEnumerable<string>? MembersOf(SemanticModel model, ExpressionSyntax receiver, int position, CancellationToken cancellationToken)
    {
        var symbol = model.GetSymbolInfo(receiver, cancellationToken).Symbol;
        return symbol switch
        {
            INamespaceSymbol ns => ns.GetMembers().Select(m => m.Name),
            ITypeSymbol type and not ITypeParameterSymbol => Named(model.LookupStaticMembers(position, type as INamespaceOrTypeSymbol)),
            _ => InstanceMembers(model, model.GetTypeInfo(receiver, cancellationToken).Type, position),
        };
    }

    private static IEnumerable<string>? InstanceMembers(SemanticModel model, ITypeSymbol? type, int position) =>
        type is null or IErrorTypeSymbol ? null
            : Named(model.LookupSymbols(position, type, includeReducedExtensionMethods: true).Where(s => !s.IsStatic || s is IMethodSymbol { MethodKind: MethodKind.ReducedExtension }));

    /// <summary>A nullable value type's underlying type (what <c>?.</c> reaches).</summary>
    private static ITypeSymbol? Underlying(ITypeSymbol? type) =>
        type is INamedTypeSymbol { OriginalDefinition.SpecialType: SpecialType.System_Nullable_T } nullable ? nullable.TypeArguments[0] : type;

    /// <summary>Symbols' names as code writes them: an attribute also by its name without "Attribute".</summary>
    private static IEnumerable<string> Named(IEnumerable<ISymbol> symbols)
    {
        foreach (var symbol in symbols)
        {
            if (!symbol.CanBeReferencedByName) continue;
            yield return symbol.Name;
            if (symbol is INamedTypeSymbol && symbol.Name.Length > "Attribute".Length && symbol.Name.EndsWith("Attribute", StringComparison.Ordinal))
                yield return symbol.Name[..^"Attribute".Length];
        }
    }

    /// <summary>
    /// Tokens after which an expression, a statement or a member may start (never a name being declared): statement
    /// and block boundaries, open brackets and separators, operators, and the keywords that take an expression.
    /// </summary>
    private static bool StartsExpression(SyntaxToken previous) => (SyntaxKind)previous.RawKind switch
    {
        SyntaxKind.SemicolonToken or SyntaxKind.OpenBraceToken or SyntaxKind.CloseBraceToken or SyntaxKind.OpenParenToken or
        SyntaxKind.CloseParenToken or SyntaxKind.OpenBracketToken or SyntaxKind.CommaToken or SyntaxKind.ColonToken or
        SyntaxKind.EqualsGreaterThanToken or SyntaxKind.QuestionToken or SyntaxKind.QuestionQuestionToken or
        SyntaxKind.ExclamationToken or SyntaxKind.AmpersandAmpersandToken or SyntaxKind.BarBarToken or SyntaxKind.LessThanToken or
        SyntaxKind.ReturnKeyword or SyntaxKind.ThrowKeyword or SyntaxKind.AwaitKeyword or SyntaxKind.CaseKeyword or
        SyntaxKind.ElseKeyword or SyntaxKind.DoKeyword or SyntaxKind.InKeyword or SyntaxKind.IsKeyword or SyntaxKind.AsKeyword or
        SyntaxKind.OutKeyword or SyntaxKind.RefKeyword or SyntaxKind.YieldKeyword => true,
        var kind => SyntaxFacts.IsAssignmentExpressionOperatorToken(kind) || SyntaxFacts.IsBinaryExpressionOperatorToken(kind),
    };

    /// <summary>
    /// Tokens after which a statement or a member may start, not only an expression: the end of a statement or block, a
    /// block's or a type's opening brace, a control statement's closing parenthesis, else and do, a switch label.
    /// </summary>
    private static bool StartsStatement(SyntaxToken previous) => (SyntaxKind)previous.RawKind switch
    {
        SyntaxKind.SemicolonToken => previous.Parent is not ForStatementSyntax,
        SyntaxKind.OpenBraceToken => previous.Parent is BlockSyntax or BaseTypeDeclarationSyntax or NamespaceDeclarationSyntax or SwitchStatementSyntax,
        SyntaxKind.CloseBraceToken => previous.Parent is BlockSyntax or BaseTypeDeclarationSyntax or NamespaceDeclarationSyntax or SwitchStatementSyntax,
        SyntaxKind.CloseParenToken => previous.Parent is IfStatementSyntax or WhileStatementSyntax or ForStatementSyntax or CommonForEachStatementSyntax
            or UsingStatementSyntax or LockStatementSyntax or FixedStatementSyntax,
        SyntaxKind.ColonToken => previous.Parent is SwitchLabelSyntax or LabeledStatementSyntax,
        SyntaxKind.ElseKeyword or SyntaxKind.DoKeyword => true,
        _ => false,
    };

    private static bool InCommentOrText(SyntaxNode root, int offset)
    {
        var trivia = root.FindTrivia(Math.Max(0, offset - 1));
        if (trivia.IsKind(SyntaxKind.SingleLineCommentTrivia) || trivia.IsKind(SyntaxKind.MultiLineCommentTrivia) ||
            trivia.IsKind(SyntaxKind.SingleLineDocumentationCommentTrivia) || trivia.IsKind(SyntaxKind.MultiLineDocumentationCommentTrivia) ||
            trivia.IsKind(SyntaxKind.DisabledTextTrivia))
            return offset > trivia.SpanStart && offset <= trivia.Span.End;
        var token = root.FindToken(Math.Max(0, offset - 1));
        var insideLiteral = offset > token.SpanStart && offset < token.Span.End || offset == token.Span.End && !LiteralClosed(token);
        return insideLiteral && (token.IsKind(SyntaxKind.StringLiteralToken) || token.IsKind(SyntaxKind.CharacterLiteralToken) ||
                                 token.IsKind(SyntaxKind.InterpolatedStringTextToken) || token.IsKind(SyntaxKind.SingleLineRawStringLiteralToken) ||
                                 token.IsKind(SyntaxKind.MultiLineRawStringLiteralToken) || token.IsKind(SyntaxKind.Utf8StringLiteralToken));
    }

    /// <summary>Whether a literal's text ends with its closing quote (a literal cut at the cursor does not).</summary>
    private static bool LiteralClosed(SyntaxToken token) => token.Text.Length >= 2 && token.Text[^1] is '"' or '\'' && !token.IsMissing;

    private static bool IsWordStart(char c) => char.IsLetter(c) || c == '_';

    private static bool IsWordPart(char c) => char.IsLetterOrDigit(c) || c == '_';
}
