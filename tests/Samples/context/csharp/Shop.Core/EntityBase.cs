namespace Shop.Core;

/// <summary>Something the shop stores, with an identity and a way to check itself.</summary>
public abstract class EntityBase
{
    public int Id { get; init; }

    /// <summary>Whether the entity may be saved.</summary>
    public abstract bool Validate();

    public abstract string Describe(bool verbose);
}
