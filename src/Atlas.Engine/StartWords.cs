namespace Atlas.Engine;

/// <summary>
/// The words an answer may begin with at the cursor, as the code's language knows them there: the members of the
/// receiver after a dot, the names in scope and the keywords where an expression or statement starts. A model that
/// starts inside a word or names something that does not exist is held to these: the answer's first word (letters,
/// digits and '_', not starting with a digit) must be one of <see cref="Words"/> in full; when
/// <see cref="OrOtherStart"/>, the answer may instead begin with something that starts no word (a bracket, a quote, a
/// number, whitespace). An empty string among the words lets the answer begin with no word at all.
/// </summary>
public sealed record StartWords(IReadOnlyCollection<string> Words, bool OrOtherStart);
