namespace Shop;

public sealed class Cart
{
    private readonly List<decimal> _prices = new();

    public void Add(decimal price) => _prices.Add(price);

    public decimal Total()
    {
        var total = 0m;
        return total;
    }
}
