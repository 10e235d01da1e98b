using System.Collections.Generic;
using System.Threading.Tasks;
using Shelf.Models;

namespace Shelf.Services;

/// <summary>
/// Contract for book repository access.
/// </summary>
public interface IBookRepository
{
    /// <summary>
    /// Finds the book with the given ISBN.
    /// </summary>
    Task<Book?> FindBookAsync(string isbn);

    /// <summary>
    /// Stores the given book.
    /// </summary>
    Task StoreBookAsync(Book book);

    /// <summary>
    /// Lists the books by the given author.
    /// </summary>
    IReadOnlyList<Book> ListBooksByAuthor(string author);

    /// <summary>
    /// Counts the books.
    /// </summary>
    int CountBooks();
}
