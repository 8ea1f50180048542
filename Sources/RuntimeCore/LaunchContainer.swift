import BundleBuilder
import HadoopConfig
import LinuxSystem
import NetworkPlanner
import OCISpec
import RuntimeBase
import RuntimeDrivers
import StrictJSON
import YarnContract

/// A YARN launch in a sandbox, with operation 1's observable contract: YARN's directories and copies with
/// Hadoop's modes; the pid file written atomically as the NodeManager as soon as the container's init exists;
/// blocking for the container's life; `<pidfile>.exitcode` written as the NodeManager; exit status = the
/// container's (128+signal for signal deaths); and nothing left behind: runtime state, bundle, index entry.
public struct LaunchContainer {
    let context: RuntimeContext

    public init(context: RuntimeContext) { self.context = context }

    public func run(_ request: LaunchRequest) throws(RuntimeError) -> Int32 {
        let system = context.system
        let user = try UserPolicy.validate(request.users.runAsUser, in: context)
        let runtime = try RuntimeSelection.choose(requested: request.requestedRuntime, user: user.name, config: context.kata,
                                                  optedIn: request.optedIntoSandbox)
        let networkMode = try NetworkMode.resolve(runtime: runtime, requested: request.requestedNetwork, settings: context.kata.networking)
        let network = ContainerNetwork(context: context)
        // The runtime and its network stack are chosen once, before the driver exists: runsc's stack (its own
        // netstack or the namespace's Linux stack) matters only in a namespace of the container's own.
        let runscStack = runtime == "runsc" && networkMode == .routed ? network.runscStack() : nil
        let kernelStack = RuntimeSelection.usesNamespaceStack(runtime) || runscStack == "host"
        let driver = try RuntimeSelection.driver(named: runtime, context: context, network: networkMode, runscStack: runscStack)
        system.ignoreHangupAndPipe()

        // Everything is checked before anything is written: the roots, the plan, the NM's files, the id.
        let roots = NodeManagerRoots(context: context)
        try roots.check(request.localDirectories, code: .couldNotCreateWorkDirectories)
        try roots.check(request.logDirectories, code: .couldNotCreateAppLogDirectories)
        let layout = try LayoutPlanner.plan(request)
        // Read what the NodeManager hands over as the NodeManager: it can only give us files it can read.
        var sources: [AbsolutePath: [UInt8]] = [:]
        try context.asNodeManager { () throws(RuntimeError) in
            for copy in layout.copies {
                sources[copy.source] = try system.readFile(copy.source.value, maxBytes: 64 << 20, code: .invalidNMRootDirs)
            }
        }
        let store = StateStore(system: system, root: try context.stateRoot)
        // A launch of this id that died before recording its container may have left a network behind.
        try network.reclaimDebris(of: request.containerId, store: store)
        // Claims the id: a second launch of a live container stops here, before it stages anything.
        let containerDir = try store.create(request.containerId)
        let writer = BundleWriter(context: context)
        var staged = StagedPaths()
        var started: StartedContainer?
        var stdio: [Int32] = []
        defer { stdio.forEach(system.closeDescriptor) }
        let image = try ImageMounts(system: system, containerDirectory: containerDir)
        let layers = request.image?.layers ?? []
        let status: Int32
        do throws(RuntimeError) {
            try writer.prepareLayout(layout, sources: sources, user: user, staged: &staged)
            let imageRootfs = layers.isEmpty ? nil : try image.mount(layers, user: user)
            var attachment: (NetworkAttachment, ContainerNetworkPlan)?
            if networkMode == .routed {
                attachment = try network.attach(request, store: store, containerDir: containerDir, kernelStack: kernelStack)
            }
            let bundle = try writer.writeBundle(request, user: user, runtime: runtime, containerDir: containerDir, imageRootfs: imageRootfs,
                                                network: networkMode, attachment: attachment?.0)
            stdio = try writer.openStdio(request, user: user, staged: &staged)
            let startedAt = system.monotonicNanoseconds()
            let container = try driver.start(StartRequest(id: request.containerId, bundle: bundle, stdio: stdio, workDirectory: containerDir))
            started = container
            guard container.pid > 0 else {
                let log = (try? containerDir.appending("\(runtime).log")).flatMap { LogTail.read($0, system: system) }
                let stderr = (try? request.containerLogDirectories.first?.appending("sandbox.stderr"))?.map(\.value) ?? "the container's stderr"
                throw RuntimeError(.runcRunFailed, "\(runtime) could not start \(request.containerId) (status \(container.finishedStatus ?? -1))"
                                   + (log.map { "; \(runtime).log: \($0)" } ?? "") + "; the runtime's own messages are in \(stderr)")
            }
            var record = ContainerRecord(
                id: request.containerId, runtime: runtime, runAsUser: user.name, uid: user.uid, pid: container.pid,
                launcherPid: system.currentPid(), pidFile: request.pidFile.value, bundle: bundle.value, status: "running",
                startedAtMonotonicNs: startedAt)
            record.network = networkMode.rawValue
            record.address = attachment?.1.address.description
            record.hostname = attachment?.1.hostname
            record.nodeAddressPorts = attachment?.1.share.map { "\($0.nodeAddress):\($0.blockText)" }
            record.nodeManager = (context.nodeManagerUID, context.nodeManagerGID)
            record.runscNetwork = runscStack
            // The record first: a NodeManager that reads the pid file and signals at once must find its container.
            try store.save(record)
            try writePidFile(request, pid: container.pid)
            status = try driver.wait(container)
        } catch {
            var failures: [RuntimeError] = []
            if started != nil {
                do { try writeExitCode(request, status: ExitCode.runcRunFailed.rawValue) } catch { failures.append(error) }
            }
            failures += cleanUp(driver, request.containerId, store: store, image: image, layers: layers.count, network: network)
            if started == nil { failures += staged.remove(system) }   // a container that ran keeps its work dir
            for failure in failures { system.writeStandardError("cleanup after failed launch: \(failure.description)") }
            throw error
        }
        // The container has ended and its status is the answer; what fails from here on is reported, never
        // written over it. runsc chowns the stdio files it is handed to root: give them back for log aggregation.
        var failures: [RuntimeError] = []
        for fd in stdio.dropFirst() {
            do { try system.setOwner(of: fd, to: (user.uid, context.nodeManagerGID), code: .generalFailure) } catch { failures.append(error) }
        }
        do { try writeExitCode(request, status: status) } catch { failures.append(error) }
        failures += cleanUp(driver, request.containerId, store: store, image: image, layers: layers.count, network: network)
        for failure in failures.dropFirst() { system.writeStandardError("also: \(failure.description)") }
        if let first = failures.first { throw first }
        return status
    }

    /// Decimal, no newline, 0700, tmp + rename, as the NodeManager (Hadoop's `write_pid_to_file_as_nm`).
    func writePidFile(_ request: LaunchRequest, pid: Int32) throws(RuntimeError) {
        try context.asNodeManager { () throws(RuntimeError) in
            try context.system.writeFileAtomically(request.pidFile.value, Array(String(pid).utf8), mode: 0o700, code: .writePidfileFailed)
        }
    }

    func writeExitCode(_ request: LaunchRequest, status: Int32) throws(RuntimeError) {
        try context.asNodeManager { () throws(RuntimeError) in
            try context.system.writeFileAtomically(request.exitCodeFile.value, Array(String(status).utf8), mode: 0o700, code: .generalFailure)
        }
    }

    /// Every step runs whatever the others did; the record goes only once the runtime has let go of the
    /// container, so `gc` can still find one whose deletion failed. Returns the failures, first one first.
    func cleanUp(_ driver: any RuntimeDriver, _ id: ContainerId, store: StateStore, image: ImageMounts, layers: Int,
                 network: ContainerNetwork) -> [RuntimeError] {
        var failures: [RuntimeError] = []
        func attempt(_ step: () throws(RuntimeError) -> Void) { do { try step() } catch { failures.append(error) } }
        attempt { () throws(RuntimeError) in try driver.delete(id: id) }
        let runtimeReleased = failures.isEmpty
        if layers > 0 { attempt { () throws(RuntimeError) in try image.unmount(layerCount: layers) } }
        attempt { () throws(RuntimeError) in try network.detach(containerDir: try store.directory(for: id), store: store) }
        if runtimeReleased && failures.isEmpty { attempt { () throws(RuntimeError) in try store.remove(id) } }
        return failures
    }
}

extension AbsolutePath {
    /// `<local>/usercache` when this path is `<local>/usercache/<user>`.
    var usercacheRoot: AbsolutePath? { parent.lastComponent == "usercache" && components.count >= 2 ? parent : nil }
}
