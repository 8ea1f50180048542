import RuntimeBase

/// The typed view of `container-executor.cfg`: Hadoop's own keys with Hadoop's defaults, and our `[kata]` section.
public struct ExecutorConfig: Sendable, Equatable {
    public var nmGroup: String
    public var minUserId: UInt32
    public var bannedUsers: [String]
    public var allowedSystemUsers: [String]
    public var features: Features
    public var runc: RuncSection
    public var kata: KataSection

    public static let defaultBannedUsers = ["yarn", "mapred", "hdfs", "bin"]

    public struct Features: Sendable, Equatable {
        public var docker = false
        public var tc = false
        public var mountCgroups = false
        public var yarnSysfs = false
        public var terminal = false
        public var runc = false
    }

    /// Hadoop's `[runc]` section, honoured for `--run-runc-container`.
    public struct RuncSection: Sendable, Equatable {
        public var binary = "/usr/sbin/runc"
        public var runRoot = "/run/yarn-container-executor"
        public var allowedROMounts: [String] = []
        public var allowedRWMounts: [String] = []
    }

    public init(parsing text: String) throws(RuntimeError) {
        let file: ConfigFile
        do { file = try ConfigFile(parsing: text) } catch { throw RuntimeError(.invalidConfigFile, error.description) }
        try self.init(file)
    }

    public init(_ file: ConfigFile) throws(RuntimeError) {
        guard let group = file.value("yarn.nodemanager.linux-container-executor.group") else {
            throw RuntimeError(.invalidConfigFile, "yarn.nodemanager.linux-container-executor.group is not set")
        }
        nmGroup = group
        if let raw = file.value("min.user.id") {
            guard let parsed = UInt32(raw) else { throw RuntimeError(.invalidConfigFile, "min.user.id is not a number: \(raw)") }
            minUserId = parsed
        } else {
            minUserId = 1000
        }
        bannedUsers = file.list("banned.users") ?? Self.defaultBannedUsers
        allowedSystemUsers = file.list("allowed.system.users") ?? []
        features = Features()
        features.docker = Self.flag(file.value("feature.docker.enabled")) || file.value("module.enabled", section: "docker") == "true"
        features.tc = Self.flag(file.value("feature.tc.enabled"))
        features.mountCgroups = Self.flag(file.value("feature.mount-cgroup.enabled"))
        features.yarnSysfs = Self.flag(file.value("feature.yarn.sysfs.enabled"))
        features.terminal = Self.flag(file.value("feature.terminal.enabled"))
        features.runc = Self.flag(file.value("feature.runc.enabled")) || file.value("module.enabled", section: "runc") == "true"
        runc = RuncSection()
        if let v = file.value("runc.binary", section: "runc") { runc.binary = v }
        if let v = file.value("runc.run-root", section: "runc") { runc.runRoot = v }
        runc.allowedROMounts = file.list("runc.allowed.ro-mounts", section: "runc") ?? []
        runc.allowedRWMounts = file.list("runc.allowed.rw-mounts", section: "runc") ?? []
        kata = try KataSection(file)
    }

    /// Hadoop's `get_boolean_config`: true/false (any case) or 1/0; anything else means the default, off.
    static func flag(_ raw: String?) -> Bool {
        guard let raw else { return false }
        switch raw.lowercased() {
        case "true", "1": return true
        default: return false
        }
    }
}
