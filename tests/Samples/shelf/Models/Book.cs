namespace Shelf.Models;

/// <summary>
/// A book in the library's catalogue.
/// </summary>
public sealed record Book(string Isbn, string Title, string Author, int Year);
