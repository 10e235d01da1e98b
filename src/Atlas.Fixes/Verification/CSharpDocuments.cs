using Atlas.Documents;
using Microsoft.CodeAnalysis;
using TextDocument = Atlas.Documents.TextDocument;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Text;

namespace Atlas.Fixes.Verification;

/// <summary>
/// A Roslyn document for a file on its own, against the framework's reference assemblies: what verification uses
/// when the server has no repository workspace for the file. Compilation errors about other files' types show up
/// as errors here in both the original and the candidate, so they cancel out.
/// </summary>
public static class CSharpDocuments
{
    public static Document Standalone(TextDocument document)
    {
        var workspace = new AdhocWorkspace();
        var project = workspace.AddProject(ProjectInfo.Create(
            ProjectId.CreateNewId(), VersionStamp.Create(), "standalone", "standalone", LanguageNames.CSharp,
            compilationOptions: new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable),
            parseOptions: new CSharpParseOptions(LanguageVersion.Latest),
            metadataReferences: Atlas.Context.CSharp.FrameworkReferences.All));
        return workspace.AddDocument(project.Id, Path.GetFileName(new Uri(document.Uri).LocalPath), SourceText.From(document.Text));
    }
}
