import RuntimeBase

/// Our own `[kata]` section of `container-executor.cfg`. Every key is documented in hadoop-conf/container-executor.cfg.
public struct KataSection: Sendable, Equatable {
    /// Runtime used when no policy entry and no request names one: `runc`, `runsc`, `kata` or `shim:<binary name>`.
    public var defaultRuntime = "runsc"
    /// The sandbox of a container that opted into one without naming it (Hadoop's runc runtime path, or our
    /// plugin's `kata` object): the default runtime unless that is `none`, which needs `runtime.opt-in`.
    public var optInRuntime: String?
    /// Runtimes a container may ask for (`YARN_CONTAINER_RUNTIME_TYPE` / launch context); the default is always allowed.
    /// Not `kata` unless configured: allowing it makes `--checksetup` require a working Kata installation.
    public var allowedRuntimes: [String] = ["runc", "runsc"]
    /// Per-user runtime policy: `runtime.user.<name>=<runtime>` overrides the default.
    public var userRuntimes: [String: String] = [:]
    public var runcBinary = "/usr/sbin/runc"
    public var runscBinary = "/usr/bin/runsc"
    /// Directory searched for `containerd-shim-<name>-v2` binaries (shim runtimes, Kata included).
    public var shimDirectory = "/usr/bin"
    public var kataShimBinary = "/usr/bin/containerd-shim-kata-v2"
    public var kataConfigPath: String?
    /// Where runtime state, bundles and the container index live (root-owned, 0700).
    public var stateRoot = "/run/kata-yarn-runtime"
    /// `host` builds a read-only view of the host's directories; any absolute path is an image rootfs.
    public var rootfs = "host"
    public var hostDirectories = ["/usr", "/etc", "/opt"]
    /// Extra read-only host paths mounted at the same place (JDK, Hadoop, Spark homes outside the host view).
    public var readOnlyMounts: [String] = []
    /// Host directories every container may write, at the same path (a shared scratch or a file:// staging dir).
    /// An entry with a `{user}` component is per tenant: each container gets only its run-as user's directory,
    /// and only when that user owns it (`userMountPath`). Entries without it are shared by every tenant.
    public var readWriteMounts: [String] = []
    public var seccompProfile: String?
    /// The `network*` keys; a container's own mode is resolved per launch (`NetworkMode.resolve`).
    public var networking = NetworkSettings()
    /// `host` keeps the node's hostname (what YARN registers); `container` uses a name derived from the container id.
    public var hostname = "host"
    public var defaultVCores: UInt32 = 1
    /// `cpu.strict`: true caps a container at its vcores (CFS quota, like YARN's `strict-resource-usage`); false
    /// gives it CPU shares only, so an idle node's spare cores go to whoever runs (YARN's own default).
    public var cpuStrict = true
    public var defaultMemoryMiB: UInt64 = 1024
    public var vmMemoryOverheadMiB: UInt64 = 256
    /// `vm.max-container-mb` / `vm.max-container-vcores`: the largest container YARN gives this node (its
    /// yarn.scheduler.maximum-allocation-mb / -vcores), for `--checksetup`'s Kata checks; absent: the defaults.
    public var maxContainerMiB: UInt64?
    public var maxContainerVCores: UInt32?
    public var sharedFilesystem = "virtio-fs"
    public var virtioFSCache = "auto"
    public var tmpSizeMiB: UInt64 = 512
    public var pidsLimit: Int64 = 4096
    /// The in-container init (kyr-init); default: `<binary dir>/../libexec/kata-yarn-runtime/kyr-init`.
    public var initBinary: String?

    public init() {}

    public static let userPlaceholder = "{user}"

    /// The runtime a container that opted into a sandbox gets when it names none.
    public var sandboxForOptIn: String { optInRuntime ?? defaultRuntime }

    /// The per-tenant form of an `rw-mounts` entry for `user` (every `{user}` component replaced), or nil for a
    /// shared entry. User names never contain `/`, so the result stays one directory per user.
    public static func userMountPath(_ template: String, user: String) -> String? {
        let components = template.split(separator: "/", omittingEmptySubsequences: false)
        guard components.contains(Substring(userPlaceholder)) else { return nil }
        return components.map { $0 == Substring(userPlaceholder) ? user : String($0) }.joined(separator: "/")
    }

    /// The `rw-mounts` a container of `user` gets: shared entries as they are, per-tenant entries for that user.
    public func readWriteMounts(for user: String) -> (shared: [String], own: [String]) {
        var shared: [String] = [], own: [String] = []
        for entry in readWriteMounts {
            if let path = Self.userMountPath(entry, user: user) { own.append(path) } else { shared.append(entry) }
        }
        return (shared, own)
    }

    init(_ file: ConfigFile) throws(RuntimeError) {
        let s = "kata"
        func text(_ key: String) -> String? { file.value(key, section: s) }
        func number<T: FixedWidthInteger>(_ key: String, _ fallback: T) throws(RuntimeError) -> T {
            guard let raw = text(key) else { return fallback }
            guard let value = T(raw), value > 0 else { throw RuntimeError(.invalidConfigFile, "[kata] \(key) must be a positive number: \(raw)") }
            return value
        }
        func absolute(_ key: String) throws(RuntimeError) -> String? {
            guard let raw = text(key) else { return nil }
            guard raw.hasPrefix("/"), !raw.split(separator: "/").contains("..") else {
                throw RuntimeError(.invalidConfigFile, "[kata] \(key) must be an absolute path without '..': \(raw)")
            }
            return raw
        }
        if let v = text("runtime.default") { defaultRuntime = v }
        optInRuntime = text("runtime.opt-in")
        if let v = file.list("runtime.allowed", section: s) { allowedRuntimes = v }
        for (key, value) in file.sections[s] ?? [:] where key.hasPrefix("runtime.user.") {
            userRuntimes[String(key.dropFirst("runtime.user.".count))] = value
        }
        if let v = try absolute("runc.binary") { runcBinary = v }
        if let v = try absolute("runsc.binary") { runscBinary = v }
        if let v = try absolute("shim.directory") { shimDirectory = v }
        if let v = try absolute("kata.shim.binary") { kataShimBinary = v }
        kataConfigPath = try absolute("kata.config")
        if let v = try absolute("state-root") { stateRoot = v }
        if let v = text("rootfs") {
            guard v == "host" || (v.hasPrefix("/") && !v.split(separator: "/").contains("..")) else {
                throw RuntimeError(.invalidConfigFile, "[kata] rootfs must be 'host' or an absolute path: \(v)")
            }
            rootfs = v
        }
        if let v = file.list("rootfs.host-dirs", section: s) { hostDirectories = v }
        readOnlyMounts = file.list("ro-mounts", section: s) ?? []
        readWriteMounts = file.list("rw-mounts", section: s) ?? []
        for path in hostDirectories + readOnlyMounts + readWriteMounts where !path.hasPrefix("/") || path.split(separator: "/").contains("..") {
            throw RuntimeError(.invalidConfigFile, "[kata] mount paths must be absolute without '..': \(path)")
        }
        for path in hostDirectories + readOnlyMounts + readWriteMounts where path.contains("{") || path.contains("}") {
            let components = path.split(separator: "/")
            guard readWriteMounts.contains(path), components.contains(Substring(Self.userPlaceholder)),
                  components.allSatisfy({ $0 == Substring(Self.userPlaceholder) || (!$0.contains("{") && !$0.contains("}")) }) else {
                throw RuntimeError(.invalidConfigFile, "[kata] only rw-mounts may hold a placeholder, and only {user} as a whole path component: \(path)")
            }
        }
        seccompProfile = try absolute("seccomp.profile")
        networking = try NetworkSettings(file)
        if let v = text("hostname") {
            guard ["host", "container"].contains(v) else { throw RuntimeError(.invalidConfigFile, "[kata] hostname must be host or container: \(v)") }
            hostname = v
        }
        defaultVCores = try number("default.vcores", defaultVCores)
        if let v = text("cpu.strict") {
            guard ["true", "false"].contains(v) else { throw RuntimeError(.invalidConfigFile, "[kata] cpu.strict must be true or false: \(v)") }
            cpuStrict = v == "true"
        }
        defaultMemoryMiB = try number("default.memory-mb", defaultMemoryMiB)
        vmMemoryOverheadMiB = try number("vm.memory-overhead-mb", vmMemoryOverheadMiB)
        if text("vm.max-container-mb") != nil { maxContainerMiB = try number("vm.max-container-mb", UInt64(1)) }
        if text("vm.max-container-vcores") != nil { maxContainerVCores = try number("vm.max-container-vcores", UInt32(1)) }
        if let v = text("vm.shared-fs") { sharedFilesystem = v }
        if let v = text("vm.virtio-fs-cache") { virtioFSCache = v }
        tmpSizeMiB = try number("tmp.size-mb", tmpSizeMiB)
        pidsLimit = try number("pids.limit", pidsLimit)
        initBinary = try absolute("init.binary")
        for runtime in [defaultRuntime] + allowedRuntimes + Array(userRuntimes.values) + [optInRuntime].compactMap({ $0 })
            where !Self.isRuntimeName(runtime) {
            throw RuntimeError(.invalidConfigFile, "[kata] unknown runtime name: \(runtime)")
        }
        guard sandboxForOptIn != "none" else {
            throw RuntimeError(.invalidConfigFile, "[kata] runtime.default=none (only opted-in containers are sandboxed) needs runtime.opt-in=<a sandbox>")
        }
    }

    /// `runc`, `runsc`, `kata`, `shim:<name>` where name is a plain file name of a shim binary, or `none` (no
    /// sandbox: Hadoop's default runtime, for nodes where only opted-in containers are sandboxed).
    public static func isRuntimeName(_ name: String) -> Bool {
        if ["runc", "runsc", "kata", "none"].contains(name) { return true }
        guard name.hasPrefix("shim:") else { return false }
        let binary = name.dropFirst(5)
        return !binary.isEmpty && binary.count <= 64 && binary.allSatisfy { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == "." }
            && binary != "." && binary != ".."
    }
}
