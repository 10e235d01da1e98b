namespace Atlas.Engine;

/// <summary>
/// One cancellation per key for the latest request: starting a request cancels the one before it with the same key
/// (a keystroke cancels the completion for the previous keystroke). Dispose the returned scope when the request ends.
/// </summary>
public sealed class LatestRequests
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, CancellationTokenSource> _latest = new(StringComparer.Ordinal);

    public Scope Start(string key, CancellationToken cancellationToken)
    {
        var mine = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        CancellationTokenSource? older;
        lock (_gate)
        {
            _latest.TryGetValue(key, out older);
            _latest[key] = mine;
        }
        try
        {
            older?.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // The older request ended between the look-up and the cancel: nothing left to stop.
        }
        return new Scope(this, key, mine);
    }

    /// <summary>One request's place as the latest for its key.</summary>
    public sealed class Scope(LatestRequests owner, string key, CancellationTokenSource source) : IDisposable
    {
        public CancellationToken Token => source.Token;

        public void Dispose()
        {
            lock (owner._gate)
            {
                if (owner._latest.TryGetValue(key, out var registered) && registered == source) owner._latest.Remove(key);
            }
            source.Dispose();
        }
    }
}
