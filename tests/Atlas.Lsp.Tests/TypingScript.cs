namespace Atlas.Lsp.Tests;

/// <summary>
/// The keystrokes of someone typing a C# file into an editor, as incremental didChange edits: one character at a time,
/// a line break together with the next line's indentation (as an editor's auto-indent inserts it), and now and then a
/// wrong character taken back with backspace. It tracks the cursor, so each edit carries its exact range and the
/// completion after it asks at the cursor. Seeded, so a failing soak can be replayed.
/// </summary>
internal sealed class TypingScript(string source, int seed)
{
    /// <summary>One edit: replace the range with the text, then the cursor is at (CursorLine, CursorCharacter).</summary>
    public sealed record Keystroke(int StartLine, int StartCharacter, int EndLine, int EndCharacter, string Text, int CursorLine, int CursorCharacter)
    {
        public bool IsDeletion => Text.Length == 0;
    }

    /// <summary>How often (one in this many characters) a wrong character is typed and taken back.</summary>
    private const int TypoEvery = 20;

    /// <summary>Keystrokes until the source is typed, starting with the cursor at (line, character) of a document that may hold more text around it.</summary>
    public IEnumerable<Keystroke> Keys(int line, int character)
    {
        var random = new Random(seed);
        var i = 0;
        while (i < source.Length)
        {
            if (source[i] == '\n')
            {
                var indent = 0;
                while (i + 1 + indent < source.Length && source[i + 1 + indent] == ' ') indent++;
                var text = "\n" + new string(' ', indent);
                yield return new(line, character, line, character, text, line + 1, indent);
                line++;
                character = indent;
                i += 1 + indent;
                continue;
            }
            if (random.Next(TypoEvery) == 0 && char.IsLetter(source[i]))
            {
                yield return new(line, character, line, character, "q", line, character + 1);
                yield return new(line, character, line, character + 1, "", line, character);
            }
            yield return new(line, character, line, character, source[i].ToString(), line, character + 1);
            character++;
            i++;
        }
    }

    /// <summary>A file's worth of ordinary C# (services, records, LINQ, async) to type.</summary>
    public const string CSharpFile = """
        using System;
        using System.Collections.Generic;
        using System.Linq;
        using System.Threading;
        using System.Threading.Tasks;

        public sealed record Order(int Id, string Customer, decimal Total, DateTime PlacedAt);

        public interface IOrderStore
        {
            Task<IReadOnlyList<Order>> LoadAsync(CancellationToken cancellationToken);
            Task SaveAsync(Order order, CancellationToken cancellationToken);
        }

        public sealed class OrderService
        {
            private readonly IOrderStore _store;
            private readonly Dictionary<int, Order> _cache = new();

            public OrderService(IOrderStore store)
            {
                _store = store ?? throw new ArgumentNullException(nameof(store));
            }

            public async Task<decimal> TotalForAsync(string customer, CancellationToken cancellationToken)
            {
                var orders = await _store.LoadAsync(cancellationToken);
                return orders.Where(o => o.Customer == customer).Sum(o => o.Total);
            }

            public async Task<Order?> FindAsync(int id, CancellationToken cancellationToken)
            {
                if (_cache.TryGetValue(id, out var cached))
                    return cached;
                var orders = await _store.LoadAsync(cancellationToken);
                var order = orders.FirstOrDefault(o => o.Id == id);
                if (order is not null)
                    _cache[id] = order;
                return order;
            }

            public async Task PlaceAsync(string customer, decimal total, CancellationToken cancellationToken)
            {
                if (total <= 0)
                    throw new ArgumentOutOfRangeException(nameof(total), "An order must cost something.");
                var orders = await _store.LoadAsync(cancellationToken);
                var next = orders.Count == 0 ? 1 : orders.Max(o => o.Id) + 1;
                var order = new Order(next, customer, total, DateTime.UtcNow);
                await _store.SaveAsync(order, cancellationToken);
                _cache[order.Id] = order;
            }

            public IReadOnlyList<string> TopCustomers(IEnumerable<Order> orders, int count)
            {
                return orders
                    .GroupBy(o => o.Customer)
                    .Select(g => (Customer: g.Key, Total: g.Sum(o => o.Total)))
                    .OrderByDescending(x => x.Total)
                    .Take(count)
                    .Select(x => x.Customer)
                    .ToList();
            }
        }

        public static class OrderReport
        {
            public static string Describe(Order order) =>
                $"#{order.Id} for {order.Customer}: {order.Total:C} on {order.PlacedAt:yyyy-MM-dd}";

            public static decimal Average(IReadOnlyCollection<Order> orders) =>
                orders.Count == 0 ? 0m : orders.Sum(o => o.Total) / orders.Count;
        }

        """;
}
