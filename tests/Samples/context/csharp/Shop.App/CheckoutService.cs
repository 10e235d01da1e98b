using Shop.Core;

namespace Shop.App;

public sealed class CheckoutService
{
    private readonly CustomerRepository _repo;

    public CheckoutService(CustomerRepository repo) => _repo = repo;

    public string Greet(int customerId)
    {
        var customer = _repo.
    }
}
