namespace Shop.Core;

/// <summary>Customers by id, in memory.</summary>
public sealed class CustomerRepository
{
    private readonly Dictionary<int, Customer> _customers = new();

    /// <summary>The customer with this id, or null.</summary>
    public Customer? FindById(int id) => _customers.GetValueOrDefault(id);

    public IReadOnlyList<Customer> FindByName(string name) => _customers.Values.Where(c => c.Name == name).ToList();

    public void Save(Customer customer) => _customers[customer.Id] = customer;

    public int Count => _customers.Count;
}
