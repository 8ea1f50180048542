import BundleBuilder
import HadoopConfig
import LinuxSystem
import NetworkPlanner
import RuntimeBase
import YarnContract

/// Materialises what the pure planners decided, on disk: YARN's directories and copies (`LayoutPlan`), the OCI
/// bundle (`BundlePlan`), the container's stdio files. Each path it makes on the NodeManager's disks is staged, so
/// a launch that fails before its container starts can take it back.
struct BundleWriter {
    let context: RuntimeContext

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
            let code = dir.failure
            let outcome = try system.makeDirectory(dir.path.value, mode: dir.mode, owner: owner, code: code)
            staged.record(dir.path, directory: true, outcome: outcome)
            if outcome == .existed, let status = try system.fileStatus(dir.path.value), status.kind != .directory || status.uid != user.uid {
                throw RuntimeError(code, "\(dir.path) exists but is not a directory owned by \(user.name)")
            }
        }
        for copy in layout.copies {
            let code = copy.failure
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
        let bundle = try containerDir.appending("bundle")
        let plan = try BundlePlanner.plan(request, config: context.kata, host: facts, runtime: runtime, bundleDirectory: bundle,
                                          network: network)
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
}
