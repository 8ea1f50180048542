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
