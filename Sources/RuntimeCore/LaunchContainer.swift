import BundleBuilder
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
        var driver = try RuntimeSelection.driver(named: runtime, context: context, network: networkMode)
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
        let network = ContainerNetwork(context: context)
        // A launch of this id that died before recording its container may have left a network behind.
        try network.reclaimDebris(of: request.containerId, store: store)
        // Claims the id: a second launch of a live container stops here, before it stages anything.
        let containerDir = try store.create(request.containerId)
        var staged = StagedPaths()
        var started: StartedContainer?
        var stdio: [Int32] = []
        defer { stdio.forEach(system.closeDescriptor) }
        let image = try ImageMounts(system: system, containerDirectory: containerDir)
        let layers = request.image?.layers ?? []
        let status: Int32
        var runscStack: String?
        do throws(RuntimeError) {
            try prepareLayout(layout, sources: sources, user: user, staged: &staged)
            let imageRootfs = layers.isEmpty ? nil : try image.mount(layers, user: user)
            var attachment: (NetworkAttachment, ContainerNetworkPlan)?
            if networkMode == .routed {
                attachment = try network.attach(request, store: store, containerDir: containerDir) { _ throws(RuntimeError) in
                    guard runtime == "runsc" else { return RuntimeSelection.usesNamespaceStack(runtime) }
                    runscStack = network.runscStack()
                    return runscStack == "host"
                }
                if let runscStack {
                    driver = try RuntimeSelection.driver(named: runtime, context: context, network: networkMode, runscStack: runscStack)
                }
            }
            let bundle = try writeBundle(request, user: user, runtime: runtime, containerDir: containerDir, imageRootfs: imageRootfs,
                                         network: networkMode, attachment: attachment?.0)
            stdio = try openStdio(request, user: user, staged: &staged)
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

    /// Hadoop's `create_local_dirs` + copies: user dirs as root then chowned to user:NM group, O_EXCL copies.
    /// Every path is beneath a checked root (the plan derives them from the roots); each one made is staged.
    func prepareLayout(_ layout: LayoutPlan, sources: [AbsolutePath: [UInt8]], user: UserRecord, staged: inout StagedPaths) throws(RuntimeError) {
        let system = context.system
        // `<local>/usercache` belongs to the NodeManager; it normally exists, and a fresh local dir gets it here.
        for local in Set(layout.directories.compactMap { $0.path.usercacheRoot }).sorted(by: { $0.value < $1.value }) {
            let outcome = try system.makeDirectory(local.value, mode: 0o755, owner: (context.nodeManagerUID, context.nodeManagerGID), code: .couldNotCreateWorkDirectories)
            staged.record(local, directory: true, outcome: outcome)
        }
        for dir in layout.directories {
            let owner = dir.chownToUserAndNMGroup ? (user.uid, context.nodeManagerGID) : (user.uid, user.gid)
            let code = ExitCode(rawValue: dir.failure) ?? .couldNotCreateWorkDirectories
            let outcome = try system.makeDirectory(dir.path.value, mode: dir.mode, owner: owner, code: code)
            staged.record(dir.path, directory: true, outcome: outcome)
            if outcome == .existed, let status = try system.fileStatus(dir.path.value), status.kind != .directory || status.uid != user.uid {
                throw RuntimeError(code, "\(dir.path) exists but is not a directory owned by \(user.name)")
            }
        }
        for copy in layout.copies {
            let code = ExitCode(rawValue: copy.failure) ?? .couldNotCreateScriptCopy
            try system.createFile(copy.destination.value, sources[copy.source] ?? [], mode: copy.mode, owner: (user.uid, user.gid), code: code)
            staged.record(copy.destination, directory: false, outcome: .created)
        }
    }

    func writeBundle(_ request: LaunchRequest, user: UserRecord, runtime: String, containerDir: AbsolutePath,
                     imageRootfs: AbsolutePath?, network: NetworkMode, attachment: NetworkAttachment?) throws(RuntimeError) -> AbsolutePath {
        let system = context.system
        let seccomp = try SeccompLoader.load(context)
        var facts = try HostFactsProbe.gather(for: request, user: user, context: context, seccomp: seccomp)
        facts.imageRootfs = imageRootfs
        facts.network = attachment
        var config = context.kata
        config.network = network.rawValue   // the container's own mode (`none`: a private namespace, loopback only)
        let bundle = try containerDir.appending("bundle")
        let plan = try BundlePlanner.plan(request, config: config, host: facts, runtime: runtime, bundleDirectory: bundle)
        try system.makeDirectory(bundle.value, mode: 0o711, owner: (0, 0), code: .runcSetupFailed)
        if plan.ownsRootfs {
            let rootfs = try bundle.appending("rootfs")
            try system.makeDirectory(rootfs.value, mode: 0o755, owner: (0, 0), code: .runcSetupFailed)
            for (name, target) in plan.rootfsSymlinks.sorted(by: { $0.key < $1.key }) {
                try system.createSymlink(target, at: try rootfs.appending(name).value, code: .runcSetupFailed)
            }
        }
        if let etcView = plan.etcView { try EtcViewWriter.write(etcView, system: system) }   // kata: its own /etc
        try system.createFile(try bundle.appending("config.json").value, Array(plan.spec.encoded().utf8), mode: 0o600,
                              owner: (0, 0), code: .runcSetupFailed)
        return bundle
    }

    /// The container's own stdout/stderr go to `sandbox.stdout`/`sandbox.stderr` in its first log dir, owned by
    /// the user (container-executor closes them, so anything written before the script's own redirections was
    /// lost). Not `stdout`/`stderr`: YARN's script opens those by path, and gVisor refuses to open by path a file
    /// it was also handed as stdio. stdin is /dev/null.
    func openStdio(_ request: LaunchRequest, user: UserRecord, staged: inout StagedPaths) throws(RuntimeError) -> [Int32] {
        guard let logDir = request.containerLogDirectories.first else { throw RuntimeError(.couldNotCreateAppLogDirectories, "no log dir") }
        let system = context.system
        let owner = (user.uid, context.nodeManagerGID)
        var fds = [system.openDevNull()]
        for name in ["sandbox.stdout", "sandbox.stderr"] {
            let path = try logDir.appending(name)
            do { fds.append(try system.openForAppend(path.value, mode: 0o640, owner: owner, code: .couldNotCreateAppLogDirectories)) } catch {
                fds.forEach(system.closeDescriptor)
                throw error
            }
            // Ours alone when this launch made the log dir: then a failed launch takes the file back with it.
            if staged.made(logDir) { staged.record(path, directory: false, outcome: .created) }
        }
        return fds
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
