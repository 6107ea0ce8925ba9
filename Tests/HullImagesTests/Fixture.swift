import Foundation
@testable import HullImages

/// Real images built by real tools, once per test run: a four-layer image made with umoci
/// (repack of modified trees, `insert --opaque`, and a layer written by GNU tar added with
/// `umoci raw add-layer`), then converted by skopeo to a docker-archive and an
/// oci-archive. Between them the layers hold whiteouts of a file, of a directory and of
/// one name of a hard link, opaque directories (umoci's, and a tar one whose marker
/// comes after a sibling), a file replaced by a directory and the reverse, hard links,
/// relative and absolute symlinks, setuid, sticky, non-root ownership and xattrs.
struct Fixture: Sendable {
    let root: URL
    var layout: URL { root.appendingPathComponent("img") }
    var dockerArchive: URL { root.appendingPathComponent("docker.tar") }
    var ociArchive: URL { root.appendingPathComponent("oci.tar") }
    static let archiveName = "example.com/fixture/app:v4"

    static let shared: Result<Fixture, ShellError> = {
        let root = URL(fileURLWithPath: fixtureRoot)
        do {
            try? FileManager.default.removeItem(at: root)
            try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
            atexit { try? FileManager.default.removeItem(atPath: fixtureRoot) }
            try Shell.run(script, in: root)
            return .success(Fixture(root: root))
        } catch let error as ShellError {
            return .failure(error)
        } catch {
            return .failure(ShellError(script: "mkdir", status: -1, output: "\(error)"))
        }
    }()

    static func get() throws -> Fixture { try shared.get() }

    /// A private copy of the layout, to damage.
    func layoutCopy(in dir: TempDir) throws -> URL {
        let copy = dir.path("layout-copy")
        try Shell.run("cp -a '\(layout.path)' '\(copy.path)'")
        return copy
    }

    /// What unpacking v4 must give, exactly (the root folder itself left out).
    static let expectedTree = [
        "abs link 0:0 -> /etc/keep",
        "data dir 755 0:0",
        "data/h1 file 644 0:0 \"hl\\n\"",
        "data/y file 644 0:0 \"y\\n\" nlink=2",
        "data/y2 file 644 0:0 \"y\\n\" nlink=2",
        "dirtofile file 644 0:0 \"nowfile\\n\"",
        "etc dir 755 0:0",
        "etc/keep file 644 0:0 \"keep2\\n\"",
        "etc/new file 644 0:0 \"new\\n\"",
        "lnk link 0:0 -> etc/keep",
        "opaque dir 755 0:0",
        "opaque/c file 644 0:0 \"c\\n\"",
        "opaque3 dir 755 0:0",
        "opaque3/-early file 644 0:0 \"e\\n\"",
        "owned file 640 1234:5678 \"o\\n\"",
        "owneddir dir 750 42:43",
        "replace dir 755 0:0",
        "replace/file file 644 0:0 \"in\\n\"",
        "sticky dir 1777 0:0",
        "suid file 4755 0:0 \"s\\n\"",
        "xattr file 644 0:0 \"x\\n\" xattrs=trusted.hull=tr,user.hull=yes",
    ]

    private static let script = #"""
    umask 022
    umoci init --layout img
    umoci new --image img:base
    umoci unpack --image img:base b1
    r=b1/rootfs
    mkdir -p $r/etc $r/opaque/sub $r/opaque3 $r/data $r/dirtofile $r/gonedir $r/owneddir $r/sticky
    printf 'keep\n' > $r/etc/keep
    printf 'gone\n' > $r/etc/gone
    printf 'a\n' > $r/opaque/a
    printf 'deep\n' > $r/opaque/sub/deep
    printf 'old\n' > $r/opaque3/old
    printf 'hl\n' > $r/data/h1
    ln $r/data/h1 $r/data/h2
    ln -s etc/keep $r/lnk
    ln -s /etc/keep $r/abs
    printf 'f\n' > $r/replace
    printf 'd\n' > $r/dirtofile/inner
    printf 'x\n' > $r/gonedir/x
    printf 's\n' > $r/suid && chmod 4755 $r/suid
    printf 'o\n' > $r/owned && chown 1234:5678 $r/owned && chmod 0640 $r/owned
    chown 42:43 $r/owneddir && chmod 0750 $r/owneddir
    chmod 1777 $r/sticky
    printf 'x\n' > $r/xattr
    python3 -c "import os,sys; os.setxattr(sys.argv[1], 'user.hull', b'yes'); os.setxattr(sys.argv[1], 'trusted.hull', b'tr')" $r/xattr
    umoci repack --image img:v1 b1

    umoci unpack --image img:v1 b2
    r=b2/rootfs
    rm $r/etc/gone
    rm -r $r/gonedir
    rm $r/replace && mkdir $r/replace && printf 'in\n' > $r/replace/file
    rm -r $r/dirtofile && printf 'nowfile\n' > $r/dirtofile
    printf 'keep2\n' > $r/etc/keep
    printf 'new\n' > $r/etc/new
    umoci repack --image img:v2 b2

    mkdir op && printf 'c\n' > op/c
    umoci insert --image img:v2 --tag v3 --opaque op /opaque

    # A layer as Docker writes them, by GNU tar: a whiteout of one name of a hard link,
    # a new hard link pair, and an opaque marker sorted after a sibling.
    mkdir -p L4/data L4/opaque3
    printf 'y\n' > L4/data/y && ln L4/data/y L4/data/y2 && : > L4/data/.wh.h2
    printf 'e\n' > L4/opaque3/-early && : > L4/opaque3/.wh..wh..opq
    tar --sort=name --numeric-owner -C L4 -cf l4.tar .
    umoci raw add-layer --image img:v3 --tag v4 l4.tar
    umoci config --image img:v4 --config.cmd sh --config.env PATH=/bin

    skopeo copy -q oci:img:v4 docker-archive:docker.tar:example.com/fixture/app:v4
    skopeo copy -q oci:img:v4 oci-archive:oci.tar:example.com/fixture/app:v4
    rm -rf b1 b2 op L4 l4.tar
    """#
}

private let fixtureRoot = FileManager.default.temporaryDirectory.appendingPathComponent("hull-images-fixture-\(getpid())").path
