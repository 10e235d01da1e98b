namespace Atlas.Documents;

/// <summary>A zero-based line and character, the character counted in UTF-16 code units as LSP requires.</summary>
public readonly record struct TextPosition(int Line, int Character)
{
    public override string ToString() => $"{Line}:{Character}";
}

/// <summary>A half-open range between two positions.</summary>
public readonly record struct TextRange(TextPosition Start, TextPosition End);
