import HadoopConfig
import LinuxSystem
import RuntimeBase
import TTRPC

/// Preflight before a shim runs, and the teardown that leaves no shim process, socket, runc state or state dir.
extension ShimV2Driver {
    func preflight(_ facts: ShimBundleFacts) throws(RuntimeError) {
        guard let status = try? system.fileStatus(shimBinary.value), status.kind == .regular, status.mode & 0o111 != 0 else {
            let hint = requiresKVM ? "install Kata Containers (docs/kata.md) or set [kata] kata.shim.binary"
                                   : "install the shim or set [kata] shim.directory"
            throw RuntimeError(.runcSetupFailed, "\(name): shim binary \(shimBinary) is not installed (\(hint))")
        }
        if requiresKVM {
            let config = try KataConfigReader.load(explicit: kataConfigPath?.value, system: system, runtime: name)
            let needs = KataNeeds(annotations: facts.hypervisorAnnotations, vmMemoryMiB: facts.memoryMiB ?? 0, vcpus: facts.vcpus ?? 1,
                                  seccomp: facts.seccomp, hostCPUs: system.onlineCPUCount(), hostMemoryMiB: system.totalMemoryMiB(),
                                  devices: KataConfigReader.devices(for: config.hypervisor, system: system))
            let problems = KataPreflight.problems(config, needs)
            if !problems.isEmpty {
                throw RuntimeError(.runcSetupFailed, "\(name): this host or Kata configuration cannot run the container: " + problems.joined(separator: "; "))
            }
        }
        guard system.pathExists(publishBinary.value) else {
            throw RuntimeError(.runcSetupFailed, "\(name): publish binary \(publishBinary) does not exist")
        }
    }

    func prepareStateDirectory(_ layout: ShimLayout, id: ContainerId, bundle: AbsolutePath) throws(RuntimeError) {
        try system.makeDirectory(stateDirectory.parent.value, mode: 0o700, owner: (0, 0), code: .runcSetupFailed)
        try system.makeDirectory(stateDirectory.value, mode: 0o700, owner: (0, 0), code: .runcSetupFailed)
        if try system.fileStatus(try layout.record.value) != nil {
            throw RuntimeError(.runcSetupFailed, "\(name): \(id) already has a shim (\(try layout.record)); delete it first")
        }
        _ = try? system.removeTree(layout.directory.value)   // leftovers of a start that died before shim.json
        try system.makeDirectory(layout.directory.value, mode: 0o700, owner: (0, 0), code: .runcSetupFailed)
        try system.createSymlink(bundle.value, at: try layout.alias(for: id).value, code: .runcSetupFailed)
    }

    /// Kill what still runs, Delete the task, Shutdown the shim (SIGKILL if it will not go); unless the shim deleted
    /// the task itself, run the binary's `delete` action. Then remove the socket and our state directory.
    func teardown(_ record: ShimRecord, layout: ShimLayout) throws(RuntimeError) {
        let id = try ContainerId(record.id)
        var taskDeleted = false, taskUnknown = false
        if let client = try? taskClient(record) {
            if let state = try? client.state(), [.created, .running, .paused, .pausing].contains(state.status) {
                _ = try? client.kill(signal: 9, all: true)
                _ = try? client.wait(timeoutMilliseconds: callTimeoutMilliseconds)
            }
            do { _ = try client.delete(); taskDeleted = true } catch { taskUnknown = error.statusCode == .notFound }
            if taskDeleted || taskUnknown { _ = try? client.shutdown() }
            client.connection.close()
        }
        var shimPid = record.shimPid
        if shimPid <= 0 { shimPid = findShimBySocket(record) ?? 0 }
        if !waitForExit(shimPid, milliseconds: 2_000), isShim(shimPid, binary: record.shimBinary) {
            _ = try? system.sendSignal(9, to: shimPid)
            _ = waitForExit(shimPid, milliseconds: 2_000)
        }
        if isShim(shimPid, binary: record.shimBinary) {
            throw RuntimeError(.generalFailure, "\(name): shim \(shimPid) for \(record.id) did not exit")
        }
        // Unless the shim itself deleted the task, run the binary's delete action: the daemon may have died, or a
        // failed Create may have left a runc container behind that the shim no longer tracks. It removes the
        // container through runc (the sandbox for Kata) and unmounts the rootfs; it needs the caller's bundle.
        var actionFailure: RuntimeError?
        if !taskDeleted, system.pathExists(record.bundle + "/config.json") {
            do { _ = try bootstrap.delete(id: id, bundle: record.bundle, layout: layout) } catch { actionFailure = error }
        }
        // A failed Create leaves no runtime state (no Kata sandbox in /run/vc/sbs, no runc `runtime` file), and the
        // action then fails on every try: that is "already gone" when the state is provably absent (or, for a shim
        // whose layout we do not know, when the live shim said NotFound). Otherwise keep shim.json so that a retry
        // runs the action again: the container may still be running.
        if let actionFailure {
            let stateDirectory = ShimRuntimeState.directory(runtime: record.runtime, shimBinary: record.shimBinary,
                                                            namespace: record.namespace, id: record.id)
            let exists = stateDirectory.map { system.pathExists($0) }
            guard ShimRuntimeState.actionFailureMeansGone(stateDirectoryExists: exists, liveShimSaidNotFound: taskUnknown) else {
                let still = stateDirectory.map { "; \($0) still exists" } ?? ""
                throw RuntimeError(actionFailure.code, actionFailure.message + still, errno: actionFailure.errno)
            }
        }
        // A shim killed before Shutdown leaves its socket file; only a socket is removed, never a file or dir.
        if record.socketPath.hasPrefix("/"), let status = try system.fileStatus(record.socketPath), status.kind == .other {
            try system.removeFile(record.socketPath, code: .generalFailure)
        }
        try system.removeTree(layout.directory.value, code: .generalFailure)
    }

    /// True once `pid` is gone (or a zombie; reaped here when it is our child, e.g. we are its subreaper).
    func waitForExit(_ pid: Int32, milliseconds: Int) -> Bool {
        guard pid > 0 else { return true }
        let deadline = system.monotonicNanoseconds() + UInt64(milliseconds) * 1_000_000
        while true {
            _ = try? system.pollExit(pid)
            if !isLive(pid) { return true }
            if system.monotonicNanoseconds() > deadline { return false }
            system.sleep(milliseconds: 5)
        }
    }

    /// Running and not a zombie, per /proc/<pid>/stat.
    func isLive(_ pid: Int32) -> Bool {
        guard pid > 0, let bytes = try? system.readFile("/proc/\(pid)/stat", maxBytes: 4096, code: .generalFailure),
              let close = bytes.lastIndex(of: UInt8(ascii: ")")), close + 2 < bytes.count else { return false }
        return bytes[close + 2] != UInt8(ascii: "Z") && bytes[close + 2] != UInt8(ascii: "X")
    }

    /// Guards every SIGKILL against pid reuse: the process must still be this shim binary.
    func isShim(_ pid: Int32, binary: String) -> Bool {
        guard isLive(pid), let exe = system.readSymlink("/proc/\(pid)/exe") else { return false }
        return exe == binary || exe == system.realPath(binary)
    }

    /// The daemon's pid from the socket's peer credentials, when shim.json was written before Connect answered.
    func findShimBySocket(_ record: ShimRecord) -> Int32? {
        guard let client = try? taskClient(record) else { return nil }
        defer { client.connection.close() }
        return client.connection.peer.pid
    }

    /// The end of the shim's own log (`<bundle>/log`), for error messages.
    func shimLogTail(_ record: ShimRecord?) -> String {
        guard let record, let bytes = try? system.readFile(record.bundle + "/log", maxBytes: 16 << 20, code: .generalFailure),
              !bytes.isEmpty else { return "" }
        return "; shim log: " + ShimBootstrap.lastLines(bytes)
    }
}

/// Read-only views for diagnostics and tests; each call reconnects from shim.json like any later process would.
extension ShimV2Driver {
    /// Host pids of the task's processes as the shim lists them.
    public func pids(id: ContainerId) throws(RuntimeError) -> [Int32] {
        guard let (record, _) = try load(id) else { throw RuntimeError(.invalidContainerPid, "\(name): no container \(id)") }
        do { return try taskClient(record).pids().map { Int32(bitPattern: $0) } } catch {
            throw error.runtimeError(.generalFailure, "\(name) shim: pids of \(id)")
        }
    }

    /// The Stats result's type (e.g. `io.containerd.cgroups.v1.Metrics`) and encoded size; decoding is left to tools.
    public func statsSummary(id: ContainerId) throws(RuntimeError) -> (typeURL: String, bytes: Int) {
        guard let (record, _) = try load(id) else { throw RuntimeError(.invalidContainerPid, "\(name): no container \(id)") }
        do { return try taskClient(record).stats() } catch { throw error.runtimeError(.generalFailure, "\(name) shim: stats of \(id)") }
    }

    /// The shim daemon's pid and socket as recorded in shim.json.
    public func shimProcess(id: ContainerId) throws(RuntimeError) -> (pid: Int32, socket: String)? {
        guard let (record, _) = try load(id) else { return nil }
        return (record.shimPid, record.socketPath)
    }
}
