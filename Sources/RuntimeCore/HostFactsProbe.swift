import BundleBuilder
import HadoopConfig
import LinuxSystem
import RuntimeBase
import YarnContract

/// Gathers the host facts the pure planner needs (the only place the planner's inputs touch the system).
enum HostFactsProbe {
    static func gather(for request: LaunchRequest, user: UserRecord, context: RuntimeContext,
                       seccomp: OCISeccomp?) throws(RuntimeError) -> HostFacts {
        let system = context.system
        let writable = context.kata.readWriteMounts(for: request.users.runAsUser.value)
        var candidates: [String] = context.kata.hostDirectories + context.kata.readOnlyMounts + writable.shared
        for local in request.localDirectories {
            candidates.append(local.value + "/usercache/" + request.users.yarnUser.value + "/filecache")
            candidates.append(local.value + "/filecache")
        }
        var existing = Set<AbsolutePath>()
        for candidate in candidates {
            if let path = try? AbsolutePath(candidate), system.pathExists(path.value) { existing.insert(path) }
        }
        // A tenant's own writable directory must be a real directory of that user, reached without symlinks:
        // otherwise one tenant could point the mount at another's files. Missing: not mounted, like the others.
        for own in writable.own {
            let path = try AbsolutePath(own, code: .invalidRWMount)
            guard let status = try system.fileStatus(path.value, code: .invalidRWMount) else { continue }
            guard status.kind == .directory, status.uid == user.uid else {
                throw RuntimeError(.invalidRWMount, "[kata] rw-mounts: \(path) is not a directory owned by \(user.name)")
            }
            existing.insert(path)
        }
        // A typo in ro-mounts/rw-mounts would otherwise only show up later as a missing file inside the sandbox.
        for configured in context.kata.readOnlyMounts + writable.shared + writable.own {
            if let path = try? AbsolutePath(configured), !existing.contains(path) {
                system.writeStandardError("warning: [kata] mount \(configured) does not exist on this host; not mounted")
            }
        }
        var files = Set<AbsolutePath>()
        for configured in context.kata.readOnlyMounts + context.kata.readWriteMounts {
            if let path = try? AbsolutePath(configured), existing.contains(path),
               let status = try? system.fileStatus(path.value), status.kind != .directory { files.insert(path) }
        }
        let initBinary = try context.initBinary()
        let compat = try initBinary.parent.appending("kyr-compat.so")
        var facts = HostFacts(
            runAsUser: .init(uid: user.uid, gid: user.gid, groups: user.groups),
            nmGroupId: context.nodeManagerGID, nodename: system.nodename(), rootSymlinks: system.rootSymlinks(),
            existingPaths: existing, initBinary: initBinary, compatLibrary: system.pathExists(compat.value) ? compat : nil,
            seccompProfile: seccomp)
        facts.regularFiles = files
        let kata = context.kata
        if kata.allowedRuntimes.contains("kata") || kata.defaultRuntime == "kata" || kata.optInRuntime == "kata" || kata.userRuntimes.values.contains("kata") {
            // Directories only: a file mounted below a read-only bind cannot be re-bound in Kata (its agent truncates
            // a file bind's target), so such a file keeps the underlying content there.
            facts.hostMountPoints = system.mountPoints().compactMap { point in
                guard let path = try? AbsolutePath(point), (try? system.fileStatus(point))??.kind == .directory else { return nil }
                return path
            }
        }
        return facts
    }
}
