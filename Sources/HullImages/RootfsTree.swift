import Foundation

/// A root filesystem as a plain directory, for runtimes that run from one (runc, runsc)
/// and as the input of `mkfs.ext4 -d`.
public enum RootfsTree {
    /// Extracts `tarball` (any compression GNU tar detects) into the existing directory `tree`.
    public static func extract(tarball: URL, into tree: URL) throws {
        guard FileManager.default.isReadableFile(atPath: tarball.path) else { throw ImageError.io(tarball.path, EACCES) }
        do {
            try ToolRunner.run("tar", ["-x", "-f", tarball.path, "-C", tree.path, "--numeric-owner"])
        } catch ImageError.toolFailed(_, _, let output) {
            throw ImageError.notAnArchive(tarball.path, output.trimmingCharacters(in: .whitespacesAndNewlines))
        }
    }

    /// Copies `source` into the existing directory `tree`, keeping ownership, modes, links,
    /// device nodes and xattrs (`cp -a`; reflinks where the file system has them).
    public static func copy(directory source: URL, into tree: URL) throws {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: source.path, isDirectory: &isDir), isDir.boolValue else {
            throw ImageError.notADirectory(source.path)
        }
        try ToolRunner.run("cp", ["-a", "--reflink=auto", source.path + "/.", tree.path])
    }
}
