using System.CommandLine;
using System.Text.Json;
using Atlas.Documents;
using Atlas.Engine;
using Atlas.Lsp.Logging;

namespace Atlas.Lsp.Cli;

/// <summary>`atlas-lsp complete`: one completion at a file position, printed with its timing breakdown.</summary>
internal static class CompleteCommand
{
    public static Command Create()
    {
        var engine = new EngineOptions();
        var at = new PositionOptions();
        var maxTokens = new Option<int>("--max-tokens") { DefaultValueFactory = _ => CompletionRequest.DefaultMaxTokens, Description = "Cap on generated tokens." };
        var singleLine = new Option<bool>("--single-line") { Description = "Stop at the end of the line." };
        Rules.Keep(maxTokens, Server.AtlasSettings.Positive);
        var json = new Option<bool>("--json") { Description = "Print one JSON object instead of text." };
        var command = new Command("complete", "Print the completion at a position in a file, and where the time went.");
        engine.AddTo(command);
        at.AddTo(command);
        command.Options.Add(maxTokens);
        command.Options.Add(singleLine);
        command.Options.Add(json);
        command.SetAction((result, cancellationToken) => CommandErrors.Guard(async () =>
        {
            var (document, position) = await at.ReadAsync(result, cancellationToken);
            var offset = document.OffsetAt(position);

            using var logging = StderrLogging.Create();
            using var loaded = await CompletionEngine.LoadAsync(engine.Read(result), logging.CreateLogger("engine"), cancellationToken: cancellationToken);
            var completion = await loaded.CompleteAsync(new CompletionRequest
            {
                Prefix = document.Text[..offset],
                Suffix = document.Text[offset..],
                MaxTokens = result.GetValue(maxTokens),
                SingleLine = result.GetValue(singleLine),
            }, cancellationToken);

            if (result.GetValue(json))
            {
                var info = loaded.Info;
                Console.WriteLine(JsonSerializer.Serialize(new
                {
                    text = completion.Text,
                    stopReason = completion.StopReason.ToString(),
                    model = info.ModelName,
                    fimFamily = info.Family.ToString(),
                    kvCache = info.KvCache.ToString(),
                    timings = completion.Timings,
                }, JsonOptions));
            }
            else
            {
                Console.WriteLine(completion.Text);
                Console.Error.WriteLine($"[{completion.StopReason}] {completion.Timings}");
            }
            return 0;
        }));
        return command;
    }

    private static readonly JsonSerializerOptions JsonOptions = new() { PropertyNamingPolicy = JsonNamingPolicy.CamelCase };
}
