namespace Atlas.TestModels.Tests;

/// <summary>Tests that change process-wide environment variables run alone, so no other test sees the change.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class EnvironmentCollection
{
    public const string Name = "Process environment";
}

[Collection(EnvironmentCollection.Name)]
public sealed class SharedModelsTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("atlas-shared-models-tests-").FullName;

    [Fact]
    public void The_donor_is_found_by_walking_up_from_the_test_binaries()
    {
        var found = SharedModels.Find(SharedModels.TinyLlama);

        Assert.True(File.Exists(found));
        Assert.EndsWith(Path.Combine("shared", "models", SharedModels.TinyLlama), found);
        var error = Assert.Throws<FileNotFoundException>(() => SharedModels.Find("no-such-model.gguf"));
        Assert.Contains(SharedModels.EnvironmentVariable, error.Message);
    }

    [Fact]
    public void The_environment_variable_names_the_models_folder_and_wins()
    {
        var copy = Path.Combine(_dir, SharedModels.TinyLlama);
        File.Copy(SharedModels.Find(SharedModels.TinyLlama), copy);
        var before = Environment.GetEnvironmentVariable(SharedModels.EnvironmentVariable);
        try
        {
            Environment.SetEnvironmentVariable(SharedModels.EnvironmentVariable, _dir);
            Assert.Equal(copy, SharedModels.Find(SharedModels.TinyLlama));
            // A setting that points at the wrong folder is reported, not silently replaced by the search.
            var error = Assert.Throws<FileNotFoundException>(() => SharedModels.Find("no-such-model.gguf"));
            Assert.Contains(_dir, error.Message);
        }
        finally
        {
            Environment.SetEnvironmentVariable(SharedModels.EnvironmentVariable, before);
        }
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
