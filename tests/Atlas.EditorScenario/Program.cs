using System.Text.Json;

namespace Atlas.EditorScenario;

/// <summary>
/// The scenario for tests outside .NET (the VS Code test, in node):
/// <c>scenario</c> prints it as one JSON line; <c>check --file SAVED --suggestion TEXT</c> checks a suggestion an
/// editor accepted into a saved copy of the file, printing each problem and exiting 1 if there is any.
/// </summary>
internal static class Program
{
    public static int Main(string[] args)
    {
        switch (args)
        {
            case ["scenario"]:
                Console.WriteLine(JsonSerializer.Serialize(new
                {
                    repository = MemberAccessScenario.Repository,
                    file = MemberAccessScenario.File,
                    afterLine = MemberAccessScenario.AfterLine,
                    typed = MemberAccessScenario.Typed,
                    members = MemberAccessScenario.Members.Order(),
                }));
                return 0;
            case ["check", "--file", var file, "--suggestion", var suggestion]:
                var problems = MemberAccessScenario.CheckSaved(File.ReadAllText(file), suggestion);
                foreach (var problem in problems) Console.WriteLine(problem);
                if (problems.Count == 0) Console.WriteLine($"{JsonSerializer.Serialize(suggestion)} names a member of {MemberAccessScenario.ReceiverType} and adds no syntax error");
                return problems.Count == 0 ? 0 : 1;
            default:
                Console.Error.WriteLine("usage: Atlas.EditorScenario scenario | check --file SAVED --suggestion TEXT");
                return 2;
        }
    }
}
