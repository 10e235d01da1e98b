namespace Atlas.Fixes.Verification;

/// <summary>What verifying one candidate found: accepted, or the check it failed, in words for the log.</summary>
public sealed record VerificationResult(bool Accepted, string Check)
{
    public static readonly VerificationResult Verified = new(true, "verified: the targeted problem is gone and no new error appeared");
    public static VerificationResult Failed(string why) => new(false, why);
}
