using System.Text.Json;
using System.Text.Json.Serialization;

namespace Atlas.Lsp.Protocol;

// The parts of LSP 3.17/3.18 Atlas speaks, as plain records. Names follow the specification (camelCase on the
// wire through the serializer's naming policy); optional fields are nullable and left out when null.

// Required on the wire: a position without its line or character read as 0:0 and was served, and a document
// identifier without its uri failed deep in the handler (-32000); both are Invalid params.
public sealed record Position([property: JsonRequired] int Line, [property: JsonRequired] int Character);

public sealed record Range(Position Start, Position End);

public sealed record TextDocumentIdentifier([property: JsonRequired] string Uri);

public sealed record VersionedTextDocumentIdentifier(string Uri, int Version);

public sealed record TextDocumentItem(string Uri, string LanguageId, int Version, string Text);

public sealed record DidOpenTextDocumentParams([property: JsonRequired] TextDocumentItem TextDocument);

public sealed record TextDocumentContentChangeEvent(Range? Range, string Text);

public sealed record DidChangeTextDocumentParams([property: JsonRequired] VersionedTextDocumentIdentifier TextDocument, [property: JsonRequired] TextDocumentContentChangeEvent[] ContentChanges);

public sealed record DidCloseTextDocumentParams([property: JsonRequired] TextDocumentIdentifier TextDocument);

public sealed record DidSaveTextDocumentParams(TextDocumentIdentifier TextDocument, string? Text);

public sealed record TextDocumentPositionParams(TextDocumentIdentifier TextDocument, Position Position);

public sealed record InlineCompletionParams([property: JsonRequired] TextDocumentIdentifier TextDocument, [property: JsonRequired] Position Position, JsonElement? Context);

public sealed record InlineCompletionItem(string InsertText, Range? Range = null, string? FilterText = null, Command? Command = null);

/// <summary>A command a client runs for the server (here: the one an item carries, run when the user accepts it).</summary>
public sealed record Command(string Title, [property: JsonPropertyName("command")] string Name, JsonElement[]? Arguments = null);

public sealed record ExecuteCommandParams([property: JsonRequired] string Command, JsonElement[]? Arguments);

public sealed record ExecuteCommandOptions(string[] Commands);

/// <summary>Copilot's textDocument/didShowCompletion: the client shows this item (as it was sent).</summary>
public sealed record DidShowCompletionParams([property: JsonRequired] JsonElement Item);

/// <summary>Copilot's textDocument/didPartiallyAcceptCompletion: the user took the first acceptedLength characters of the item.</summary>
public sealed record DidPartiallyAcceptCompletionParams([property: JsonRequired] JsonElement Item, [property: JsonRequired] int AcceptedLength);

public sealed record InlineCompletionList(InlineCompletionItem[] Items);

public sealed record CompletionParams([property: JsonRequired] TextDocumentIdentifier TextDocument, [property: JsonRequired] Position Position, JsonElement? Context);

public sealed record TextEdit(Range Range, string NewText);

public sealed record CompletionItem(
    string Label,
    int Kind,
    string Detail,
    string SortText,
    string FilterText,
    string InsertText,
    int InsertTextFormat,
    TextEdit TextEdit,
    bool Preselect,
    MarkupContent? Documentation,
    Command? Command = null);

public sealed record MarkupContent(string Kind, string Value);

public sealed record CompletionList(bool IsIncomplete, CompletionItem[] Items);

public sealed record Diagnostic(Range Range, string Message, JsonElement? Code = null, string? Source = null, int? Severity = null);

public sealed record CodeActionContext(Diagnostic[] Diagnostics, string[]? Only);

public sealed record CodeActionParams([property: JsonRequired] TextDocumentIdentifier TextDocument, [property: JsonRequired] Range Range, [property: JsonRequired] CodeActionContext Context);

public sealed record OptionalVersionedTextDocumentIdentifier(string Uri, int? Version);

public sealed record TextDocumentEdit(OptionalVersionedTextDocumentIdentifier TextDocument, TextEdit[] Edits);

public sealed record WorkspaceEdit(TextDocumentEdit[] DocumentChanges);

public sealed record CodeAction(string Title, string Kind, Diagnostic[]? Diagnostics, WorkspaceEdit? Edit, JsonElement? Data, CodeActionDisabled? Disabled = null, bool? IsPreferred = null);

public sealed record CodeActionDisabled(string Reason);

public sealed record ShowMessageParams(int Type, string Message);

public sealed record ShowMessageRequestParams(int Type, string Message, MessageActionItem[] Actions);

public sealed record MessageActionItem(string Title);

public sealed record LogMessageParams(int Type, string Message);

public sealed record WorkDoneProgressCreateParams(string Token);

public sealed record ProgressParams(string Token, object Value);

public sealed record DidChangeConfigurationParams(JsonElement? Settings);

public sealed record FileEvent(string Uri, int Type);

public sealed record DidChangeWatchedFilesParams(FileEvent[] Changes);

public sealed record InitializeParams(int? ProcessId, JsonElement? Capabilities, JsonElement? InitializationOptions, JsonElement? WorkspaceFolders, string? RootUri, JsonElement? ClientInfo);

public sealed record InitializeResult(ServerCapabilities Capabilities, ServerInfo ServerInfo);

public sealed record ServerInfo(string Name, string Version);

public sealed record ServerCapabilities(
    TextDocumentSyncOptions TextDocumentSync,
    object InlineCompletionProvider,
    CompletionOptions CompletionProvider,
    CodeActionOptions? CodeActionProvider,
    ExecuteCommandOptions? ExecuteCommandProvider = null);

public sealed record TextDocumentSyncOptions(bool OpenClose, int Change, SaveOptions Save);

public sealed record SaveOptions(bool IncludeText);

public sealed record CompletionOptions(string[] TriggerCharacters, bool ResolveProvider);

public sealed record CodeActionOptions(string[] CodeActionKinds, bool ResolveProvider);

/// <summary>Numbers the specification fixes.</summary>
public static class Spec
{
    public const int SyncIncremental = 2;
    public const int CompletionKindText = 1;
    /// <summary>InlineCompletionTriggerKind.Invoked: the user asked for a suggestion (Automatic is 2).</summary>
    public const int InlineTriggerInvoked = 1;
    public const int InsertTextPlain = 1;
    public const int MessageError = 1;
    public const int MessageWarning = 2;
    public const int MessageInfo = 3;
    public const int MessageLog = 4;

    /// <summary>The serializer settings for everything on the wire.</summary>
    public static JsonSerializerOptions Json { get; } = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };
}
