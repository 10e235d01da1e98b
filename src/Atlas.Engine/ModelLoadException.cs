namespace Atlas.Engine;

/// <summary>
/// The model could not be loaded: the file is missing, is not a GGUF, or llama.cpp refused it.
/// The message is one line meant for a person and names the path.
/// </summary>
public sealed class ModelLoadException(string message, Exception? inner = null) : Exception(message, inner);
