using System.Threading.Tasks;
using Shelf.Models;

namespace Shelf.Services;

/// <summary>
/// Describes the books of the library.
/// </summary>
public sealed class LibraryService
{
    private readonly IBookRepository _bookRepository;

    public LibraryService(IBookRepository bookRepository)
    {
        _bookRepository = bookRepository;
    }

    public async Task<string> DescribeAsync(string isbn)
    {
        return book is null ? "missing" : $"{book.Title} by {book.Author}";
    }
}
