using System.Text.Json;
using System.Text.Json.Nodes;
using Atlas.EditorScenario;
using Atlas.TestModels;

namespace Atlas.Lsp.Tests;

/// <summary>`bench quality` on the trained model: both forms run cases through the server and print every figure.</summary>
public sealed class QualityBenchTests
{
    private static string Model => SharedModels.Find(SharedModels.CSharpTarget);

    /// <summary>A cases file in ../shared/eval's format: the sample repository, one line of its service hidden after a dot.</summary>
    private static string CasesFile()
    {
        var files = Directory.GetFiles(MemberAccessScenario.Repository, "*.cs", SearchOption.AllDirectories)
            .Select(f => new { path = Path.GetRelativePath(MemberAccessScenario.Repository, f).Replace('\\', '/'), text = File.ReadAllText(f) })
            .ToList();
        var service = files.Single(f => f.path.EndsWith("LibraryService.cs", StringComparison.Ordinal));
        var lines = service.text.Split('\n').ToList();
        var line = lines.FindIndex(l => l.Contains("return book", StringComparison.Ordinal));
        const string statement = "        var book = await _bookRepository.FindBookAsync(isbn);";
        lines.Insert(line, statement);
        files[files.IndexOf(service)] = new { service.path, text = string.Join('\n', lines) };
        var character = statement.IndexOf('.') + 1;
        var path = Path.Combine(Path.GetTempPath(), $"atlas-cases-{Guid.NewGuid():N}.jsonl");
        var one = new { id = "shelf:1", repo = "shelf", files, file = service.path, line, character, expected = statement[character..], kind = "cross-file" };
        var another = one with { id = "shelf:2", character = 8, expected = statement[8..], kind = "statement" };
        File.WriteAllLines(path, [JsonSerializer.Serialize(one), JsonSerializer.Serialize(another)]);
        return path;
    }

    [Fact]
    public async Task Cases_from_a_file_are_answered_with_context_and_without_and_written_as_json()
    {
        var json = Path.Combine(Path.GetTempPath(), $"atlas-quality-{Guid.NewGuid():N}.json");
        var (code, output, error) = await CliTests.Run("bench", "quality", "--model", Model, "--cases", CasesFile(), "--json", json);

        Assert.True(code == 0, error);
        Assert.Contains("with repository context", output);
        Assert.Contains("file only (contextShare 0)", output);
        Assert.Contains("lift (repository context − file only)", output);
        Assert.Matches(@"multi-line filters on the same 2 answers .* agree with the server.s answers in 2", output);
        Assert.Matches(@"cross-file\s+1\s+\d", output);
        Assert.Contains("[   4/4]", error); // progress on stderr: two cases, two ways each

        var cases = JsonNode.Parse(File.ReadAllText(json))!.AsArray();
        Assert.Equal(2, cases.Count);
        foreach (var item in cases)
        {
            foreach (var way in new[] { "repository", "fileOnly" })
            {
                var answer = item![way]!;
                Assert.True((double)answer["latencyMs"]! > 0);
                Assert.True((int)answer["promptTokens"]! > 0, "the model was asked");
                Assert.Equal((string?)answer["text"] is { } text && text.Split('\n')[0].TrimEnd() == ((string)item["expected"]!).TrimEnd(), (bool)answer["exact"]!);
            }
        }
        // The file-only prompt is the shorter: it carries no declarations from the other files.
        Assert.True((int)cases[0]!["fileOnly"]!["promptTokens"]! < (int)cases[0]!["repository"]!["promptTokens"]!);
    }

    [Fact]
    public async Task Candidates_are_asked_for_as_an_explicit_request_and_the_orderings_effect_reported()
    {
        var json = Path.Combine(Path.GetTempPath(), $"atlas-quality-{Guid.NewGuid():N}.json");
        var (code, output, error) = await CliTests.Run("bench", "quality", "--model", Model, "--cases", CasesFile(), "--modes", "repository", "--candidates", "3", "--json", json);

        Assert.True(code == 0, error);
        Assert.Matches(@"candidates: first exact \d/2, greedy alone exact \d/2, any exact \d/2; ordering changed the first \d/2", output);
        foreach (var item in JsonNode.Parse(File.ReadAllText(json))!.AsArray())
        {
            var answer = item!["repository"]!;
            var shown = answer["candidates"]!.AsArray().Select(c => (string)c!).ToList();
            Assert.InRange(shown.Count, 0, 3);
            Assert.Equal(shown.Count, shown.Distinct().Count());
            Assert.Equal(shown.FirstOrDefault(), (string?)answer["text"]);
            // The greedy answer, when shown, is first unless the ordering moved another candidate before it.
            if ((string?)answer["greedy"] is { } greedy) Assert.Equal((bool)answer["reordered"]!, greedy != shown[0]);
        }

        var (_, _, refused) = await CliTests.Run("bench", "quality", "--model", Model, "--cases", CasesFile(), "--candidates", "1000");
        Assert.Contains("--candidates must be at most", refused);
    }

    [Fact]
    public async Task Cases_are_made_from_a_workspace_at_the_cursors_an_editor_asks_at()
    {
        var (code, output, error) = await CliTests.Run("bench", "quality", "--model", Model, "--workspace", MemberAccessScenario.Repository, "--cases", "3", "--modes", "repository");

        Assert.True(code == 0, error);
        Assert.Contains("3 cases", output);
        foreach (var kind in new[] { "member-access", "statement", "identifier" }) Assert.Contains(kind, output);
        Assert.DoesNotContain("file only", output);
    }

    [Theory]
    [InlineData("not json\n", "not a case")]
    [InlineData("{\"id\":\"x\"}\n", "a case needs files")]
    public async Task A_bad_cases_file_is_one_clear_line(string content, string expected)
    {
        var path = Path.Combine(Path.GetTempPath(), $"atlas-bad-cases-{Guid.NewGuid():N}.jsonl");
        await File.WriteAllTextAsync(path, content);
        var (code, _, error) = await CliTests.Run("bench", "quality", "--model", Model, "--cases", path);
        Assert.Equal(1, code);
        Assert.Contains(expected, error);
        Assert.DoesNotContain("   at ", error);
    }
}
