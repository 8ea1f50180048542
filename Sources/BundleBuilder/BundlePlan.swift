import OCISpec
import RuntimeBase
import YarnContract

/// Everything needed to materialise one container's bundle: the spec, and the rootfs skeleton for the host view.
public struct BundlePlan: Sendable, Equatable {
    public var spec: Spec
    /// Symlinks to create inside the bundle's rootfs directory (host-view mode only), name → target.
    public var rootfsSymlinks: [String: String]
    /// True when `spec.root.path` is the bundle's own `rootfs` directory that the writer must create.
    public var ownsRootfs: Bool
    public var runtime: String
    /// The container's own `/etc` (runtime `kata` only, see `EtcView`); nil: `/etc` is whatever the mounts give.
    public var etcView: EtcView? = nil
}

/// A container's own `/etc` as one directory, for Kata. Kata's agent prepares every file bind by opening its target
/// with O_WRONLY|O_CREAT|O_TRUNC (Kata 3.32 src/agent/rustjail/src/mount.rs, mount_from), after an earlier read-only
/// bind (the host view's `/etc`) has been remounted read-only: a generated `/etc/hosts` bound over it fails with
/// EROFS, and a writable `/etc` would truncate the host's own file through virtio-fs. So for `kata` no file is bound
/// under `/etc`: the writer fills `directory` with the generated files and, for every other entry of `source`, a
/// symlink (a symlink entry is copied as is; anything else points to `<sourceMount>/<name>`), and the plan binds
/// `directory` read-only at `/etc` and `source` read-only at `sourceMount`, both directory binds.
public struct EtcView: Sendable, Equatable {
    /// The `/etc` the container would otherwise see (the host's, or the image's), or nil when it sees none.
    public var source: AbsolutePath?
    /// Where `source` is mounted in the container: at the root, like `/etc`, so relative links inside keep working.
    public var sourceMount: String
    /// `<bundle>/etc`: created by the writer, bound read-only at `/etc`.
    public var directory: AbsolutePath
    /// Generated files: name inside `/etc` → host file whose content the writer copies (mode 0644).
    public var files: [String: AbsolutePath]

    public init(source: AbsolutePath?, sourceMount: String, directory: AbsolutePath, files: [String: AbsolutePath]) {
        self.source = source; self.sourceMount = sourceMount; self.directory = directory; self.files = files
    }
}

/// The YARN directory layout a launch needs (what container-executor's `create_local_dirs` makes).
public struct LayoutPlan: Sendable, Equatable {
    public struct Directory: Sendable, Equatable {
        public var path: AbsolutePath
        public var mode: UInt32
        /// Created as root and chowned to user:NM group (Hadoop's `create_directory_for_user`), or as the user.
        public var chownToUserAndNMGroup: Bool
        public var failure: ExitCode
    }

    public struct Copy: Sendable, Equatable {
        public var source: AbsolutePath
        public var destination: AbsolutePath
        public var mode: UInt32
        public var failure: ExitCode
    }

    public var directories: [Directory]
    public var copies: [Copy]
}
