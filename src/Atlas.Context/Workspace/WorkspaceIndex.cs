using System.Collections.Concurrent;
using Atlas.Documents;
using Microsoft.Extensions.Logging;

namespace Atlas.Context.Workspace;

/// <summary>An indexed source file: its path relative to its workspace folder, and its text.</summary>
public sealed record SourceFile(string Path, string RelativePath, string Language, string Text);

/// <summary>
/// The workspace's source files, indexed in the background and kept current from the editor: open documents
/// override what is on disk, saves and file-watch events re-read, deletions drop. Skips what git ignores, binaries,
/// build outputs and files over <see cref="MaxFileBytes"/>. Readers never wait: they see what is indexed so far.
/// </summary>
public sealed class WorkspaceIndex(ILogger logger)
{
    /// <summary>Files larger than this are not indexed (generated code, data, minified bundles).</summary>
    public const int MaxFileBytes = 512 * 1024;

    private readonly ConcurrentDictionary<string, SourceFile> _files = new(StringComparer.Ordinal);
    private readonly List<string> _roots = [];
    private int _version;

    /// <summary>Raised when a file is added, changed or removed (after the index is updated).</summary>
    public event Action<SourceFile?, string>? FileChanged;

    /// <summary>Bumped on every change; context caches key on it.</summary>
    public int Version => Volatile.Read(ref _version);

    public IReadOnlyList<string> Roots { get { lock (_roots) return [.. _roots]; } }

    /// <summary>Completes when the initial walk of every folder is done.</summary>
    public Task Ready { get; private set; } = Task.CompletedTask;

    public IEnumerable<SourceFile> Files => _files.Values;

    public SourceFile? Get(string path) => _files.TryGetValue(Normalize(path), out var f) ? f : null;

    /// <summary>Starts indexing the folders in the background.</summary>
    public Task IndexAsync(IEnumerable<string> folders, CancellationToken cancellationToken = default)
    {
        var list = folders.Select(Path.GetFullPath).Where(Directory.Exists).Distinct().ToList();
        lock (_roots) _roots.AddRange(list);
        Ready = Task.Run(() =>
        {
            foreach (var folder in list) Walk(folder, folder, [], cancellationToken);
            if (list.Count == 0) logger.LogInformation("No workspace folder to index: context comes from the open files");
            else logger.LogInformation("Indexed {Count} files in {Folders}", _files.Count, string.Join(", ", list));
        }, cancellationToken);
        return Ready;
    }

    /// <summary>An open or edited document: its text replaces the file's on disk.</summary>
    public void Update(TextDocument document)
    {
        if (!TryLocalPath(document.Uri, out var path)) return;
        Put(path, document.Text, SourceLanguage.Of(path, document.LanguageId));
    }

    /// <summary>A file changed or was created on disk (didSave, didChangeWatchedFiles).</summary>
    public void Refresh(string uriOrPath)
    {
        var path = TryLocalPath(uriOrPath, out var p) ? p : uriOrPath;
        if (!File.Exists(path)) { Remove(path); return; }
        if (Read(path) is { } text) Put(path, text, SourceLanguage.Of(path));
    }

    public void Remove(string uriOrPath)
    {
        var path = TryLocalPath(uriOrPath, out var p) ? p : uriOrPath;
        if (_files.TryRemove(Normalize(path), out _))
        {
            Interlocked.Increment(ref _version);
            FileChanged?.Invoke(null, Normalize(path));
        }
    }

    /// <summary>The workspace-relative path of a file (its absolute path when it is outside every folder).</summary>
    public string Relative(string path)
    {
        path = Normalize(path);
        foreach (var root in Roots)
            if (path.StartsWith(root + "/", StringComparison.Ordinal)) return path[(root.Length + 1)..];
        return path;
    }

    public static bool TryLocalPath(string uriOrPath, out string path)
    {
        if (Uri.TryCreate(uriOrPath, UriKind.Absolute, out var uri) && uri.IsFile)
        {
            path = Normalize(uri.LocalPath);
            return true;
        }
        path = uriOrPath;
        return Path.IsPathRooted(uriOrPath);
    }

    private void Put(string path, string text, string language)
    {
        path = Normalize(path);
        var file = new SourceFile(path, Relative(path), language, text);
        _files[path] = file;
        Interlocked.Increment(ref _version);
        FileChanged?.Invoke(file, path);
    }

    private void Walk(string root, string folder, List<IgnoreRules> inherited, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var rules = inherited;
        var gitignore = Path.Combine(folder, ".gitignore");
        if (File.Exists(gitignore))
            rules = [.. inherited, IgnoreRules.Parse(File.ReadAllText(gitignore))];
        IEnumerable<string> entries;
        try
        {
            entries = Directory.EnumerateFileSystemEntries(folder).ToList();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return;
        }
        foreach (var entry in entries)
        {
            var name = Path.GetFileName(entry);
            var isFolder = Directory.Exists(entry);
            if (isFolder && IgnoreRules.AlwaysSkipped.Contains(name)) continue;
            var relative = Normalize(Path.GetRelativePath(root, entry));
            if (Ignored(rules, relative, isFolder)) continue;
            if (isFolder)
            {
                if ((File.GetAttributes(entry) & FileAttributes.ReparsePoint) == 0) Walk(root, entry, rules, cancellationToken);
            }
            else if (!_files.ContainsKey(Normalize(entry)) && Read(entry) is { } text)
            {
                // An open document may have arrived first; it wins over the disk.
                _files.TryAdd(Normalize(entry), new SourceFile(Normalize(entry), relative, SourceLanguage.Of(entry), text));
                Interlocked.Increment(ref _version);
            }
        }
    }

    private static bool Ignored(List<IgnoreRules> rules, string relative, bool isFolder)
    {
        // Nested .gitignore files see paths from the repository root here; their own patterns are mostly unanchored.
        for (var i = rules.Count - 1; i >= 0; i--)
            if (rules[i].IsIgnored(relative, isFolder) is { } verdict) return verdict;
        return false;
    }

    /// <summary>The file's text, or null for binaries and files too large to be worth indexing.</summary>
    private static string? Read(string path)
    {
        try
        {
            var info = new FileInfo(path);
            if (info.Length > MaxFileBytes) return null;
            var bytes = File.ReadAllBytes(path);
            if (bytes.AsSpan(0, Math.Min(bytes.Length, 8000)).Contains((byte)0)) return null;
            return System.Text.Encoding.UTF8.GetString(bytes);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static string Normalize(string path) => path.Replace('\\', '/').TrimEnd('/');
}
