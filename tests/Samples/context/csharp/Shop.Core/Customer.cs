namespace Shop.Core;

public sealed class Customer : EntityBase
{
    public string Name { get; set; } = "";
    public string Email { get; set; } = "";

    public override bool Validate() => Email.Contains('@');

    public override string Describe(bool verbose) => verbose ? $"{Name} <{Email}>" : Name;
}
