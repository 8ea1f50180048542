import LinuxSystem
import RuntimeBase
import StrictJSON

/// Drives an OCI runtime through its command line (runc, runsc). The container runs under a foreground
/// `<runtime> run` that we spawn and reap: its exit status is the container's, and its `--pid-file` gives the
/// container init's host pid. Each flavour keeps its own state root, so `runc list` never shows runsc's containers.
public struct OCICLIDriver: RuntimeDriver {
    public enum Flavor: String, Sendable { case runc, runsc }

    public let flavor: Flavor
    public let binary: AbsolutePath
    public let stateRoot: AbsolutePath
    /// `host`, `none` or `sandbox` (runsc's --network flag; `sandbox` = netstack in the namespace the bundle
    /// names, for routed networking); runc follows the bundle's namespaces.
    public let network: String
    let system: any System
    /// How long `start` waits for the runtime to write the init pid before giving up.
    let startTimeoutMilliseconds: Int

    public var name: String { flavor.rawValue }

    public init(flavor: Flavor, binary: AbsolutePath, stateRoot: AbsolutePath, network: String, system: any System,
                startTimeoutMilliseconds: Int = 120_000) {
        self.flavor = flavor; self.binary = binary; self.stateRoot = stateRoot; self.network = network
        self.system = system; self.startTimeoutMilliseconds = startTimeoutMilliseconds
    }

    static let environment = ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]
    /// How long `start` polls for the pid file every millisecond before backing off to 20 ms.
    static let fastPollNanoseconds: UInt64 = 500_000_000

    /// Global flags that place all state under our root (never the runtime's default /run/runc).
    var globalArguments: [String] {
        switch flavor {
        case .runc: return [binary.value, "--root", stateRoot.value]
        // --oci-seccomp: enforce the bundle's seccomp profile inside the sentry too (off by default in runsc).
        case .runsc: return [binary.value, "--root", stateRoot.value, "--network=\(network)", "--oci-seccomp"]
        }
    }

    func ensureAvailable() throws(RuntimeError) {
        guard let status = try? system.fileStatus(binary.value), status.kind == .regular, status.mode & 0o111 != 0 else {
            throw RuntimeError(.runcSetupFailed, "\(flavor.rawValue) is not installed at \(binary) (install Debian's \(flavor.rawValue) package or set [kata] \(flavor.rawValue).binary)")
        }
        try system.makeDirectory(stateRoot.parent.value, mode: 0o700, owner: (0, 0), code: .runcSetupFailed)
        try system.makeDirectory(stateRoot.value, mode: 0o700, owner: (0, 0), code: .runcSetupFailed)
    }

    public func start(_ request: StartRequest) throws(RuntimeError) -> StartedContainer {
        try ensureAvailable()
        let pidFile = try request.workDirectory.appending("\(flavor.rawValue).pid")
        try system.removeFile(pidFile.value, code: .runcSetupFailed)
        var arguments = globalArguments
        if flavor == .runc { arguments += ["--log", try request.workDirectory.appending("runc.log").value] }
        arguments += ["run", "--bundle", request.bundle.value, "--pid-file", pidFile.value, request.id.value]
        var run = SpawnRequest(
            path: binary.value, arguments: arguments, environment: Self.environment, fdMap: request.stdio,
            workingDirectory: request.bundle.value, newSession: true, ignoreHangup: true, umask: 0o022)
        // runsc's own netstack in the container's namespace: Debian's runsc would take it for the root namespace.
        run.maskProcSysNet = flavor == .runsc && network == "sandbox"
        let supervisor = try system.spawn(run, code: .runcRunFailed)
        let spawnedAt = system.monotonicNanoseconds()
        let deadline = spawnedAt + UInt64(startTimeoutMilliseconds) * 1_000_000
        var pause = 1
        while true {
            if let pid = readPid(pidFile) { return StartedContainer(id: request.id, pid: pid, supervisor: supervisor) }
            if let status = try system.pollExit(supervisor) {
                // The runtime ended before we saw a pid: the container failed to start (no pid file), or ran
                // and exited within our polling interval (pid file written). Either way its status is the result.
                return StartedContainer(id: request.id, pid: readPid(pidFile) ?? 0, supervisor: nil, finishedStatus: status)
            }
            if system.monotonicNanoseconds() > deadline {
                _ = try? system.sendSignal(9, to: supervisor)
                _ = try? system.waitForExit(supervisor)
                throw RuntimeError(.runcRunFailed, "\(flavor.rawValue) did not start \(request.id) within \(startTimeoutMilliseconds) ms")
            }
            system.sleep(milliseconds: pause)
            // Poll every millisecond while runc/runsc usually start (tens to hundreds of ms), then back off: the
            // old 1, 2, 4 … 20 ms backoff made the pid file, and the exit of a container that ends quickly, wait up
            // to 20 ms after the runtime was done (docs/benchmarks.md). inotify would wake at once, but closing an
            // inotify descriptor waits for an SRCU grace period in the kernel, which costs as much.
            if system.monotonicNanoseconds() - spawnedAt > Self.fastPollNanoseconds { pause = min(pause * 2, 20) }
        }
    }

    public func wait(_ container: StartedContainer) throws(RuntimeError) -> Int32 {
        if let status = container.finishedStatus { return status }
        guard let supervisor = container.supervisor else { throw RuntimeError(.runcRunFailed, "no runtime process to wait for") }
        return try system.waitForExit(supervisor)
    }

    public func kill(id: ContainerId, signal: Int32) throws(RuntimeError) {
        try ensureAvailable()
        let result = try system.run(SpawnRequest(path: binary.value, arguments: globalArguments + ["kill", id.value, String(signal)],
                                                 environment: Self.environment, fdMap: [-1, -1, -1]), code: .unableToSignalContainer)
        guard result.status == 0 else {
            if try state(id: id)?.status != .running {
                throw RuntimeError(.invalidContainerPid, "container \(id) is not running")
            }
            throw RuntimeError(.unableToSignalContainer, "\(flavor.rawValue) kill \(id) \(signal) failed with status \(result.status)")
        }
    }

    public func state(id: ContainerId) throws(RuntimeError) -> RuntimeState? {
        let result = try system.run(SpawnRequest(path: binary.value, arguments: globalArguments + ["state", id.value],
                                                 environment: Self.environment, fdMap: [-1, -1, -1]), code: .generalFailure)
        guard result.status == 0, let document = try? JSONParser().parse(result.output) else { return nil }
        let status = RuntimeState.Status(rawValue: document["status"]?.stringValue ?? "") ?? .unknown
        let pid = document["pid"]?.int64Value.map { Int32(truncatingIfNeeded: $0) }
        return RuntimeState(status: status, pid: pid == 0 ? nil : pid)
    }

    public func delete(id: ContainerId) throws(RuntimeError) {
        guard try state(id: id) != nil else { return }
        let result = try system.run(SpawnRequest(path: binary.value, arguments: globalArguments + ["delete", "--force", id.value],
                                                 environment: Self.environment, fdMap: [-1, -1, 2]), code: .generalFailure)
        if result.status != 0, try state(id: id) != nil {
            throw RuntimeError(.generalFailure, "\(flavor.rawValue) delete \(id) failed with status \(result.status)")
        }
    }

    func readPid(_ file: AbsolutePath) -> Int32? {
        guard let bytes = try? system.readFile(file.value, maxBytes: 64, code: .runcRunFailed) else { return nil }
        let text = String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: " \n\t")
        guard let pid = Int32(text), pid > 0 else { return nil }
        return pid
    }
}

extension String {
    func trimmingCharacters(in set: String) -> String {
        var scalars = Substring(self)
        while let first = scalars.first, set.contains(first) { scalars = scalars.dropFirst() }
        while let last = scalars.last, set.contains(last) { scalars = scalars.dropLast() }
        return String(scalars)
    }
}
