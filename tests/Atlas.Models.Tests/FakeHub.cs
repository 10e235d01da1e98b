using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;

namespace Atlas.Models.Tests;

// Shared with Atlas.Lsp.Tests (linked), which pulls through the real executable.

/// <summary>
/// A Hugging Face-like hub on 127.0.0.1: `/{repo}/resolve/main/{file}` answers 302 with X-Linked-Etag and
/// X-Linked-Size and a Location on a CDN path, which serves the bytes with Range support. It can cut the connection
/// once, halfway, and can advertise a wrong checksum. A range that starts at or after the end is answered 416 with
/// `Content-Range: bytes */size`, as the hub's CDN does.
/// </summary>
public sealed class FakeHub : IDisposable
{
    private readonly HttpListener _listener = new();
    private readonly Task _serving;

    private readonly string _resolvePath;
    private readonly string _file;

    public FakeHub(byte[] payload, string repository = "org/model-GGUF", string file = "model-q8_0.gguf")
    {
        Payload = payload;
        _resolvePath = $"/{repository}/resolve/main/{file}";
        _file = file;
        var port = FreePort();
        Endpoint = $"http://127.0.0.1:{port}";
        _listener.Prefixes.Add(Endpoint + "/");
        _listener.Start();
        _serving = Task.Run(Serve);
    }

    public string Endpoint { get; }
    public byte[] Payload { get; }
    public string Sha256 => Convert.ToHexStringLower(SHA256.HashData(Payload));
    public string? AdvertisedSha256 { get; set; }
    public bool CutOnce { get; set; }
    public List<string?> RangesSeen { get; } = [];

    /// <summary>Every request: its path and the Authorization header it carried.</summary>
    public List<(string Path, string? Authorization)> Requests { get; } = [];

    private async Task Serve()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try { context = await _listener.GetContextAsync(); }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException) { return; }
            try { Handle(context); }
            catch (Exception e) when (e is HttpListenerException or IOException) { }
        }
    }

    private void Handle(HttpListenerContext context)
    {
        var path = context.Request.Url!.AbsolutePath;
        var response = context.Response;
        lock (Requests) Requests.Add((path, context.Request.Headers["Authorization"]));
        if (path == _resolvePath)
        {
            response.StatusCode = 302;
            response.Headers["X-Linked-Etag"] = $"\"{AdvertisedSha256 ?? Sha256}\"";
            response.Headers["X-Linked-Size"] = Payload.Length.ToString();
            response.Headers["X-Repo-Commit"] = "0123456789abcdef0123456789abcdef01234567";
            response.RedirectLocation = $"{Endpoint}/cdn/{_file}";
            response.Close();
            return;
        }
        if (path == $"/cdn/{_file}")
        {
            var range = context.Request.Headers["Range"];
            lock (RangesSeen) RangesSeen.Add(range);
            var from = range is { } r && r.StartsWith("bytes=") ? long.Parse(r[6..].TrimEnd('-')) : 0;
            if (from >= Payload.Length)
            {
                response.StatusCode = 416;
                response.Headers["Content-Range"] = $"bytes */{Payload.Length}";
                response.Close();
                return;
            }
            response.StatusCode = from > 0 ? 206 : 200;
            if (from > 0) response.Headers["Content-Range"] = $"bytes {from}-{Payload.Length - 1}/{Payload.Length}";
            response.ContentLength64 = Payload.Length - from;
            if (CutOnce)
            {
                CutOnce = false;
                response.OutputStream.Write(Payload, (int)from, (int)(Payload.Length - from) / 2);
                response.OutputStream.Flush();
                response.Abort();
                return;
            }
            response.OutputStream.Write(Payload, (int)from, (int)(Payload.Length - from));
            response.Close();
            return;
        }
        response.StatusCode = 404;
        response.Close();
    }

    private static int FreePort()
    {
        using var socket = new TcpListener(IPAddress.Loopback, 0);
        socket.Start();
        return ((IPEndPoint)socket.LocalEndpoint).Port;
    }

    public void Dispose()
    {
        _listener.Stop();
        _listener.Close();
    }
}
