using Shop.Core;

namespace Shop.App;

public sealed class Product : EntityBase
{
    public decimal Price { get; set; }

    public override bool Validate() => Price >= 0;

    public override string Describe(bool verbose) => 
}
