using System.Diagnostics;
using System.Net;
using System.Security.Cryptography;

namespace Atlas.Models;

/// <summary>How far a download is: bytes so far (resumed bytes included), total when known, and the current rate.</summary>
public sealed record DownloadProgress(long Bytes, long? Total, double BytesPerSecond)
{
    public TimeSpan? Remaining => Total is { } total && BytesPerSecond > 0 ? TimeSpan.FromSeconds((total - Bytes) / BytesPerSecond) : null;
}

/// <summary>A download that failed for a reason a person can act on; the message says which.</summary>
public sealed class ModelDownloadException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// Downloads a model file from a Hugging Face-style hub: `{endpoint}/{repo}/resolve/{revision}/{file}`, whose answer
/// redirects to a CDN and names the file's SHA-256 in X-Linked-Etag. Resumes a `.partial` file with a Range request,
/// hashes everything (resumed bytes included), and renames into place only when the checksum matches, so an
/// interrupted or corrupt pull never leaves a model file behind. The endpoint comes from HF_ENDPOINT, as
/// huggingface_hub does, and the token from HF_TOKEN or the file `huggingface-cli login` writes ($HF_HOME/token).
/// A model already in the cache (Atlas's or the Hugging Face hub's) is not downloaded again.
/// </summary>
public sealed class HubDownloader(HttpClient http, ModelCache cache)
{
    public const string DefaultEndpoint = "https://huggingface.co";

    /// <summary>Opens the partial file for appending (a seam: tests simulate a full disk through it).</summary>
    public Func<string, Stream> OpenPartial { get; init; } = path => new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.None, 1 << 20);

    /// <summary>
    /// The HTTP client this downloader needs: redirects followed by hand (the checksum is on the hub's own answer) and
    /// no timeout (a model is gigabytes; a dead connection fails the read instead).
    /// </summary>
    public static HttpClient NewHttpClient() => new(new HttpClientHandler { AllowAutoRedirect = false }) { Timeout = Timeout.InfiniteTimeSpan };

    public string Endpoint { get; init; } = Environment.GetEnvironmentVariable("HF_ENDPOINT") is { Length: > 0 } e ? e.TrimEnd('/') : DefaultEndpoint;

    /// <summary>The bearer token for gated or private repositories (null: none).</summary>
    public string? Token { get; init; } = DefaultToken();

    private static string? DefaultToken()
    {
        if (Environment.GetEnvironmentVariable("HF_TOKEN") is { Length: > 0 } token) return token;
        var path = Environment.GetEnvironmentVariable("HF_TOKEN_PATH") is { Length: > 0 } p ? p : Path.Combine(ModelCache.HuggingFaceHome(), "token");
        try
        {
            return File.Exists(path) && File.ReadAllText(path).Trim() is { Length: > 0 } saved ? saved : null;
        }
        catch (IOException)
        {
            return null;
        }
    }

    public async Task<string> PullAsync(CatalogModel model, IProgress<DownloadProgress>? progress, CancellationToken cancellationToken)
    {
        if (cache.Find(model) is { } present) return present;
        var target = cache.PathOf(model);
        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        var partial = target + ".partial";
        var url = new Uri($"{Endpoint}/{model.Repository}/resolve/{model.Revision}/{model.File}");

        var have = File.Exists(partial) ? new FileInfo(partial).Length : 0;
        var response = await SendFollowingRedirects(url, have, cancellationToken);
        if (response.Final.StatusCode == HttpStatusCode.RequestedRangeNotSatisfiable)
        {
            // Nothing after the bytes we have: the partial file is whole (a pull stopped between its last byte and
            // the rename) or longer than the file now is. Whole: check it below. Otherwise: start over.
            var size = response.Final.Content.Headers.ContentRange?.Length ?? ParseLong(Header(response.Metadata, "X-Linked-Size"));
            if (size != have)
            {
                response.Dispose();
                File.Delete(partial);
                have = 0;
                response = await SendFollowingRedirects(url, 0, cancellationToken);
            }
        }
        using var _ = response;
        var expected = model.Sha256 ?? Header(response.Metadata, "X-Linked-Etag")?.Trim('"', ' ').ToLowerInvariant();
        var whole = response.Final.StatusCode == HttpStatusCode.RequestedRangeNotSatisfiable;
        if (response.Final.StatusCode == HttpStatusCode.OK && have > 0)
            have = 0; // The server ignored the Range: start over.
        var total = whole ? have : response.Final.Content.Headers.ContentLength is { } length ? have + length : (long?)null;

        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        if (have > 0) await HashExisting(partial, hash, cancellationToken);
        else File.Delete(partial);

        try
        {
            if (whole) progress?.Report(new DownloadProgress(have, total, 0));
            else await AppendAsync(response.Final, partial, hash, fresh => progress?.Report(new DownloadProgress(have + fresh.Bytes, total, fresh.BytesPerSecond)), cancellationToken);
        }
        catch (IOException e) when (IsDiskFull(e))
        {
            throw new ModelDownloadException($"Disk full while downloading {model.Name} to '{partial}': free some space and pull again (it resumes).", e);
        }
        catch (Exception e) when (e is IOException or HttpRequestException)
        {
            throw new ModelDownloadException($"Download of {model.Name} was interrupted ({e.Message}); pull again to resume from {new FileInfo(partial).Length} bytes.", e);
        }

        var actual = Convert.ToHexStringLower(hash.GetHashAndReset());
        if (expected is { Length: 64 } && actual != expected)
        {
            File.Delete(partial);
            throw new ModelDownloadException($"Checksum mismatch for {model.Repository}/{model.File}: expected {expected}, got {actual}; the download was removed.");
        }
        File.Move(partial, target, overwrite: false);
        return target;
    }

    /// <summary>Appends the answer's body to the partial file and the hash; reports the bytes this call wrote.</summary>
    private async Task AppendAsync(HttpResponseMessage answer, string partial, IncrementalHash hash, Action<DownloadProgress> report, CancellationToken cancellationToken)
    {
        await using var output = OpenPartial(partial);
        await using var body = await answer.Content.ReadAsStreamAsync(cancellationToken);
        var buffer = new byte[1 << 16];
        var clock = Stopwatch.StartNew();
        var fresh = 0L;
        int read;
        while ((read = await body.ReadAsync(buffer, cancellationToken)) > 0)
        {
            await output.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
            hash.AppendData(buffer, 0, read);
            fresh += read;
            report(new DownloadProgress(fresh, null, fresh / Math.Max(clock.Elapsed.TotalSeconds, 1e-3)));
        }
    }

    private sealed record Answer(HttpResponseMessage Metadata, HttpResponseMessage Final) : IDisposable
    {
        public void Dispose()
        {
            Final.Dispose();
            if (!ReferenceEquals(Metadata, Final)) Metadata.Dispose();
        }
    }

    /// <summary>Follows redirects by hand: the hub's checksum headers are on the first answer, not the CDN's.</summary>
    private async Task<Answer> SendFollowingRedirects(Uri url, long from, CancellationToken cancellationToken)
    {
        HttpResponseMessage? first = null;
        for (var hop = 0; hop < 10; hop++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, url);
            if (from > 0) request.Headers.Range = new System.Net.Http.Headers.RangeHeaderValue(from, null);
            // Only to the hub: the token must not follow a redirect to another host.
            if (hop == 0 && Token is { } token)
                request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
            HttpResponseMessage response;
            try
            {
                response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
            }
            catch (HttpRequestException e)
            {
                throw new ModelDownloadException($"Cannot reach {url.GetLeftPart(UriPartial.Authority)}: {e.Message}", e);
            }
            first ??= response;
            if ((int)response.StatusCode is >= 300 and < 400 && response.Headers.Location is { } location)
            {
                url = location.IsAbsoluteUri ? location : new Uri(url, location);
                if (!ReferenceEquals(response, first)) response.Dispose();
                continue;
            }
            if (response.StatusCode == HttpStatusCode.RequestedRangeNotSatisfiable && from > 0) return new Answer(first, response);
            if (response.StatusCode == HttpStatusCode.NotFound)
                throw new ModelDownloadException($"Not found on the hub: {url} (check the repository and file names).");
            if (!response.IsSuccessStatusCode)
                throw new ModelDownloadException($"The hub answered {(int)response.StatusCode} {response.ReasonPhrase} for {url}.");
            return new Answer(first, response);
        }
        throw new ModelDownloadException($"Too many redirects for {url}.");
    }

    private static long? ParseLong(string? value) => long.TryParse(value, out var number) ? number : null;

    private static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? values.FirstOrDefault() : null;

    private static async Task HashExisting(string path, IncrementalHash hash, CancellationToken cancellationToken)
    {
        await using var existing = File.OpenRead(path);
        var buffer = new byte[1 << 16];
        int read;
        while ((read = await existing.ReadAsync(buffer, cancellationToken)) > 0) hash.AppendData(buffer, 0, read);
    }

    /// <summary>ENOSPC on Unix, ERROR_DISK_FULL / ERROR_HANDLE_DISK_FULL on Windows.</summary>
    private static bool IsDiskFull(IOException e) =>
        (e.HResult & 0xFFFF) is 28 or 0x70 or 0x27 || e.Message.Contains("No space left", StringComparison.OrdinalIgnoreCase);
}
