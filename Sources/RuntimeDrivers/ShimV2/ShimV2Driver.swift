import LinuxSystem
import RuntimeBase
import TTRPC

/// Runs containers through a containerd shim v2 (`containerd-shim-kata-v2`, `containerd-shim-runc-v2`, …)
/// spoken to directly over ttrpc: no containerd daemon. Per container: the shim's `start` action spawns one
/// shim daemon and prints its socket; we keep that address in `<stateDirectory>/<id>/shim.json`, so that any
/// later process can reconnect; then Create + Start. `delete` ends with Delete + Shutdown, or the shim's own
/// `delete` action when the daemon is gone. Events: `TTRPC_ADDRESS` is left unset (the shim only logs them,
/// see docs/kata.md) and `-publish-binary` names a program that exits 0 without reading (`/usr/bin/true`).
public struct ShimV2Driver: RuntimeDriver {
    public let name: String
    public let shimBinary: AbsolutePath
    public let stateDirectory: AbsolutePath
    /// `KATA_CONF_FILE` for the shim (Kata reads it when neither an annotation nor Create options name a config).
    public let kataConfigPath: AbsolutePath?
    /// Kata cannot boot a VM without KVM; refuse early with a clear reason instead of a timeout inside Create.
    public let requiresKVM: Bool
    /// Kata's agent before 3.32 reports a signal death as the bare signal number (9 for SIGKILL) instead of
    /// 128+signal: map it back by the signals this driver sent (see `ShimExitStatus`). On for `kata`.
    public var mapsRawSignalExits: Bool
    /// Hand stdout as a `file://` URI (stderr joins it) instead of plain paths. Kata opens a plain path like a FIFO,
    /// O_RDWR without O_APPEND, so a relaunch into the same log file would overwrite it from offset 0; its `file`
    /// scheme opens O_CREATE|O_APPEND|O_WRONLY. On for `kata`.
    public var stdioAsFileURI: Bool
    public var namespace = "kata-yarn"
    public var publishBinary: AbsolutePath
    /// Deadline for Connect/Start/State/Kill/Delete/Shutdown calls.
    public var callTimeoutMilliseconds = 10_000
    /// Create runs `runc create` or boots a VM: much longer.
    public var createTimeoutMilliseconds: Int
    let system: any System

    public init(name: String, shimBinary: AbsolutePath, stateDirectory: AbsolutePath, kataConfigPath: AbsolutePath? = nil,
                requiresKVM: Bool = false, system: any System = LiveSystem()) throws(RuntimeError) {
        self.name = name; self.shimBinary = shimBinary; self.stateDirectory = stateDirectory
        self.kataConfigPath = kataConfigPath; self.requiresKVM = requiresKVM; self.system = system
        mapsRawSignalExits = requiresKVM
        stdioAsFileURI = requiresKVM
        publishBinary = try AbsolutePath("/usr/bin/true")
        createTimeoutMilliseconds = requiresKVM ? 120_000 : 60_000
    }

    /// `kata`: Kata Containers' shim, a VM per container.
    public static func kata(shimBinary: AbsolutePath, configPath: AbsolutePath?, stateDirectory: AbsolutePath,
                            system: any System = LiveSystem()) throws(RuntimeError) -> ShimV2Driver {
        try ShimV2Driver(name: "kata", shimBinary: shimBinary, stateDirectory: stateDirectory, kataConfigPath: configPath,
                         requiresKVM: true, system: system)
    }

    /// `shim:<name>` → `<shimDirectory>/containerd-shim-<name>-v2`; `shim:containerd-shim-<name>-v2` names the
    /// binary itself (both spellings select the same shim).
    public static func named(_ runtime: String, shimDirectory: AbsolutePath, stateDirectory: AbsolutePath,
                             system: any System = LiveSystem()) throws(RuntimeError) -> ShimV2Driver {
        let shim = runtime.hasPrefix("shim:") ? String(runtime.dropFirst(5)) : ""
        guard !shim.isEmpty, shim.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) }), shim != ".", shim != ".." else {
            throw RuntimeError(.runcSetupFailed, "not a shim runtime name: \(Redact.short(runtime)) (expected shim:<name>)")
        }
        let binary = shim.hasPrefix("containerd-shim-") ? shim : "containerd-shim-\(shim)-v2"
        return try ShimV2Driver(name: runtime, shimBinary: try shimDirectory.appending(binary),
                                stateDirectory: stateDirectory, system: system)
    }

    var bootstrap: ShimBootstrap {
        var environment = ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]
        if let kataConfigPath { environment.append("KATA_CONF_FILE=\(kataConfigPath.value)") }
        return ShimBootstrap(binary: shimBinary, namespace: namespace, publishBinary: publishBinary, environment: environment, system: system)
    }

    // MARK: RuntimeDriver

    public func start(_ request: StartRequest) throws(RuntimeError) -> StartedContainer {
        let facts = try ShimBundleFacts.read(bundle: request.bundle, id: request.id, system: system)
        try preflight(facts)
        let layout = try ShimLayout(stateDirectory: stateDirectory, id: request.id)
        try prepareStateDirectory(layout, id: request.id, bundle: request.bundle)
        var record: ShimRecord
        do {
            // The daemon opens <bundle>/log for its stderr before serving; a plain file (not containerd's FIFO)
            // needs no reader, so a launcher that dies cannot block the shim or break its pipe.
            try system.writeFileAtomically(try request.bundle.appending("log").value, [], mode: 0o600, code: .runcSetupFailed)
            let address = try bootstrap.start(id: request.id, bundle: request.bundle, layout: layout)
            record = ShimRecord(runtime: name, shimBinary: shimBinary.value, namespace: namespace, id: request.id.value,
                                bundle: request.bundle.value, bundleAlias: try layout.alias(for: request.id).value,
                                address: address, containerdAddress: try layout.containerdAddress.value)
            try save(record, layout)
        } catch {
            _ = try? system.removeTree(layout.directory.value)
            throw error
        }
        var stage = "connect to"
        do throws(RuntimeError) {
            let client = try call { () throws(TTRPCError) in try taskClient(record) }
            record.shimPid = Int32(bitPattern: try call { () throws(TTRPCError) in try client.connect() }.shimPid)
            try save(record, layout)
            stage = "create"
            let stdio = ShimStdio(fds: request.stdio, pid: system.currentPid(), fileURI: stdioAsFileURI)
            let created = try call { () throws(TTRPCError) in
                try client.create(bundle: request.bundle.value, stdio: stdio, timeoutMilliseconds: createTimeoutMilliseconds)
            }
            record.taskPid = Int32(bitPattern: created)
            try save(record, layout)
            stage = "start"
            _ = try call { () throws(TTRPCError) in try client.start() }
            return StartedContainer(id: request.id, pid: record.taskPid, supervisor: nil)
        } catch {
            let code: ExitCode = stage == "start" ? .runcRunFailed : .runcSetupFailed
            let vm = facts.vmSummary.isEmpty ? "" : " (vm: \(facts.vmSummary))"
            let failure = RuntimeError(code, "\(name) shim: \(stage) \(request.id)\(vm): \(error.message)\(shimLogTail(record))",
                                       errno: error.errno, stage: "shim \(stage)")
            try? teardown(record, layout: layout)
            throw failure
        }
    }

    public func wait(_ container: StartedContainer) throws(RuntimeError) -> Int32 {
        guard let (record, _) = try load(container.id) else {
            throw RuntimeError(.runcRunFailed, "\(name): no shim state for \(container.id) to wait on")
        }
        let status: Int32
        do {
            let client = try taskClient(record)
            status = Int32(bitPattern: try client.wait(timeoutMilliseconds: nil))
        } catch {
            throw error.runtimeError(.runcRunFailed, "\(name) shim: wait for \(container.id)")
        }
        guard mapsRawSignalExits else { return status }
        return ShimExitStatus.normalized(status, signalsSent: signalsSent(container.id))
    }

    /// The signals `kill` sent to this container, from any process (`<state>/<id>/signals`, one number a line).
    func signalsSent(_ id: ContainerId) -> Set<Int32> {
        guard let layout = try? ShimLayout(stateDirectory: stateDirectory, id: id), let path = try? layout.signals.value,
              let bytes = try? system.readFile(path, maxBytes: 64 << 10, code: .generalFailure) else { return [] }
        return Set(String(decoding: bytes, as: UTF8.self).split(separator: "\n").compactMap { Int32($0) })
    }

    public func kill(id: ContainerId, signal: Int32) throws(RuntimeError) {
        guard signal >= 0, let (record, _) = try load(id) else {
            throw RuntimeError(.invalidContainerPid, "\(name): no container \(id) to signal")
        }
        if mapsRawSignalExits {   // before the signal: a Wait that returns at once must already see it
            let sent = signalsSent(id).union([signal])
            let text = sent.sorted().map(String.init).joined(separator: "\n") + "\n"
            try system.writeFileAtomically(try layout(id).signals.value, Array(text.utf8), mode: 0o600, code: .unableToSignalContainer)
        }
        do {
            let client = try taskClient(record)
            try client.kill(signal: UInt32(signal), all: false)
        } catch {
            // NOT_FOUND: no such task, or "process already finished".
            if error.statusCode == .notFound { throw RuntimeError(.invalidContainerPid, "\(name): container \(id) is not running") }
            throw error.runtimeError(.unableToSignalContainer, "\(name) shim: signal \(signal) to \(id)")
        }
    }

    public func state(id: ContainerId) throws(RuntimeError) -> RuntimeState? {
        guard let (record, _) = try load(id) else { return nil }
        let response: Containerd_Task_V2_StateResponse
        do { response = try taskClient(record).state() } catch {
            if error.statusCode == .notFound { return nil }
            // State left behind by a shim that is gone: something to clean up, nothing to report on.
            return RuntimeState(status: .unknown, pid: nil)
        }
        let pid = Int32(bitPattern: response.pid)
        switch response.status {
        case .created: return RuntimeState(status: .created, pid: pid)
        case .running, .pausing: return RuntimeState(status: .running, pid: pid)
        case .paused: return RuntimeState(status: .paused, pid: pid)
        case .stopped: return RuntimeState(status: .stopped, pid: pid, exitStatus: Int32(bitPattern: response.exitStatus))
        default: return RuntimeState(status: .unknown, pid: pid == 0 ? nil : pid)
        }
    }

    public func delete(id: ContainerId) throws(RuntimeError) {
        let layout = try ShimLayout(stateDirectory: stateDirectory, id: id)
        guard let (record, _) = try load(id) else {
            // A start that died before writing shim.json leaves at most the alias and stderr file.
            try system.removeTree(layout.directory.value, code: .generalFailure)
            return
        }
        try teardown(record, layout: layout)
    }

    // MARK: helpers shared with the teardown and inspection extensions

    func taskClient(_ record: ShimRecord) throws(TTRPCError) -> ShimTaskClient {
        try ShimTaskClient(socketPath: record.socketPath, id: record.id, callTimeoutMilliseconds: callTimeoutMilliseconds, system: system)
    }

    /// Runs a ttrpc step; its failure becomes the RuntimeError the caller re-labels with the stage's code.
    func call<T>(_ body: () throws(TTRPCError) -> T) throws(RuntimeError) -> T {
        do { return try body() } catch { throw error.runtimeError(.runcSetupFailed, "ttrpc") }
    }

    func save(_ record: ShimRecord, _ layout: ShimLayout) throws(RuntimeError) {
        try system.writeFileAtomically(try layout.record.value, record.encoded(), mode: 0o600, code: .runcSetupFailed)
    }

    func layout(_ id: ContainerId) throws(RuntimeError) -> ShimLayout { try ShimLayout(stateDirectory: stateDirectory, id: id) }

    func load(_ id: ContainerId) throws(RuntimeError) -> (ShimRecord, ShimLayout)? {
        let layout = try ShimLayout(stateDirectory: stateDirectory, id: id)
        let path = try layout.record.value
        guard try system.fileStatus(path) != nil else { return nil }
        let record = try ShimRecord(decoding: try system.readFile(path, maxBytes: 64 << 10, code: .generalFailure), path: path)
        guard record.id == id.value else { throw RuntimeError(.generalFailure, "shim state \(path) belongs to \(record.id)") }
        return (record, layout)
    }
}
