using Atlas.Engine;

namespace Atlas.Lsp.Cli;

/// <summary>A mistake in what the user asked for: printed as one line, no stack trace.</summary>
internal sealed class UserError(string message) : Exception(message);

internal static class CommandErrors
{
    /// <summary>
    /// Runs a command and turns the errors a person can fix (bad model file, bad arguments) into one line on
    /// stderr and exit code 1, keeping stack traces for real bugs.
    /// </summary>
    public static async Task<int> Guard(Func<Task<int>> action)
    {
        try
        {
            return await action();
        }
        catch (Exception e) when (e is ModelLoadException or UserError or ArgumentException)
        {
            Console.Error.WriteLine($"atlas-lsp: {e.Message}");
            return 1;
        }
        catch (OperationCanceledException)
        {
            Console.Error.WriteLine("atlas-lsp: cancelled.");
            return 130;
        }
    }
}
