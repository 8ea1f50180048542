import LinuxSystem
import RuntimeBase
import StrictJSON

/// `none`: no sandbox, which is what Hadoop's default container runtime gives every container that did not opt
/// into one. The bundle's process runs on the host as container-executor runs `launch_container.sh`: as the user
/// (ids and groups from `process.user`), in a session of its own so `kill(-pid)` reaches everything it started,
/// with no capability, no_new_privs, the bundle's environment, cwd and umask. The in-container init is not used:
/// the script itself is the pid YARN sees. No namespaces, no cgroup limits, no seccomp: choose it only for
/// containers that are not to be sandboxed (`[kata] runtime.default=none`, docs/install.md).
public struct HostProcessDriver: RuntimeDriver {
    public let name = "none"
    /// `<state>/runtimes/none`: one file per container holding its pid and uid, for later processes.
    public let stateRoot: AbsolutePath
    /// The in-container init's path in `process.args`, dropped here.
    public let initPath: String
    let system: any System

    public init(stateRoot: AbsolutePath, initPath: String, system: any System) {
        self.stateRoot = stateRoot; self.initPath = initPath; self.system = system
    }

    struct Process { var args: [String], env: [String], cwd: String, uid: UInt32, gid: UInt32, groups: [UInt32], umask: UInt32 }

    static func process(from config: [UInt8]) throws(RuntimeError) -> Process {
        func invalid(_ what: String) -> RuntimeError { RuntimeError(.runcSetupFailed, "bundle config.json: \(what)") }
        let doc: JSONValue
        do { doc = try JSONParser().parse(config) } catch { throw invalid("not valid JSON") }
        guard let process = doc["process"], let user = process["user"],
              let args = process["args"]?.arrayValue?.compactMap(\.stringValue), !args.isEmpty,
              let env = process["env"]?.arrayValue?.compactMap(\.stringValue), let cwd = process["cwd"]?.stringValue,
              let uid = user["uid"]?.int64Value, let gid = user["gid"]?.int64Value, uid > 0 else {
            throw invalid("process args, env, cwd and a non-root user are required")
        }
        let groups = (user["additionalGids"]?.arrayValue ?? []).compactMap(\.int64Value).map { UInt32(truncatingIfNeeded: $0) }
        let umask = user["umask"]?.int64Value.map { UInt32(truncatingIfNeeded: $0) } ?? 0o027
        return Process(args: args, env: env, cwd: cwd, uid: UInt32(truncatingIfNeeded: uid), gid: UInt32(truncatingIfNeeded: gid),
                       groups: [UInt32(truncatingIfNeeded: gid)] + groups, umask: umask)
    }

    func stateFile(_ id: ContainerId) throws(RuntimeError) -> AbsolutePath { try stateRoot.appending(id.value) }

    public func start(_ request: StartRequest) throws(RuntimeError) -> StartedContainer {
        let config = try system.readFile(try request.bundle.appending("config.json").value, maxBytes: 4 << 20, code: .runcSetupFailed)
        var process = try Self.process(from: config)
        if process.args.first == initPath { process.args.removeFirst() }
        guard let program = process.args.first, program.hasPrefix("/") else {
            throw RuntimeError(.runcSetupFailed, "none: the container's program must be an absolute path")
        }
        try system.makeDirectory(stateRoot.parent.value, mode: 0o700, owner: (0, 0), code: .runcSetupFailed)
        try system.makeDirectory(stateRoot.value, mode: 0o700, owner: (0, 0), code: .runcSetupFailed)
        let pid = try system.spawn(SpawnRequest(
            path: program, arguments: process.args, environment: process.env, fdMap: request.stdio,
            workingDirectory: process.cwd, newSession: true, identity: (process.uid, process.gid, process.groups),
            dropCapabilities: true, noNewPrivileges: true, ignoreHangup: true, umask: process.umask), code: .unableToExecuteContainerScript)
        try system.writeFileAtomically(try stateFile(request.id).value, Array("\(pid) \(process.uid)".utf8), mode: 0o600,
                                       owner: nil, code: .runcSetupFailed)
        return StartedContainer(id: request.id, pid: pid, supervisor: pid)
    }

    public func wait(_ container: StartedContainer) throws(RuntimeError) -> Int32 {
        try system.waitForExit(container.supervisor ?? container.pid)
    }

    /// The recorded pid, if its process still is the container: alive, the user's, leading its own group.
    func live(_ id: ContainerId) throws(RuntimeError) -> (pid: Int32, known: Bool) {
        let file = try stateFile(id)
        guard try system.fileStatus(file.value, code: .generalFailure) != nil else { return (0, false) }
        let fields = String(decoding: try system.readFile(file.value, maxBytes: 64, code: .generalFailure), as: UTF8.self).split(separator: " ")
        guard fields.count == 2, let pid = Int32(fields[0]), let uid = UInt32(fields[1]), pid > 1 else { return (0, true) }
        guard let owner = system.processOwner(pid), owner.realUID == uid, owner.processGroup == pid else { return (0, true) }
        return (pid, true)
    }

    public func kill(id: ContainerId, signal: Int32) throws(RuntimeError) {
        let (pid, _) = try live(id)
        guard pid > 1, try system.sendSignal(signal, to: -pid) else {
            throw RuntimeError(.invalidContainerPid, "none: container \(id) is not running")
        }
    }

    public func state(id: ContainerId) throws(RuntimeError) -> RuntimeState? {
        let (pid, known) = try live(id)
        guard known else { return nil }
        return pid > 1 ? RuntimeState(status: .running, pid: pid) : RuntimeState(status: .stopped, pid: nil)
    }

    public func delete(id: ContainerId) throws(RuntimeError) {
        let (pid, known) = try live(id)
        guard known else { return }
        if pid > 1 { _ = try system.sendSignal(9, to: -pid) }
        try system.removeFile(try stateFile(id).value, code: .generalFailure)
    }
}
