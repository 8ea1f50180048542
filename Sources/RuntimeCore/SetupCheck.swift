import BundleBuilder
import HadoopConfig
import LinuxSystem
import RuntimeBase
import RuntimeDrivers
import YarnContract

/// Hadoop's `assert_valid_setup`, run on every invocation before the operation is even decoded:
/// config file found and root-owned with root-only-writable ancestry (24), parsed (24), NM group known (24),
/// binary root-owned, group = NM group, setuid, no other-write/exec (22), caller in the NM group (22).
public enum SetupCheck {
    public static let maxConfigBytes = 1 << 20

    /// `overrideConfig` is honoured only for a root caller of a non-setuid execution (tests, operators).
    public static func run(system: any System, overrideConfig: String?) throws(RuntimeError) -> RuntimeContext {
        let caller = system.caller()
        let exe = try system.executablePath()
        let path: String
        if let overrideConfig {
            guard caller.realUID == 0, !caller.setuidExecution else {
                throw RuntimeError(.invalidConfigFile, "--config is only accepted from root running the binary directly")
            }
            path = overrideConfig
        } else {
            path = try defaultConfigPath(executable: exe, system: system)
        }
        try checkConfigPermissions(path, system: system)
        let text = try system.readFile(path, maxBytes: maxConfigBytes, code: .invalidConfigFile)
        let config = try ExecutorConfig(parsing: String(decoding: text, as: UTF8.self))
        let nmGID = try system.lookupGroup(config.nmGroup)
        if caller.setuidExecution || caller.realUID != 0 {
            try checkExecutable(exe, nmGID: nmGID, system: system)
        }
        guard caller.realUID == 0 || system.callerIsInGroup(nmGID) else {
            throw RuntimeError(.invalidContainerExecPermissions, "caller uid \(caller.realUID) is not in group \(config.nmGroup)")
        }
        return RuntimeContext(system: system, config: config, configPath: path, nodeManagerUID: caller.realUID,
                              nodeManagerGID: nmGID, executablePath: exe)
    }

    /// `--checksetup` with `kata` allowed (or the default): Kata's configuration.toml and this host must be able to run
    /// the node's largest container as a VM with YARN's contract (annotations enabled, static sizing, maxmemory,
    /// guest seccomp, vCPUs, devices). Every reason at once, exit 76 (the code a launch would fail with).
    public static func kata(_ context: RuntimeContext) throws(RuntimeError) {
        let kata = context.kata
        guard kata.allowedRuntimes.contains("kata") || kata.defaultRuntime == "kata" || kata.optInRuntime == "kata"
              || kata.userRuntimes.values.contains("kata") else { return }
        let system = context.system
        let config = try KataConfigReader.load(explicit: kata.kataConfigPath, system: system)
        let needs = KataNeeds(annotations: BundlePlanner.kataHypervisorAnnotations,
                              vmMemoryMiB: max(kata.defaultMemoryMiB, kata.maxContainerMiB ?? 0) + kata.vmMemoryOverheadMiB,
                              vcpus: max(kata.defaultVCores, kata.maxContainerVCores ?? 0), seccomp: true,
                              hostCPUs: system.onlineCPUCount(), hostMemoryMiB: system.totalMemoryMiB(),
                              devices: KataConfigReader.devices(for: config.hypervisor, system: system))
        var problems = KataPreflight.problems(config, needs)
        if let status = try? system.fileStatus(kata.kataShimBinary), status.kind == .regular, status.mode & 0o111 != 0 {} else {
            problems.append("the Kata shim \(kata.kataShimBinary) is not installed ([kata] kata.shim.binary)")
        }
        guard problems.isEmpty else {
            throw RuntimeError(.runcSetupFailed, "kata is allowed but cannot run here: " + problems.joined(separator: "; ")
                               + " (remove kata from [kata] runtime.allowed on nodes without it)")
        }
    }

    /// The floors below which an operation could fail half way and leave privileged debris: the caller chooses our
    /// limits, and where root cannot raise them (C prologue) the operation is refused before it touches anything.
    public static let minimumOpenFiles: UInt64 = 64
    public static let minimumFileSize: UInt64 = 64 << 20

    public static func requireWorkableLimits(system: any System) throws(RuntimeError) {
        let limits = system.softLimits()
        if let files = limits.openFiles, files < minimumOpenFiles {
            throw RuntimeError(.generalFailure, "open-file limit (RLIMIT_NOFILE) is \(files); at least \(minimumOpenFiles) needed")
        }
        if let size = limits.fileSize, size < minimumFileSize {
            throw RuntimeError(.generalFailure, "file-size limit (RLIMIT_FSIZE) is \(size) bytes; at least \(minimumFileSize) needed")
        }
    }

    /// `<realpath of binary dir>/../etc/hadoop/container-executor.cfg`, Hadoop's default layout.
    static func defaultConfigPath(executable: String, system: any System) throws(RuntimeError) -> String {
        let binDir = try AbsolutePath(executable, code: .invalidConfigFile).parent
        guard let resolved = system.realPath(binDir.parent.value + "/etc/hadoop") else {
            throw RuntimeError(.invalidConfigFile, "configuration directory \(binDir.parent.value)/etc/hadoop not found")
        }
        return resolved + "/container-executor.cfg"
    }

    /// The file and every ancestor up to, not including, `/`: owned by root, not group- or other-writable.
    static func checkConfigPermissions(_ path: String, system: any System) throws(RuntimeError) {
        var current = try AbsolutePath(path, code: .invalidConfigFile)
        while current.value != "/" {
            guard let status = try system.fileStatus(current.value, code: .invalidConfigFile) else {
                throw RuntimeError(.invalidConfigFile, "configuration file \(path) not found")
            }
            guard status.kind != .symlink else { throw RuntimeError(.invalidConfigFile, "\(current) is a symlink") }
            guard status.uid == 0 else { throw RuntimeError(.invalidConfigFile, "\(current) must be owned by root") }
            guard status.mode & 0o022 == 0 else { throw RuntimeError(.invalidConfigFile, "\(current) must not be group or other writable") }
            current = current.parent
        }
    }

    /// Hadoop's `check_executor_permissions`.
    static func checkExecutable(_ exe: String, nmGID: UInt32, system: any System) throws(RuntimeError) {
        guard let status = try system.fileStatus(exe, code: .invalidContainerExecPermissions) else {
            throw RuntimeError(.invalidContainerExecPermissions, "cannot stat \(exe)")
        }
        guard status.uid == 0 else { throw RuntimeError(.invalidContainerExecPermissions, "\(exe) must be owned by root") }
        guard status.gid == nmGID else { throw RuntimeError(.invalidContainerExecPermissions, "\(exe) must be group-owned by the NodeManager group") }
        guard status.mode & 0o007 == 0 else { throw RuntimeError(.invalidContainerExecPermissions, "\(exe) must have no permissions for others") }
        guard status.mode & 0o4000 != 0 else { throw RuntimeError(.invalidContainerExecPermissions, "\(exe) must be setuid root") }
    }
}
