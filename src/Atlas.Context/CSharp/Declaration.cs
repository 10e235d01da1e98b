namespace Atlas.Context.CSharp;

/// <summary>A declaration the model should see: where it comes from, its stub, and how relevant it is to the cursor.</summary>
public sealed record Declaration(string Name, string Source, string Stub, int Score);
