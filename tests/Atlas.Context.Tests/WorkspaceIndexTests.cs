using Atlas.Context.Workspace;
using Microsoft.Extensions.Logging.Abstractions;

namespace Atlas.Context.Tests;

/// <summary>Indexing respects .gitignore and skips build outputs, binaries and large files.</summary>
public sealed class WorkspaceIndexTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("atlas-index-").FullName;

    private void Write(string relative, string text)
    {
        var path = Path.Combine(_root, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
    }

    [Fact]
    public async Task Only_source_files_git_would_track_are_indexed()
    {
        Write(".gitignore", "# ignore\n*.log\n/secrets/\nbuild-*\n!build-keep.txt\n");
        Write("src/a.cs", "class A {}");
        Write("src/deep/b.py", "x = 1");
        Write("app.log", "noise");
        Write("secrets/key.cs", "class Key {}");
        Write("build-output.txt", "noise");
        Write("build-keep.txt", "kept");
        Write("bin/Debug/out.cs", "class Out {}");
        Write("node_modules/lib/index.js", "module.exports = 1");
        Write("src/nested/.gitignore", "local.cs\n");
        Write("src/nested/local.cs", "class Local {}");
        Write("src/nested/shared.cs", "class Shared {}");
        Write("big.txt", new string('x', WorkspaceIndex.MaxFileBytes + 1));
        File.WriteAllBytes(Path.Combine(_root, "image.png"), [0x89, 0x50, 0x4E, 0x47, 0x00, 0x01]);

        var index = new WorkspaceIndex(NullLogger.Instance);
        await index.IndexAsync([_root]);

        Assert.Equal(new[] { "build-keep.txt", "src/a.cs", "src/deep/b.py", "src/nested/.gitignore", "src/nested/shared.cs", ".gitignore" }.Order(), index.Files.Select(f => f.RelativePath).Order());
    }

    [Fact]
    public async Task Open_documents_override_the_disk_and_watched_changes_update_the_index()
    {
        Write("a.py", "x = 1");
        var index = new WorkspaceIndex(NullLogger.Instance);
        await index.IndexAsync([_root]);
        var uri = new Uri(Path.Combine(_root, "a.py")).AbsoluteUri;

        index.Update(new Atlas.Documents.TextDocument(uri, "python", 2, "x = 2"));
        Assert.Equal("x = 2", index.Get(Path.Combine(_root, "a.py"))!.Text);

        Write("b.py", "y = 1");
        index.Refresh(new Uri(Path.Combine(_root, "b.py")).AbsoluteUri);
        Assert.NotNull(index.Get(Path.Combine(_root, "b.py")));
        File.Delete(Path.Combine(_root, "b.py"));
        index.Refresh(new Uri(Path.Combine(_root, "b.py")).AbsoluteUri);
        Assert.Null(index.Get(Path.Combine(_root, "b.py")));
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);
}
