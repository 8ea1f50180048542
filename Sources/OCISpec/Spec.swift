import StrictJSON

/// The subset of the OCI runtime-spec (v1.0.2, the version Debian's schema package installs) that our bundles use.
/// Encoding goes through `JSONValue`, so `config.json` is deterministic (sorted keys).
public struct Spec: Sendable, Equatable {
    public static let version = "1.0.2"

    public var process: Process
    public var root: Root
    public var hostname: String?
    public var mounts: [Mount]
    public var annotations: [String: String]
    public var linux: Linux

    public init(process: Process, root: Root, hostname: String?, mounts: [Mount], annotations: [String: String], linux: Linux) {
        self.process = process
        self.root = root
        self.hostname = hostname
        self.mounts = mounts
        self.annotations = annotations
        self.linux = linux
    }

    public struct Process: Sendable, Equatable {
        public var args: [String]
        public var env: [String]
        public var cwd: String
        public var user: User
        public var capabilities: Capabilities
        public var noNewPrivileges: Bool
        public var rlimits: [Rlimit]
        public init(args: [String], env: [String], cwd: String, user: User, capabilities: Capabilities,
                    noNewPrivileges: Bool, rlimits: [Rlimit]) {
            self.args = args; self.env = env; self.cwd = cwd; self.user = user
            self.capabilities = capabilities; self.noNewPrivileges = noNewPrivileges; self.rlimits = rlimits
        }
    }

    public struct User: Sendable, Equatable {
        public var uid: UInt32
        public var gid: UInt32
        public var additionalGids: [UInt32]
        public var umask: UInt32?
        public init(uid: UInt32, gid: UInt32, additionalGids: [UInt32], umask: UInt32? = nil) {
            self.uid = uid; self.gid = gid; self.additionalGids = additionalGids; self.umask = umask
        }
    }

    /// One capability list used for every set: a YARN workload never needs more in one set than in another.
    public struct Capabilities: Sendable, Equatable {
        public var bounding: [String]
        public var effective: [String]
        public var permitted: [String]
        public var inheritable: [String]
        public var ambient: [String]
        public init(bounding: [String], effective: [String], permitted: [String], inheritable: [String], ambient: [String]) {
            self.bounding = bounding; self.effective = effective; self.permitted = permitted
            self.inheritable = inheritable; self.ambient = ambient
        }
    }

    public struct Rlimit: Sendable, Equatable {
        public var type: String
        public var hard: UInt64
        public var soft: UInt64
        public init(type: String, hard: UInt64, soft: UInt64) { self.type = type; self.hard = hard; self.soft = soft }
    }

    public struct Root: Sendable, Equatable {
        public var path: String
        public var readonly: Bool
        public init(path: String, readonly: Bool) { self.path = path; self.readonly = readonly }
    }

    public struct Mount: Sendable, Equatable {
        public var destination: String
        public var type: String
        public var source: String
        public var options: [String]
        public init(destination: String, type: String, source: String, options: [String]) {
            self.destination = destination; self.type = type; self.source = source; self.options = options
        }
    }

    public struct Linux: Sendable, Equatable {
        public var namespaces: [String]
        public var cgroupsPath: String?
        public var resources: Resources
        public var maskedPaths: [String]
        public var readonlyPaths: [String]
        /// The `linux.seccomp` object as given by the profile file (validated by `SeccompProfile`).
        public var seccomp: JSONValue?
        /// When set, the `network` namespace entry joins this bind-mounted namespace (routed networking).
        public var networkNamespacePath: String?
        public init(namespaces: [String], cgroupsPath: String?, resources: Resources, maskedPaths: [String],
                    readonlyPaths: [String], seccomp: JSONValue?, networkNamespacePath: String? = nil) {
            self.namespaces = namespaces; self.cgroupsPath = cgroupsPath; self.resources = resources
            self.maskedPaths = maskedPaths; self.readonlyPaths = readonlyPaths; self.seccomp = seccomp
            self.networkNamespacePath = networkNamespacePath
        }
    }

    public struct Resources: Sendable, Equatable {
        public var memoryLimitBytes: Int64?
        public var cpuShares: UInt64?
        public var cpuQuota: Int64?
        public var cpuPeriod: UInt64?
        public var pidsLimit: Int64?
        public init(memoryLimitBytes: Int64?, cpuShares: UInt64?, cpuQuota: Int64?, cpuPeriod: UInt64?, pidsLimit: Int64?) {
            self.memoryLimitBytes = memoryLimitBytes; self.cpuShares = cpuShares; self.cpuQuota = cpuQuota
            self.cpuPeriod = cpuPeriod; self.pidsLimit = pidsLimit
        }
    }
}
