namespace Atlas.Documents;

/// <summary>What Atlas needs to know about a file's language, decided from its LSP language id or its extension.</summary>
public static class SourceLanguage
{
    /// <summary>The language's name as LSP spells it (csharp, python, typescript…), from the id or the file name.</summary>
    public static string Of(string pathOrUri, string? languageId = null)
    {
        if (!string.IsNullOrWhiteSpace(languageId) && languageId != "plaintext") return FromLanguageId(languageId.ToLowerInvariant());
        return Path.GetExtension(pathOrUri).ToLowerInvariant() switch
        {
            ".cs" => "csharp",
            ".py" => "python",
            ".ts" or ".tsx" => "typescript",
            ".js" or ".jsx" or ".mjs" or ".cjs" => "javascript",
            ".c" or ".h" => "c",
            ".cpp" or ".cc" or ".hpp" or ".hh" or ".cxx" => "cpp",
            ".rs" => "rust",
            ".go" => "go",
            ".java" => "java",
            ".rb" => "ruby",
            ".lua" => "lua",
            ".sh" or ".bash" => "shellscript",
            ".sql" => "sql",
            ".yml" or ".yaml" => "yaml",
            ".toml" => "toml",
            _ => "plaintext",
        };
    }

    /// <summary>
    /// Neovim (and Vim's LSP clients) send the buffer's filetype as the language id unless configured otherwise, and
    /// some filetypes are not LSP's spelling: without this, a C# buffer in Neovim ("cs") got no Roslyn context at all.
    /// </summary>
    private static string FromLanguageId(string languageId) => languageId switch
    {
        "cs" => "csharp",
        "sh" or "bash" or "zsh" => "shellscript",
        _ => languageId,
    };

    /// <summary>The line-comment marker: how notes and context sections are written into a prompt for this language.</summary>
    public static string LineComment(string language) => language switch
    {
        "python" or "shellscript" or "ruby" or "yaml" or "toml" or "perl" or "r" or "makefile" or "dockerfile" => "#",
        "lua" or "sql" or "haskell" => "--",
        _ => "//",
    };
}
