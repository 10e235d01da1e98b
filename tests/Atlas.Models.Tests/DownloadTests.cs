using System.Text.Json;

namespace Atlas.Models.Tests;

/// <summary>`models pull` semantics against a hub on 127.0.0.1: nothing here reaches the internet.</summary>
public sealed class DownloadTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("atlas-models-").FullName;
    private static readonly byte[] Payload = [.. "GGUF"u8, .. Enumerable.Range(0, 3_000_000).Select(i => (byte)(i * 31 % 251))];
    private static readonly CatalogModel Model = new("test-model", "org/model-GGUF", "model-q8_0.gguf", "main", "Q8_0", Payload.Length, "Qwen", 8192, "q8_0", null);

    private HubDownloader Downloader(FakeHub hub, Func<string, Stream>? open = null)
    {
        var http = HubDownloader.NewHttpClient();
        return open is null
            ? new HubDownloader(http, new ModelCache(_dir)) { Endpoint = hub.Endpoint, Token = null }
            : new HubDownloader(http, new ModelCache(_dir)) { Endpoint = hub.Endpoint, Token = null, OpenPartial = open };
    }

    private sealed class Collect : IProgress<DownloadProgress>
    {
        public List<DownloadProgress> Reports { get; } = [];
        public void Report(DownloadProgress value) => Reports.Add(value);
    }

    [Fact]
    public async Task A_full_download_is_verified_and_renamed_into_place_with_monotone_progress()
    {
        using var hub = new FakeHub(Payload);
        var progress = new Collect();
        var path = await Downloader(hub).PullAsync(Model, progress, CancellationToken.None);

        Assert.Equal(Payload, await File.ReadAllBytesAsync(path));
        Assert.False(File.Exists(path + ".partial"));
        Assert.Equal(Path.Combine(_dir, "org--model-GGUF", "model-q8_0.gguf"), path);
        Assert.True(progress.Reports.Zip(progress.Reports.Skip(1)).All(p => p.First.Bytes <= p.Second.Bytes));
        Assert.Equal(Payload.Length, progress.Reports[^1].Bytes);
        Assert.Equal(Payload.Length, progress.Reports[^1].Total);
    }

    [Fact]
    public async Task A_cut_connection_resumes_from_where_it_stopped()
    {
        using var hub = new FakeHub(Payload) { CutOnce = true };
        var downloader = Downloader(hub);
        var error = await Assert.ThrowsAsync<ModelDownloadException>(() => downloader.PullAsync(Model, null, CancellationToken.None));
        Assert.Contains("resume", error.Message);
        var partial = Path.Combine(_dir, "org--model-GGUF", "model-q8_0.gguf.partial");
        var kept = new FileInfo(partial).Length;
        Assert.InRange(kept, 1, Payload.Length - 1);

        var path = await downloader.PullAsync(Model, null, CancellationToken.None);
        Assert.Equal(Payload, await File.ReadAllBytesAsync(path));
        Assert.Equal($"bytes={kept}-", hub.RangesSeen[^1]);
    }

    [Fact]
    public async Task A_partial_file_that_is_already_whole_is_verified_and_moved_into_place_without_downloading_again()
    {
        using var hub = new FakeHub(Payload);
        var target = Path.Combine(_dir, "org--model-GGUF", "model-q8_0.gguf");
        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        await File.WriteAllBytesAsync(target + ".partial", Payload); // a pull stopped after its last byte, before the rename

        var path = await Downloader(hub).PullAsync(Model, null, CancellationToken.None);

        Assert.Equal(target, path);
        Assert.Equal(Payload, await File.ReadAllBytesAsync(path));
        Assert.Equal([$"bytes={Payload.Length}-"], hub.RangesSeen); // answered 416: no byte sent again
    }

    [Fact]
    public async Task A_partial_file_longer_than_the_hub_file_is_dropped_and_the_download_starts_over()
    {
        using var hub = new FakeHub(Payload);
        var target = Path.Combine(_dir, "org--model-GGUF", "model-q8_0.gguf");
        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        await File.WriteAllBytesAsync(target + ".partial", [.. Payload, .. new byte[1000]]);

        var path = await Downloader(hub).PullAsync(Model, null, CancellationToken.None);

        Assert.Equal(Payload, await File.ReadAllBytesAsync(path));
        Assert.Equal([$"bytes={Payload.Length + 1000}-", null], hub.RangesSeen);
    }

    [Fact]
    public async Task A_model_in_the_hugging_face_cache_is_used_from_there_without_a_request()
    {
        using var hub = new FakeHub(Payload);
        var hfHub = Path.Combine(_dir, "huggingface", "hub");
        var repo = Path.Combine(hfHub, "models--org--model-GGUF");
        const string commit = "0123456789abcdef0123456789abcdef01234567";
        Directory.CreateDirectory(Path.Combine(repo, "refs"));
        await File.WriteAllTextAsync(Path.Combine(repo, "refs", "main"), commit);
        var snapshot = Path.Combine(repo, "snapshots", commit, "model-q8_0.gguf");
        Directory.CreateDirectory(Path.GetDirectoryName(snapshot)!);
        await File.WriteAllBytesAsync(snapshot, Payload);
        var cache = new ModelCache(Path.Combine(_dir, "atlas"), hfHub);

        var downloader = new HubDownloader(HubDownloader.NewHttpClient(), cache) { Endpoint = hub.Endpoint, Token = null };
        Assert.Equal(snapshot, await downloader.PullAsync(Model, null, CancellationToken.None));
        Assert.Equal(snapshot, ModelReference.Resolve("test-model", new ModelCatalog([Model], []), cache));
        Assert.Empty(hub.Requests);
        Assert.False(Directory.Exists(Path.Combine(_dir, "atlas")));
    }

    [Fact]
    public async Task The_token_goes_to_the_hub_and_never_to_the_host_it_redirects_to()
    {
        using var hub = new FakeHub(Payload);
        var downloader = new HubDownloader(HubDownloader.NewHttpClient(), new ModelCache(_dir)) { Endpoint = hub.Endpoint, Token = "hf_secret" };
        await downloader.PullAsync(Model, null, CancellationToken.None);
        Assert.Equal([("/org/model-GGUF/resolve/main/model-q8_0.gguf", "Bearer hf_secret"), ("/cdn/model-q8_0.gguf", null)], hub.Requests);
    }

    [Fact]
    public async Task A_checksum_mismatch_is_refused_and_the_file_removed()
    {
        using var hub = new FakeHub(Payload) { AdvertisedSha256 = new string('0', 64) };
        var error = await Assert.ThrowsAsync<ModelDownloadException>(() => Downloader(hub).PullAsync(Model, null, CancellationToken.None));
        Assert.Contains("Checksum mismatch", error.Message);
        Assert.Empty(Directory.EnumerateFiles(_dir, "*", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task A_missing_file_is_reported_with_its_repository_and_name()
    {
        using var hub = new FakeHub(Payload);
        var missing = Model with { File = "nope.gguf" };
        var error = await Assert.ThrowsAsync<ModelDownloadException>(() => Downloader(hub).PullAsync(missing, null, CancellationToken.None));
        Assert.Contains("Not found", error.Message);
        Assert.Contains("org/model-GGUF/resolve/main/nope.gguf", error.Message);
    }

    [Fact]
    public async Task A_full_disk_is_reported_clearly_and_the_partial_file_kept_for_resuming()
    {
        using var hub = new FakeHub(Payload);
        var downloader = Downloader(hub, path => new FullDisk(new FileStream(path, FileMode.Append), limit: 100_000));
        var error = await Assert.ThrowsAsync<ModelDownloadException>(() => downloader.PullAsync(Model, null, CancellationToken.None));
        Assert.StartsWith("Disk full", error.Message);
        var target = Path.Combine(_dir, "org--model-GGUF", "model-q8_0.gguf");
        Assert.False(File.Exists(target));
        Assert.InRange(new FileInfo(target + ".partial").Length, 1, 100_000);

        // Space freed: the next pull resumes from what was written.
        var path = await Downloader(hub).PullAsync(Model, null, CancellationToken.None);
        Assert.Equal(Payload, await File.ReadAllBytesAsync(path));
        Assert.StartsWith("bytes=", hub.RangesSeen[^1]);
    }

    [Fact]
    public void Names_resolve_to_the_cache_and_say_how_to_pull_what_is_missing()
    {
        var catalog = new ModelCatalog([Model], []);
        var cache = new ModelCache(_dir);
        var error = Assert.Throws<FileNotFoundException>(() => ModelReference.Resolve("test-model", catalog, cache));
        Assert.Contains("atlas-lsp models pull test-model", error.Message);
        Directory.CreateDirectory(Path.GetDirectoryName(cache.PathOf(Model))!);
        File.WriteAllBytes(cache.PathOf(Model), Payload);
        Assert.Equal(cache.PathOf(Model), ModelReference.Resolve("test-model", catalog, cache));
        Assert.Equal("/some/file.gguf", ModelReference.Resolve("/some/file.gguf", catalog, cache));
        Assert.Throws<FileNotFoundException>(() => ModelReference.Resolve("no-such-model", catalog, cache));
    }

    [Fact]
    public void The_shipped_catalog_names_a_target_and_draft_for_every_profile()
    {
        var catalog = ModelCatalog.Load();
        Assert.NotEmpty(catalog.Models);
        foreach (var profile in catalog.Profiles)
        {
            Assert.NotNull(catalog.Find(profile.Target));
            Assert.NotNull(catalog.Find(profile.Draft));
        }
        Assert.All(catalog.Models, m => Assert.EndsWith(".gguf", m.File));
    }

    [Fact]
    public void Pulling_a_profile_means_its_target_then_its_draft()
    {
        var catalog = ModelCatalog.Load();
        Assert.Equal(["qwen2.5-coder-1.5b", "qwen2.5-coder-0.5b"], catalog.Expand("cpu-laptop")!.Select(m => m.Name));
        Assert.Equal(["qwen2.5-coder-7b"], catalog.Expand("Qwen2.5-Coder-7B")!.Select(m => m.Name));
        Assert.Null(catalog.Expand("no-such-thing"));
    }

    private sealed class FullDisk(Stream inner, long limit) : Stream
    {
        private long _written;
        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => inner.Length;
        public override long Position { get => inner.Position; set => throw new NotSupportedException(); }
        public override void Flush() => inner.Flush();
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count)
        {
            if (_written + count > limit) throw new IOException("No space left on device", 28);
            _written += count;
            inner.Write(buffer, offset, count);
        }
        protected override void Dispose(bool disposing)
        {
            if (disposing) inner.Dispose();
            base.Dispose(disposing);
        }
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
