using System.CommandLine;
using Atlas.Context;
using Atlas.Documents;
using Atlas.Engine;
using Atlas.Lsp.Logging;
using Microsoft.Extensions.Logging;

namespace Atlas.Lsp.Cli;

/// <summary>
/// `atlas-lsp prompt`: the exact prompt a completion at a position would send, each piece labelled, for people who
/// want to see why a suggestion came out as it did.
/// </summary>
internal static class PromptCommand
{
    public static Command Create()
    {
        var engine = new EngineOptions();
        var workspace = new Option<DirectoryInfo>("--workspace") { Description = "The repository folder (indexed as an editor's workspace would be).", Required = true };
        var at = new PositionOptions();
        var maxTokens = new Option<int>("--max-tokens") { DefaultValueFactory = _ => CompletionRequest.DefaultMaxTokens, Description = "Room left for the answer." };
        var command = new Command("prompt", "Print the exact prompt a completion at a position would send, piece by piece.");
        engine.AddTo(command);
        command.Options.Add(workspace);
        at.AddTo(command);
        command.Options.Add(maxTokens);
        command.SetAction((result, cancellationToken) => CommandErrors.Guard(async () =>
        {
            var folder = result.GetValue(workspace)!;
            if (!folder.Exists) throw new UserError($"Workspace folder not found: '{folder.FullName}'.");
            var (document, position) = await at.ReadAsync(result, cancellationToken);

            using var logging = StderrLogging.Create(LogLevel.Warning);
            using var loaded = await CompletionEngine.LoadAsync(engine.Read(result), logging.CreateLogger("engine"), cancellationToken: cancellationToken);
            var repository = new RepositoryWorkspace(logging.CreateLogger("context"));
            await repository.IndexAsync([folder.FullName]);
            var room = result.GetValue(maxTokens);
            repository.UseModel(loaded.Model.CountTokens, new Atlas.Context.Budget.ContextBudget { TotalTokens = loaded.Info.ContextSize - room });
            repository.Opened(document);
            var pieces = await repository.Prompts.BuildAsync(document, document.OffsetAt(position), cancellationToken);
            var request = new CompletionRequest
            {
                Prefix = pieces.Prefix, Suffix = pieces.Suffix, Context = pieces.Context, FilePath = pieces.FilePath,
                RepositoryName = pieces.RepositoryName, CommentMarker = pieces.CommentMarker, MaxTokens = room,
            };
            var prompt = loaded.BuildPrompt(request);
            var count = loaded.Model.CountTokens;
            var budget = repository.Prompts.Budget;

            Console.WriteLine($"=== file {pieces.FilePath} at {position}; model {loaded.Info.ModelName}, FIM {prompt.Family}; budget {budget.TotalTokens} tokens (prefix {budget.PrefixTokens}, suffix {budget.SuffixTokens}, context {budget.ContextTokens})");
            for (var i = 0; i < pieces.Context.Count; i++)
                Console.WriteLine($"=== context {i + 1}: {pieces.Context[i].Path} ({count(pieces.Context[i].Text)} tokens)\n{pieces.Context[i].Text.TrimEnd()}");
            Console.WriteLine($"=== prefix ({count(pieces.Prefix)} tokens)\n{pieces.Prefix}");
            Console.WriteLine($"=== suffix ({count(pieces.Suffix)} tokens)\n{pieces.Suffix}");
            Console.WriteLine($"=== exact prompt ({prompt.Tokens.Count} tokens{(prompt.Truncated ? ", cut to fit" : "")}; {prompt.ContextFiles} context sections)\n{prompt.Rendered}");
            return 0;
        }));
        return command;
    }
}
