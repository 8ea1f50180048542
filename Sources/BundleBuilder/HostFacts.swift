import RuntimeBase
import YarnContract

/// What the pure planner needs to know about the host, gathered by RuntimeCore through LinuxSystem.
/// Keeping these as values is what lets the planner be tested without root and without a real host.
public struct HostFacts: Sendable, Equatable {
    public struct Identity: Sendable, Equatable {
        public var uid: UInt32
        public var gid: UInt32
        public var groups: [UInt32]
        public init(uid: UInt32, gid: UInt32, groups: [UInt32]) { self.uid = uid; self.gid = gid; self.groups = groups }
    }

    public var runAsUser: Identity
    public var nmGroupId: UInt32
    public var nodename: String
    /// Top-level entries of `/` that are symlinks (merged /usr): name → link target, e.g. `bin` → `usr/bin`.
    public var rootSymlinks: [String: String]
    /// Which of the candidate paths the plan may mount exist on the host (host-view dirs, filecaches, ro mounts).
    public var existingPaths: Set<AbsolutePath>
    /// The in-container init binary on the host.
    public var initBinary: AbsolutePath
    /// kyr-compat.so (preloaded under runsc to work around Debian's gVisor statx bug), when installed.
    public var compatLibrary: AbsolutePath?
    /// Where the image rootfs is mounted for this container (image launches only).
    public var imageRootfs: AbsolutePath?
    /// The `linux.seccomp` object to use (already validated by compiling it); nil: the built-in default.
    public var seccompProfile: OCISeccomp?
    /// Routed networking: the namespace to join, the /etc/hosts to mount, the container's hostname.
    public var network: NetworkAttachment?
    /// Which of the configured mount paths (ro-mounts, rw-mounts) are regular files rather than directories.
    public var regularFiles: Set<AbsolutePath> = []
    /// The host's directory mount points (for `kata`: Kata shares a bind's source without MS_REC, so a directory with
    /// mounts below it would look empty there; the planner lists those as binds of their own).
    public var hostMountPoints: [AbsolutePath] = []

    public init(runAsUser: Identity, nmGroupId: UInt32, nodename: String, rootSymlinks: [String: String],
                existingPaths: Set<AbsolutePath>, initBinary: AbsolutePath, compatLibrary: AbsolutePath? = nil,
                seccompProfile: OCISeccomp? = nil) {
        self.compatLibrary = compatLibrary
        self.runAsUser = runAsUser; self.nmGroupId = nmGroupId; self.nodename = nodename
        self.rootSymlinks = rootSymlinks; self.existingPaths = existingPaths; self.initBinary = initBinary
        self.seccompProfile = seccompProfile
    }
}

/// A container's routed network as the bundle sees it (prepared by RuntimeCore before planning).
public struct NetworkAttachment: Sendable, Equatable {
    public var namespacePath: AbsolutePath
    public var hostsFile: AbsolutePath
    public var hostname: String
    /// A share of the node's address for a sandbox with its own stack: kyr-share.so on the host and its
    /// `KYR_SHARE` value (docs/networking.md, "Sharing the node's address").
    public var sharePreload: SharePreload?
    public struct SharePreload: Sendable, Equatable {
        public var library: AbsolutePath
        public var value: String
        public init(library: AbsolutePath, value: String) { self.library = library; self.value = value }
    }
    public init(namespacePath: AbsolutePath, hostsFile: AbsolutePath, hostname: String) {
        self.namespacePath = namespacePath; self.hostsFile = hostsFile; self.hostname = hostname
    }
}
